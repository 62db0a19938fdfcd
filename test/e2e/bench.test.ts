/**
 * `parget bench` through the built binary: a tiny sweep against the embedded server, and against
 * a URL served by the test, including the refusal to fetch more than --max-total unasked.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import {
  DEFAULT_CLI_TIMEOUT_MS,
  spawnCli,
  waitForExit,
  type CliResult,
} from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { assertBalancedXml } from "../helpers/svg.js";
import { MiB, tempDir } from "./support.js";

interface Report {
  target: { url: string; embedded: boolean; size: number };
  repeats: number;
  results: { connections: number; chunkSize: number | null; median: number; runs: number[] }[];
  recommendation: { connections: number; chunkSize: number | null; flags: string; text: string };
  limited: { connections: number; chunkSize: number }[];
  chart: string | null;
}

/** Runs the CLI like runCli, and also says whether it left a scratch directory behind. */
async function bench(args: string[], cwd: string): Promise<CliResult & { leftovers: string[] }> {
  const child = spawnCli(["bench", ...args], { cwd });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let exit;
  try {
    exit = await waitForExit(child, 2 * DEFAULT_CLI_TIMEOUT_MS);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`parget bench ${args.join(" ")} hung; stderr:\n${stderr}`, { cause: error });
  }
  const prefix = `parget-bench-${child.pid}-`;
  const leftovers: string[] = [];
  for (const dir of ["/dev/shm", os.tmpdir()].filter((d) => existsSync(d))) {
    leftovers.push(...(await readdir(dir)).filter((name) => name.startsWith(prefix)));
  }
  return { ...exit, stdout, stderr, leftovers };
}

function explain(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout.slice(0, 2000)}\nstderr: ${result.stderr.slice(0, 2000)}`;
}

test("a tiny sweep against the embedded server: an estimate, JSON, an SVG chart, a recommendation", async (t) => {
  const dir = await tempDir(t, "bench");
  const chart = path.join(dir, "c.svg");
  const result = await bench(
    [
      ...["--size", "8M", "--connections", "1,4", "--chunk-sizes", "1M,4M,dynamic"],
      ...["--repeats", "1", "--json", "--chart", chart],
    ],
    dir,
  );
  assert.equal(result.code, 0, explain(result));
  assert.deepEqual(result.leftovers, [], "every run's directory is deleted");

  const report = JSON.parse(result.stdout) as Report;
  assert.equal(report.target.embedded, true);
  assert.equal(report.target.size, 8 * MiB);
  assert.equal(report.repeats, 1);
  assert.deepEqual(
    report.results.map((r) => [r.connections, r.chunkSize, r.runs.length]),
    [
      [1, MiB, 1],
      [1, 4 * MiB, 1],
      [1, null, 1],
      [4, MiB, 1],
      [4, null, 1],
    ],
  );
  // 8 MiB in 4M chunks is two chunks: four connections cannot all work, so that cell is not run.
  assert.deepEqual(report.limited, [{ connections: 4, chunkSize: 4 * MiB }]);
  for (const r of report.results) assert.ok(r.median > 0, `a throughput for ${JSON.stringify(r)}`);
  // The server allows 8 MiB/s per connection: four connections beat one by far.
  assert.equal(report.recommendation.connections, 4, explain(result));
  assert.match(report.recommendation.flags, /^-n 4( -k 1M)?$/);
  assert.match(report.recommendation.text, /^-n 4 .*MiB\/s/);
  assert.equal(report.chart, chart);

  // The people's version went to stderr: the estimate, progress, the table, the recommendation.
  assert.match(
    result.stderr,
    /^parget bench: 8\.00 MiB from the embedded server .*; 5 runs \(5 settings x 1\), about \d+ s,/m,
  );
  assert.match(result.stderr, /^parget bench: left out, .*: -n 4 -k 4M$/m);
  assert.match(result.stderr, /^\[1\/5\] -n 1 -k 1M, run 1\/1: .*MiB\/s in/m);
  assert.match(result.stderr, /^-n 4 .*limited/m);
  assert.match(result.stderr, /^recommended: -n 4 /m);

  const svg = await readFile(chart, "utf8");
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg.trimEnd(), /<\/svg>$/);
  assertBalancedXml(svg);
  for (const series of ["-n 1", "-n 4"]) assert.ok(svg.includes(`>${series}<`), series);
  assert.equal((svg.match(/<g class="series"/g) ?? []).length, 2);
  assert.equal((svg.match(/class="marker apart"/g) ?? []).length, 2, "dynamic, apart, per line");
  assert.ok(svg.includes(">throughput (MiB/s)<"));
});

test("against a URL: the total is said up front, and the sweep reads the URL", async (t) => {
  const dir = await tempDir(t, "bench");
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "bench", size: 2 * MiB } } },
  });
  const url = server.url("/f.bin");
  const result = await bench(
    [url, "--connections", "1,2", "--chunk-sizes", "dynamic", "--repeats", "2", "--json"],
    dir,
  );
  assert.equal(result.code, 0, explain(result));
  assert.deepEqual(result.leftovers, []);
  assert.match(
    result.stderr,
    /^parget bench: will fetch 8\.00 MiB \(2\.00 MiB x 2 settings x 2 runs\) from 127\.0\.0\.1:\d+$/m,
  );
  // Nothing predicts a URL's speed: the estimate comes after the first run, then the first round.
  assert.match(result.stderr, /^parget bench: the first run, .*, the 4 runs take at most about/m);
  assert.match(result.stderr, /^parget bench: the first of 2 rounds took/m);
  assert.doesNotMatch(result.stderr, /\(2 settings x 2\), about/);
  const report = JSON.parse(result.stdout) as Report;
  assert.deepEqual(report.target, { url, embedded: false, size: 2 * MiB });
  assert.deepEqual(
    report.results.map((r) => [r.connections, r.chunkSize, r.runs.length]),
    [
      [1, null, 2],
      [2, null, 2],
    ],
  );
  // The default chart lands in the current directory.
  assert.equal(report.chart, path.join(dir, "parget-bench.svg"));
  assert.ok(existsSync(report.chart));
  // The probe, then four downloads of 2 MiB each.
  assert.ok(server.stats.bytesSent >= 8 * MiB, `the server sent ${server.stats.bytesSent} bytes`);
});

test("more than --max-total without a terminal to ask on: exit 2, one line, nothing but the probe", async (t) => {
  const dir = await tempDir(t, "bench");
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "bench", size: 2 * MiB } } },
  });
  const args = [server.url("/f.bin"), "--connections", "1,2", "--chunk-sizes", "1M,dynamic"];
  const refused = await bench([...args, "--max-total", "16M", "--no-chart"], dir);
  assert.equal(refused.code, 2, explain(refused));
  assert.equal(refused.stdout, "");
  assert.match(
    refused.stderr,
    /^parget: bench would fetch 24\.0 MiB \(2\.00 MiB x 4 settings x 3 runs\) from 127\.0\.0\.1:\d+, more than --max-total 16\.0 MiB; add --yes, or narrow the sweep [^\n]*\n$/,
  );
  // The probe stops its download at the start event; by then the engine may have asked twice.
  assert.ok(server.stats.requests <= 2, `only the probe's requests, not ${server.stats.requests}`);
  assert.deepEqual(refused.leftovers, []);
  assert.deepEqual(await readdir(dir), [], "no chart, nothing written");

  server.resetStats();
  const yes = await bench(
    [...args, "--max-total", "4M", "--repeats", "1", "--yes", "--no-chart"],
    dir,
  );
  assert.equal(yes.code, 0, explain(yes));
  assert.match(yes.stdout, /^recommended: -n [12]/m);
  assert.ok(server.stats.requests > 4, "the sweep ran");
});

test("a long sweep of quick runs: no listener piles up on the command's signal", async (t) => {
  const dir = await tempDir(t, "bench");
  // 16 runs: each download() leaves a listener on the signal it gets, 10 of them warn.
  const result = await bench(
    [
      ...["--size", "1M", "--rate-per-connection", "0", "--latency", "0"],
      ...["--connections", "1,2,3,4", "--chunk-sizes", "256K,dynamic", "--repeats", "2"],
      "--no-chart",
    ],
    dir,
  );
  assert.equal(result.code, 0, explain(result));
  assert.match(result.stderr, /^\[16\/16\] /m);
  assert.match(
    result.stderr,
    /^parget bench: the first of 2 rounds took \d+ s; about \d+ s left$/m,
  );
  assert.doesNotMatch(result.stderr, /Warning/);
  assert.match(result.stdout, /^recommended: -n \d/m);
});

test("a server without ranges has nothing to compare: exit 1", async (t) => {
  const dir = await tempDir(t, "bench");
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "bench", size: MiB }, ranges: "no" } },
  });
  const result = await bench([server.url("/f.bin"), "--no-chart"], dir);
  assert.equal(result.code, 1, explain(result));
  assert.match(result.stderr, /does not serve byte ranges/);
  assert.equal(result.stdout, "");
});

test("bad bench arguments are usage errors, before anything is fetched", async (t) => {
  const dir = await tempDir(t, "bench");
  const cases = [
    ["--connections", "0"],
    ["--chunk-sizes", "1M,,2M"],
    ["--repeats", "0"],
    ["--latency", "fast"],
    // 1M in 1M chunks cannot keep two connections busy: nothing left to run.
    ["--size", "1M", "--chunk-sizes", "1M", "--connections", "2"],
    ["http://127.0.0.1:9/f.bin", "--size", "8M"],
    ["ftp://example.com/f.bin"],
    ["http://a.test/1", "http://a.test/2"],
  ];
  for (const args of cases) {
    const result = await bench(args, dir);
    assert.equal(result.code, 2, `${args.join(" ")}: ${explain(result)}`);
    assert.match(result.stderr, /^parget: [^\n]+\n$/, args.join(" "));
  }
  assert.deepEqual(await readdir(dir), []);
});
