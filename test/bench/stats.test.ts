import { test } from "node:test";
import assert from "node:assert/strict";
import { planCases } from "../../bench/core/plan.js";
import {
  countLogLines,
  countPythonLogLines,
  parseTimeReport,
  summariseCase,
} from "../../bench/core/stats.js";
import { GiB, MiB, type Case, type RunResult, type ToolId } from "../../bench/core/types.js";

function pacedCase(): Case {
  const c = planCases({
    quick: true,
    long: false,
    scenarios: ["paced"],
    tools: ["parget", "aria2c", "axel"],
  }).find((x) => x.connections === 16);
  assert.ok(c);
  return { ...c, repeats: 3 };
}

function run(
  tool: ToolId,
  repeat: number,
  wallSeconds: number,
  extra: Partial<RunResult> = {},
): RunResult {
  return { tool, repeat, ok: true, wallSeconds, cpuSeconds: wallSeconds / 2, ...extra };
}

test("a case's summary: medians, percent of ideal, ratios to aria2c and to the best peer", () => {
  const c = pacedCase(); // 128 MiB, 100% = 128 MiB/s
  const runs = [
    run("parget", 0, 1, { peakRssBytes: 80 * MiB, connections: 16, requests: 20 }),
    run("parget", 1, 3, { peakRssBytes: 90 * MiB, connections: 17, requests: 22 }),
    run("parget", 2, 1.5, { peakRssBytes: 70 * MiB, connections: 16, requests: 21 }),
    run("aria2c", 0, 2),
    run("aria2c", 1, 2),
    run("aria2c", 2, 2),
    run("axel", 0, 4),
    { ...run("axel", 1, 99), ok: false, error: "exit 1" },
    run("axel", 2, 4),
  ];
  const s = summariseCase(c, runs);
  const [parget, aria2c, axel] = s.tools;
  assert.equal(parget?.wallSeconds, 1.5);
  assert.equal(parget?.bytesPerSecond, (128 * MiB) / 1.5);
  assert.equal(parget?.minBytesPerSecond, (128 * MiB) / 3, "the slowest repeat");
  assert.equal(parget?.maxBytesPerSecond, 128 * MiB, "the fastest repeat");
  assert.equal(Math.round(parget!.percentOfIdeal!), 67);
  assert.equal(parget?.peakRssBytes, 90 * MiB, "the highest peak");
  assert.equal(parget?.connections, 16);
  assert.equal(parget?.requests, 21);
  assert.equal(parget?.cpuSecondsPerGiB, 0.75 / (128 / 1024));
  assert.equal(parget?.vsAria2c, 2 / 1.5);
  assert.equal(s.bestPeer, "aria2c");
  assert.equal(parget?.vsBestPeer, 2 / 1.5);
  assert.equal(aria2c?.vsBestPeer, 1);
  assert.equal(axel?.ok, 2);
  assert.deepEqual(axel?.errors, ["exit 1"]);
  assert.equal(axel?.wallSeconds, 4, "failed runs do not count");
  assert.equal(axel?.vsAria2c, 0.5);
});

test("a tool with no successful run has no numbers; 'best' ideals use the fastest tool", () => {
  const c: Case = { ...pacedCase(), ideal: { kind: "best" }, size: GiB };
  const s = summariseCase(c, [
    { tool: "parget", repeat: 0, ok: false, wallSeconds: 60, error: "timed out after 60 s" },
    run("aria2c", 0, 4),
    run("axel", 0, 2),
  ]);
  assert.equal(s.idealBytesPerSecond, GiB / 2);
  assert.equal(s.tools[0]?.wallSeconds, undefined);
  assert.equal(s.tools[0]?.vsAria2c, undefined);
  assert.equal(s.tools[1]?.percentOfIdeal, 50);
  assert.equal(s.bestPeer, "axel");
  assert.deepEqual(summariseCase(c, [], "no nginx").tools, []);
});

test("nginx log lines: distinct $connection serials, one line per request", () => {
  const lines = [
    '7 1 206 1048576 8080 "bytes=0-1048575"',
    '7 2 206 1048576 8080 "bytes=1048576-2097151"',
    '9 1 206 1048576 8080 "bytes=2097152-"',
    "",
    "garbage",
  ];
  assert.deepEqual(countLogLines(lines), { connections: 2, requests: 3 });
});

test("python http.server log lines count requests only", () => {
  const lines = [
    '127.0.0.1 - - [29/Nov/2026 21:40:01] "GET /bench-128M.bin HTTP/1.1" 200 -',
    '127.0.0.1 - - [29/Nov/2026 21:40:01] "HEAD /bench-128M.bin HTTP/1.1" 200 -',
    "Serving HTTP on 127.0.0.1 port 8000 (http://127.0.0.1:8000/) ...",
    "----------------------------------------",
  ];
  assert.equal(countPythonLogLines(lines), 2);
});

test("GNU time reports: the last line, also after a failure line", () => {
  assert.deepEqual(parseTimeReport("1.23 0.50 0.25 20480\n"), {
    cpuSeconds: 0.75,
    peakRssBytes: 20480 * 1024,
  });
  assert.deepEqual(
    parseTimeReport("Command exited with non-zero status 1\n0.01 0.00 0.01 4096\n"),
    {
      cpuSeconds: 0.01,
      peakRssBytes: 4096 * 1024,
    },
  );
  assert.equal(parseTimeReport(""), undefined);
  assert.equal(parseTimeReport("Command terminated by signal 9\n"), undefined);
});
