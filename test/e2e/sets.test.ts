/** Sets of files through the CLI: input files, checksum lists, reruns, all or nothing, kills. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { promisify } from "node:util";
import { generateContent } from "../../src/server/content.js";
import { serve } from "../helpers/server.js";
import { runCli, spawnCli, stopProcess, waitForExit } from "../helpers/processes.js";
import { assertGenerated, entries, jsonEvents, tempDir } from "./support.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Writes the served files' bytes under `dir` and returns `sha256sum`'s own output for them. */
async function sha256sums(
  t: TestContext,
  sizes: Record<string, number>,
  { binary = false } = {},
): Promise<string> {
  const dir = await tempDir(t, "sums");
  for (const [name, size] of Object.entries(sizes)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), generateContent(name, 0, size));
  }
  const args = [...(binary ? ["-b"] : []), ...Object.keys(sizes)];
  const { stdout } = await promisify(execFile)("sha256sum", args, { cwd: dir });
  return stdout;
}

const SHARDS = {
  "model-00001-of-00003.safetensors": 3 * MiB + 11,
  "model-00002-of-00003.safetensors": 2 * MiB + 7,
  "model-00003-of-00003.safetensors": 700 * KiB,
  "config.json": 2 * KiB,
};

function shardFiles(): Record<string, { content: { seed: string; size: number } }> {
  return Object.fromEntries(
    Object.entries(SHARDS).map(([name, size]) => [`/${name}`, { content: { seed: name, size } }]),
  );
}

test("a model's shards with a SHA256SUMS: all verified against the list, then a rerun skips all", async (t) => {
  const server = await serve(t, { files: shardFiles() });
  const dir = await tempDir(t, "shards");
  const sums = path.join(dir, "..", `${path.basename(dir)}.SHA256SUMS`);
  await writeFile(sums, await sha256sums(t, SHARDS, { binary: true }));
  t.after(() => writeFile(sums, "").catch(() => {}));
  const urls = Object.keys(SHARDS).map((name) => server.url(`/${name}`));

  const run = await runCli([...urls, "-d", dir, "--checksums", sums, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  for (const [name, size] of Object.entries(SHARDS)) {
    await assertGenerated(path.join(dir, name), name, size);
  }
  const events = jsonEvents(run.stdout);
  const done = events.filter((e) => e["type"] === "done");
  assert.equal(done.length, 4);
  for (const e of done) {
    assert.deepEqual(
      (e["verified"] as { algorithm: string; source: string }[]).map((v) => v.source),
      [path.basename(sums)],
    );
  }
  assert.deepEqual(new Set(done.map((e) => e["id"])).size, 4, "each file has its own id");
  // Bytes on the wire, per file: every byte of it at least, and no more than the server sent.
  for (const e of done) assert.ok((e["bytesReceived"] as number) >= (e["size"] as number));
  const received = done.reduce((sum, e) => sum + (e["bytesReceived"] as number), 0);
  assert.ok(received <= server.stats.bytesSent, `${received} > ${server.stats.bytesSent}`);
  const summary = events.at(-1)!;
  assert.equal(summary["type"], "summary");
  assert.equal(summary["saved"], 4);
  assert.equal(summary["verified"], 4);

  server.resetStats();
  const rerun = await runCli([...urls, "-d", dir, "--checksums", sums]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(server.stats.requests, 0, "a rerun of a finished set asks nothing");
  assert.match(rerun.stderr, /4 files: 0 saved.*4 skipped/);
});

test("an input file with per-entry options, and a checksum list fetched from a URL", async (t) => {
  const server = await serve(t, { files: shardFiles() });
  const sums = await sha256sums(t, { "shards/a.bin": SHARDS["config.json"] });
  // The list names the file by the path it is saved under; the seed is the served name.
  const listed = sums.replace(
    /^[0-9a-f]{64}/,
    (await sha256sums(t, { "config.json": SHARDS["config.json"] })).slice(0, 64),
  );
  const lists = http.createServer((_req, res) => res.end(listed));
  await new Promise<void>((resolve) => lists.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => lists.close(resolve)));
  const listUrl = `http://127.0.0.1:${(lists.address() as AddressInfo).port}/SHA256SUMS`;

  const dir = await tempDir(t, "input");
  const input = path.join(dir, "..", `${path.basename(dir)}.txt`);
  await writeFile(
    input,
    [
      "# the config, renamed into a subdirectory",
      server.url("/config.json"),
      "  dir=shards",
      "  out=a.bin",
      "\theader=X-Token: t0ps3cret",
      "",
    ].join("\n"),
  );
  const run = await runCli(["-i", input, "-d", dir, "--checksums", listUrl]);
  assert.equal(run.code, 0, run.stderr);
  await assertGenerated(path.join(dir, "shards", "a.bin"), "config.json", SHARDS["config.json"]);
  assert.equal(server.stats.requestLog[0]?.headers["x-token"], "t0ps3cret");
  assert.doesNotMatch(run.stderr, /t0ps3cret/);
});

test("a bad line in an input file is named by file and line; nothing is fetched", async (t) => {
  const server = await serve(t, { files: shardFiles() });
  const dir = await tempDir(t, "badinput");
  const input = path.join(dir, "list.txt");
  await writeFile(input, `${server.url("/config.json")}\n  out=../../etc/passwd\n`);
  const run = await runCli(["-i", input, "-d", dir]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^parget: .*list\.txt:2: out: /);
  assert.equal(run.stderr.trim().split("\n").length, 1, "one line");
  assert.equal(server.stats.requests, 0);
});

test("--checksums fails a file it does not list; the others are saved; exit 6", async (t) => {
  const server = await serve(t, { files: shardFiles() });
  const dir = await tempDir(t, "unlisted");
  const sums = path.join(dir, "SHA256SUMS");
  await writeFile(sums, await sha256sums(t, { "config.json": SHARDS["config.json"] }));
  const run = await runCli([
    server.url("/config.json"),
    server.url("/model-00003-of-00003.safetensors"),
    "-d",
    dir,
    "--checksums",
    sums,
  ]);
  assert.equal(run.code, 6, run.stderr);
  assert.match(run.stderr, /model-00003-of-00003\.safetensors is not listed in .*SHA256SUMS/);
  assert.deepEqual(await entries(dir), ["SHA256SUMS", "config.json"]);
});

test("a set killed with SIGKILL mid-way resumes on the same command and ends verified", async (t) => {
  const sizes = Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [`part${i}.bin`, (i % 4) * MiB + 300 * KiB]),
  );
  const server = await serve(t, {
    files: Object.fromEntries(
      Object.entries(sizes).map(([name, size]) => [`/${name}`, { content: { seed: name, size } }]),
    ),
    ratePerConnection: 2 * MiB,
  });
  const dir = await tempDir(t, "killset");
  const sums = path.join(dir, "..", `${path.basename(dir)}.sums`);
  await writeFile(sums, await sha256sums(t, sizes));
  const args = [
    ...Object.keys(sizes).map((name) => server.url(`/${name}`)),
    ...["-d", dir, "--checksums", sums, "-j", "4", "--json"],
  ];
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);

  // Killed once the first files are saved and others are under way.
  const child = spawnCli(args);
  t.after(() => stopProcess(child));
  let out = "";
  const killed = new Promise<void>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if ((out.match(/"type":"done"/g) ?? []).length >= 3) resolve();
    });
  });
  await killed;
  child.kill("SIGKILL");
  const exit = await waitForExit(child, 30_000);
  assert.equal(exit.signal, "SIGKILL", "killed before the set was done");

  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, rerun.stderr);
  const events = jsonEvents(rerun.stdout);
  assert.ok(events.filter((e) => e["type"] === "skipped").length >= 3, "saved files skipped");
  for (const [name, size] of Object.entries(sizes)) {
    await assertGenerated(path.join(dir, name), name, size);
  }
  assert.deepEqual(await entries(dir), Object.keys(sizes).sort());
  const ratio = server.stats.bytesSent / total;
  t.diagnostic(`the server sent ${ratio.toFixed(3)}x the set's bytes over both runs`);
  assert.ok(ratio < 1.25, `refetched too much: ${ratio.toFixed(3)}x`);
});

test("--atomic: a kill mid-set leaves the directory untouched; the rerun publishes every file", async (t) => {
  const sizes = Object.fromEntries(
    Array.from({ length: 6 }, (_, i) => [`img${i}.iso`, MiB + i * 100 * KiB]),
  );
  const server = await serve(t, {
    files: Object.fromEntries(
      Object.entries(sizes).map(([name, size]) => [`/${name}`, { content: { seed: name, size } }]),
    ),
    ratePerConnection: 1 * MiB,
  });
  const dir = await tempDir(t, "atomic");
  await writeFile(path.join(dir, "old.txt"), "previous contents");
  const args = [
    ...Object.keys(sizes).map((name) => server.url(`/${name}`)),
    ...["-d", dir, "--atomic", "-j", "3", "--json"],
  ];
  const child = spawnCli(args);
  t.after(() => stopProcess(child));
  let out = "";
  await new Promise<void>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.includes('"type":"done"')) resolve();
    });
  });
  child.kill("SIGKILL");
  await waitForExit(child, 30_000);
  assert.deepEqual(await entries(dir), [".parget-staging", "old.txt"], "nothing published yet");

  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(await entries(dir), [...Object.keys(sizes), "old.txt"].sort());
  for (const [name, size] of Object.entries(sizes)) {
    await assertGenerated(path.join(dir, name), name, size);
  }
});
