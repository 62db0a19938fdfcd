import assert from "node:assert/strict";
import { test } from "node:test";
import {
  firstRunText,
  jsonReport,
  recommendationText,
  resultsTable,
  roundText,
  runText,
  targetText,
  type BenchTarget,
} from "../../../src/cli/bench/report.js";
import { recommend } from "../../../src/cli/bench/results.js";
import { cell } from "./fixtures.js";

const K = 1024;
const M = 1024 * K;

const EMBEDDED: BenchTarget = {
  url: "http://127.0.0.1:4000/bench.bin",
  embedded: true,
  size: 64 * M,
  ratePerConnection: 8 * M,
  latencyMs: 20,
};

test("the target in words", () => {
  assert.equal(
    targetText(EMBEDDED),
    "64.0 MiB from the embedded server (8.00 MiB/s per connection, 20 ms latency)",
  );
  assert.equal(
    targetText({ ...EMBEDDED, ratePerConnection: 0, latencyMs: 0 }),
    "64.0 MiB from the embedded server (unthrottled, 0 ms latency)",
  );
  assert.equal(
    targetText({ url: "https://x.test/a.iso", embedded: false, size: 3 * 1024 * M }),
    "3.00 GiB from https://x.test/a.iso",
  );
});

test("a run's progress label is aligned on the run count", () => {
  const run = { index: 7, cell: { connections: 4, chunk: M }, repeat: 2 };
  assert.equal(runText(run, 36, 3), "[ 7/36] -n 4 -k 1M, run 2/3");
  assert.equal(
    runText({ ...run, cell: { connections: 4, chunk: "dynamic" } }, 9, 1),
    "[7/9] -n 4, run 2/1",
  );
});

test("estimates during the sweep: a bound from the first run, the rest from the first round", () => {
  assert.equal(
    firstRunText(4.2, 27),
    "the first run, over the fewest connections, took 4 s; if none is slower, " +
      "the 27 runs take at most about 1 min 50 s",
  );
  assert.equal(roundText(21, 3), "the first of 3 rounds took 21 s; about 42 s left");
});

test("the table: rows of connections, columns of chunk sizes, the pick starred", () => {
  const summaries = [
    cell(1, M, 7.5, 7.9, 8),
    cell(1, "dynamic", 7.9, 8, 8),
    cell(4, M, 28, 30.04, 31),
    cell(4, "dynamic", 31.5, 32, 32.5),
  ];
  const rec = recommend(summaries);
  assert.equal(
    resultsTable(summaries, [1, 4], [M, "dynamic"], 3, rec),
    [
      "MiB/s, median (min-max) of 3 runs:",
      "                  -k 1M             dynamic",
      "-n 1      7.9 (7.5-8.0)       8.0 (7.9-8.0)",
      "-n 4   30.0 (28.0-31.0)    32.0 (31.5-32.5)*",
      "* recommended",
      "",
    ].join("\n"),
  );
});

test("one run each: no range; a cell not measured shows a dash; slow servers in KiB/s", () => {
  const summaries = [cell(1, 256 * K, 0.25), cell(2, 256 * K, 0.5)];
  assert.equal(
    resultsTable(summaries, [1, 2], [256 * K, "dynamic"], 1),
    [
      "KiB/s, one run each:",
      "       -k 256K   dynamic",
      "-n 1     256.0         -",
      "-n 2     512.0         -",
      "",
    ].join("\n"),
  );
});

test("a cell the file's size limits says so, and the legend says why", () => {
  const summaries = [cell(1, 4 * M, 8, 8, 8), cell(16, M, 100, 110, 120)];
  assert.equal(
    resultsTable(summaries, [1, 16], [M, 4 * M], 3, undefined, [{ connections: 16, chunk: 4 * M }]),
    [
      "MiB/s, median (min-max) of 3 runs:",
      "                      -k 1M           -k 4M",
      "-n 1                      -   8.0 (8.0-8.0)",
      "-n 16   110.0 (100.0-120.0)         limited",
      "limited: fewer chunks than connections at this file size, not run",
      "",
    ].join("\n"),
  );
});

test("the recommendation ends with the command to run", () => {
  const rec = recommend([cell(1, "dynamic", 8, 8, 8), cell(4, "dynamic", 30, 31, 32)]);
  assert.ok(rec);
  assert.equal(
    recommendationText(rec, "https://x.test/a.iso"),
    [
      "recommended: -n 4 with dynamic chunks: 31.0 MiB/s, the best median of the 2 settings tried",
      "  throughput was still rising at -n 4, the most tried; try --connections 4,8,16",
      "  parget -n 4 https://x.test/a.iso",
      "",
    ].join("\n"),
  );
});

test("the JSON report: bytes per second as whole numbers, null for dynamic chunks", () => {
  const summaries = [cell(1, M, 7.5), cell(1, "dynamic", 8.25)];
  const rec = recommend(summaries);
  const report = jsonReport(EMBEDDED, 1, summaries, rec, "/tmp/c.svg");
  assert.deepEqual(report.results, [
    { connections: 1, chunkSize: M, median: 7.5 * M, min: 7.5 * M, max: 7.5 * M, runs: [7.5 * M] },
    {
      connections: 1,
      chunkSize: null,
      median: 8.25 * M,
      min: 8.25 * M,
      max: 8.25 * M,
      runs: [8.25 * M],
    },
  ]);
  assert.equal(report.recommendation?.chunkSize, null);
  assert.equal(report.recommendation?.flags, "-n 1");
  assert.equal(report.recommendation?.median, 8.25 * M);
  assert.equal(report.chart, "/tmp/c.svg");
  assert.deepEqual(report.limited, []);
  assert.deepEqual(
    jsonReport(EMBEDDED, 1, summaries, rec, null, [{ connections: 16, chunk: 4 * M }]).limited,
    [{ connections: 16, chunkSize: 4 * M }],
  );
  assert.deepEqual(report.target, EMBEDDED);
  assert.equal(jsonReport(EMBEDDED, 1, [], undefined, null).recommendation, null);
  // It survives a round trip through JSON unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
});
