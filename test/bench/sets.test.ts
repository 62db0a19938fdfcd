import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBenchArgs } from "../../bench/core/args.js";
import {
  FetchedBytes,
  killShares,
  mixedSizes,
  pacedIdealSeconds,
  planSetCases,
  seededRandom,
  setCommand,
  SET_SCENARIO_IDS,
  summariseSetCase,
  totalBytes,
  urlList,
  type SetRunResult,
} from "../../bench/core/sets.js";
import { sumBodyBytes } from "../../bench/core/stats.js";
import { GiB, KiB, MiB } from "../../bench/core/types.js";

const env = { node: "node", pargetCli: "parget.mjs", rcloneConfig: "" };

test("the four set cases, in full and quick mode", () => {
  const full = planSetCases({ scenarios: SET_SCENARIO_IDS, quick: false });
  assert.deepEqual(
    full.map((c) => [c.id, c.files.length, c.repeats]),
    [
      ["many-small", 1000, 3],
      ["paced-set", 16, 3],
      ["killed-set", 200, 3],
      ["set-memory", 1000, 3],
    ],
  );
  const paced = full.find((c) => c.id === "paced-set")!;
  assert.equal(totalBytes(paced.files), GiB);
  assert.equal(paced.idealSeconds, 8, "1 GiB over 16 x 8 MiB/s");
  const memory = full.find((c) => c.id === "set-memory")!;
  assert.equal(memory.single?.size, totalBytes(memory.files));
  const quick = planSetCases({ scenarios: ["killed-set"], quick: true, repeats: 2 });
  assert.deepEqual(
    quick.map((c) => [c.id, c.files.length, c.repeats]),
    [["killed-set", 50, 2]],
  );
});

test("--only takes scenarios and sets alike, and keeps them apart", () => {
  const args = parseBenchArgs(["--only", "paced,killed-set"]);
  assert.deepEqual(args.scenarios, ["paced"]);
  assert.deepEqual(args.sets, ["killed-set"]);
  assert.deepEqual(parseBenchArgs([]).sets, [...SET_SCENARIO_IDS]);
});

test("mixed sizes stay within bounds, in whole KiB, the same for the same seed", () => {
  const sizes = mixedSizes(200, 256 * KiB, 8 * MiB, seededRandom(9));
  assert.ok(sizes.every((s) => s >= 256 * KiB && s <= 8 * MiB && s % KiB === 0));
  assert.ok(new Set(sizes).size > 150, "they are mixed");
  assert.deepEqual(sizes, mixedSizes(200, 256 * KiB, 8 * MiB, seededRandom(9)));
});

test("kill shares leave part of the set for the final run", () => {
  const shares = killShares(3, seededRandom(1));
  assert.equal(shares.length, 3);
  assert.ok(shares.every((s) => s >= 0.1 && s <= 0.3));
  assert.ok(shares.reduce((a, b) => a + b, 0) < 1);
});

test("the commands: one list for all, aria2c's jobs as issue 9 gives them", () => {
  const [small, paced] = planSetCases({ scenarios: ["many-small", "paced-set"], quick: false });
  const target = { base: "http://h/", list: "L", dir: "D", files: small!.files, sums: "S" };
  assert.deepEqual(setCommand("parget", target, env), [
    "node",
    "parget.mjs",
    "-q",
    "-i",
    "L",
    "-d",
    "D",
  ]);
  assert.deepEqual(setCommand("aria2c", target, env).slice(3, 5), ["-j", "16"]);
  const pacedTarget = { ...target, files: paced!.files };
  assert.deepEqual(setCommand("aria2c", pacedTarget, env).slice(3, 9), [
    "-j",
    "4",
    "-x",
    "16",
    "-s",
    "16",
  ]);
  assert.ok(setCommand("wget2", target, env).includes("--max-threads=16"));
  assert.ok(setCommand("parget-killed", target, env).join(" ").includes("--checksums S -i L"));
  const loop = setCommand("parget-loop", pacedTarget, env);
  assert.equal(loop[0], "sh");
  assert.match(
    loop[2]!,
    /while read -r url; do node parget\.mjs -q -d D "\$url" \|\| exit 1; done < L/,
  );
  assert.equal(
    urlList("http://h/", [
      { name: "a", size: 1 },
      { name: "b", size: 1 },
    ]),
    "http://h/a\nhttp://h/b\n",
  );
});

test("FetchedBytes counts what a run fetched, not what it resumed", () => {
  const f = new FetchedBytes();
  f.line(JSON.stringify({ type: "start", id: 1, resumedBytes: 100 }));
  f.line(JSON.stringify({ type: "progress", id: 1, bytes: 150 }));
  f.line("not json");
  f.line(JSON.stringify({ type: "progress", id: 2, bytes: 40 }));
  f.line(JSON.stringify({ type: "done", id: 1, result: { size: 300 } }));
  f.line(JSON.stringify({ type: "summary", summary: {} }));
  assert.equal(f.fetched, 200 + 40);
});

test("set summaries: speed-ups over peers, percent of ideal, bytes sent, memory per active file", () => {
  const [paced, memory] = planSetCases({ scenarios: ["paced-set", "set-memory"], quick: false });
  const run = (
    tool: SetRunResult["tool"],
    wall: number,
    extra: Partial<SetRunResult> = {},
  ): SetRunResult => ({
    tool,
    repeat: 0,
    ok: true,
    wallSeconds: wall,
    ...extra,
  });
  const s = summariseSetCase(paced!, [
    run("parget", 10, { bytesSent: 1.05 * GiB }),
    run("parget", 8, { bytesSent: 1.1 * GiB }),
    run("aria2c", 20),
    run("parget-loop", 12),
    { ...run("parget-loop", 1), ok: false, error: "exit 1" },
  ]);
  const parget = s.tools.find((t) => t.tool === "parget")!;
  assert.equal(parget.wallSeconds, 9);
  assert.equal(Math.round(parget.percentOfIdeal!), 89);
  assert.ok(Math.abs(parget.worstSentPerSetBytes! - 1.1) < 1e-9);
  assert.equal(s.tools.find((t) => t.tool === "aria2c")!.pargetSpeedup, 20 / 9);
  const loop = s.tools.find((t) => t.tool === "parget-loop")!;
  assert.deepEqual([loop.ok, loop.runs, loop.errors], [1, 2, ["exit 1"]]);
  const m = summariseSetCase(memory!, [
    run("parget", 9, { peakRssBytes: 200 * MiB }),
    run("parget-single", 9, { peakRssBytes: 120 * MiB }),
  ]);
  assert.equal(m.rssExtraBytes, 80 * MiB);
  assert.equal(m.rssPerActiveFile, 5 * MiB);
  assert.equal(pacedIdealSeconds(GiB), 8);
});

test("sumBodyBytes adds nginx's $body_bytes_sent", () => {
  const lines = ['7 1 206 1048576 8081 "bytes=0-1048575"', '7 2 200 65536 8080 "-"', "junk"];
  assert.equal(sumBodyBytes(lines), 1048576 + 65536);
});
