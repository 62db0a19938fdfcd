import assert from "node:assert/strict";
import { test } from "node:test";
import {
  recommend,
  summarize,
  throughput,
  type RunResult,
} from "../../../src/cli/bench/results.js";
import { cell } from "./fixtures.js";

const M = 1024 * 1024;

test("throughput: bytes per second, a zero-length run counted as 1 ms", () => {
  assert.equal(throughput({ bytes: 8 * M, elapsedMs: 500 }), 16 * M);
  assert.equal(throughput({ bytes: 1000, elapsedMs: 0 }), 1_000_000);
});

test("summaries: per cell in the cells' order, with median, min and max; unmeasured cells left out", () => {
  const cells = [
    { connections: 1, chunk: "dynamic" as const },
    { connections: 4, chunk: M },
    { connections: 4, chunk: "dynamic" as const },
  ];
  const results: RunResult[] = [
    { cell: { connections: 4, chunk: M }, repeat: 1, bytes: 8 * M, elapsedMs: 1000 },
    { cell: { connections: 1, chunk: "dynamic" }, repeat: 1, bytes: 8 * M, elapsedMs: 4000 },
    { cell: { connections: 4, chunk: M }, repeat: 2, bytes: 8 * M, elapsedMs: 500 },
    { cell: { connections: 4, chunk: M }, repeat: 3, bytes: 8 * M, elapsedMs: 2000 },
  ];
  assert.deepEqual(summarize(cells, results), [
    {
      connections: 1,
      chunk: "dynamic",
      runs: [2 * M],
      median: 2 * M,
      min: 2 * M,
      max: 2 * M,
      spread: 0,
      count: 1,
    },
    {
      connections: 4,
      chunk: M,
      runs: [8 * M, 16 * M, 4 * M],
      median: 8 * M,
      min: 4 * M,
      max: 16 * M,
      spread: 1.5,
      count: 3,
    },
  ]);
});

test("the fewest connections within a few percent of the best win, and the text says why", () => {
  const rec = recommend([
    cell(8, "dynamic", 90, 91, 92),
    cell(16, 4 * M, 118, 119, 120),
    cell(16, "dynamic", 120, 121, 122),
    cell(32, 4 * M, 122, 123, 124),
    cell(32, "dynamic", 121, 122, 123),
  ]);
  assert.ok(rec);
  assert.equal(rec.connections, 16);
  assert.equal(rec.chunk, "dynamic");
  assert.equal(rec.flags, "-n 16");
  assert.equal(rec.median, 121 * M);
  assert.deepEqual(rec.best, { connections: 32, chunk: 4 * M, median: 123 * M });
  assert.equal(
    rec.text,
    "-n 16 with dynamic chunks: 121 MiB/s, within 2% of the best (-n 32 -k 4M, 123 MiB/s) " +
      "and uses fewer connections than -n 32 and needs no -k",
  );
  assert.deepEqual(rec.notes, [
    "more connections stopped helping at -n 16: -n 32 reached 123 MiB/s (+1.7%)",
  ]);
});

test("when the best is also the leanest, it is simply the best", () => {
  const rec = recommend([cell(1, "dynamic", 8), cell(4, M, 30), cell(4, "dynamic", 32)]);
  assert.ok(rec);
  assert.equal(rec.flags, "-n 4");
  assert.match(
    rec.text,
    /^-n 4 with dynamic chunks: 32\.0 MiB\/s, the best median of the 3 settings tried$/,
  );
});

test("among equally lean cells: dynamic chunks when close enough, else the fastest chunk size", () => {
  const close = recommend([cell(4, M, 99), cell(4, 4 * M, 100), cell(4, "dynamic", 97)]);
  assert.equal(close?.flags, "-n 4");
  const far = recommend([cell(4, M, 99), cell(4, 4 * M, 100), cell(4, "dynamic", 80)]);
  assert.equal(far?.flags, "-n 4 -k 4M");
  const within = recommend([cell(4, M, 99), cell(4, 4 * M, 100), cell(8, "dynamic", 100)]);
  assert.equal(within?.flags, "-n 4 -k 4M");
  assert.match(within?.text ?? "", /the best median of the 3 settings tried$/);
  const tie = recommend([cell(4, 4 * M, 100), cell(4, "dynamic", 100)]);
  assert.equal(tie?.flags, "-n 4");
  assert.match(tie?.text ?? "", /: 100 MiB\/s, the best median/);
});

test("the tolerance decides what counts as close", () => {
  const cells = [cell(8, "dynamic", 90), cell(16, "dynamic", 100)];
  assert.equal(recommend(cells)?.connections, 16);
  assert.equal(recommend(cells, 0.15)?.connections, 8);
});

test("a count that is still scaling is called out, with what to try next", () => {
  const rec = recommend([
    cell(1, "dynamic", 8, 8, 8),
    cell(2, "dynamic", 16, 16, 16),
    cell(4, "dynamic", 31, 31, 31),
  ]);
  assert.deepEqual(rec?.notes, [
    "throughput was still rising at -n 4, the most tried; try --connections 4,8,16",
  ]);
});

test("too many connections that cost throughput are called out", () => {
  const rec = recommend([
    cell(4, "dynamic", 100, 100, 100),
    cell(8, "dynamic", 101, 101, 101),
    cell(32, "dynamic", 70, 70, 70),
  ]);
  assert.equal(rec?.connections, 4);
  assert.deepEqual(rec?.notes, [
    "more connections stopped helping at -n 4: -n 32 reached 70.0 MiB/s (-30.0%): " +
      "too many connections cost more than they bring here",
  ]);
});

test("noisy or single runs are flagged", () => {
  assert.deepEqual(recommend([cell(1, "dynamic", 10)])?.notes, [
    "each setting ran once; --repeats 3 or more gives a firmer answer",
  ]);
  assert.deepEqual(recommend([cell(1, "dynamic", 7, 10, 12)])?.notes, [
    "its runs ranged from 7.00 MiB/s to 12.0 MiB/s; more --repeats would firm this up",
  ]);
  assert.deepEqual(recommend([cell(1, "dynamic", 9.5, 10, 10.5)])?.notes, []);
});

test("nothing measured, nothing recommended", () => {
  assert.equal(recommend([]), undefined);
});
