import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_CHUNKS,
  DEFAULT_CONNECTIONS,
  budgetOf,
  budgetText,
  cellFlags,
  cellText,
  cellsOf,
  chunkLabel,
  parseChunkList,
  parseConnectionList,
  sizeFlag,
  sweepOrder,
} from "../../../src/cli/bench/plan.js";
import { PargetError } from "../../../src/index.js";

const K = 1024;
const M = 1024 * K;

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PargetError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
    return true;
  });
}

test("chunk lists: sizes ascending without repeats, dynamic last", () => {
  assert.deepEqual(parseChunkList("4M,dynamic,256K,1M,4M"), [256 * K, M, 4 * M, "dynamic"]);
  assert.deepEqual(parseChunkList(" default , 1m "), [M, "dynamic"]);
  assert.deepEqual(parseChunkList("DYNAMIC"), ["dynamic"]);
  assert.deepEqual(parseChunkList("1048576"), [M]);
});

test("bad chunk lists are usage errors", () => {
  usageError(() => parseChunkList(""), /comma-separated/);
  usageError(() => parseChunkList("1M,,4M"), /comma-separated/);
  usageError(() => parseChunkList("1M,fast"), /invalid size "fast"/);
  usageError(() => parseChunkList("0"), /greater than zero/);
});

test("connection lists: ascending without repeats; only positive whole numbers", () => {
  assert.deepEqual(parseConnectionList("16,1,4,4"), [1, 4, 16]);
  assert.deepEqual(parseConnectionList("8"), [8]);
  for (const bad of ["0", "-1", "x", "1.5", "4,", ""]) {
    usageError(() => parseConnectionList(bad), /expected/);
  }
});

test("defaults: the issue's sweep", () => {
  assert.deepEqual(DEFAULT_CONNECTIONS, [1, 2, 4, 8, 16, 32]);
  assert.deepEqual(DEFAULT_CHUNKS.map(chunkLabel), ["256K", "1M", "4M", "16M", "64M", "dynamic"]);
});

test("sizes print as the user would type them", () => {
  assert.equal(sizeFlag(256 * K), "256K");
  assert.equal(sizeFlag(M), "1M");
  assert.equal(sizeFlag(1536 * K), "1536K");
  assert.equal(sizeFlag(3 * 1024 * M), "3G");
  assert.equal(sizeFlag(1000), "1000");
  assert.equal(sizeFlag(1536), "1536");
  // What sizeFlag prints, parseChunkList reads back.
  for (const size of [1, 1000, 4 * K, 1536 * K, 64 * M]) {
    assert.deepEqual(parseChunkList(sizeFlag(size)), [size]);
  }
});

test("a cell's flags name exactly what to pass", () => {
  assert.equal(cellFlags({ connections: 16, chunk: "dynamic" }), "-n 16");
  assert.equal(cellFlags({ connections: 4, chunk: 4 * M }), "-n 4 -k 4M");
  assert.equal(cellText({ connections: 16, chunk: "dynamic" }), "-n 16 with dynamic chunks");
  assert.equal(cellText({ connections: 4, chunk: 256 * K }), "-n 4 -k 256K");
});

test("cells: every connection count with every chunk setting, rows first", () => {
  assert.deepEqual(cellsOf([1, 4], [M, "dynamic"]), [
    { connections: 1, chunk: M },
    { connections: 1, chunk: "dynamic" },
    { connections: 4, chunk: M },
    { connections: 4, chunk: "dynamic" },
  ]);
});

test("runs: each repeat passes over every cell before the next begins", () => {
  const cells = cellsOf([1, 2], ["dynamic"]);
  const runs = sweepOrder(cells, 3);
  assert.deepEqual(
    runs.map((r) => [r.index, r.cell.connections, r.repeat]),
    [
      [1, 1, 1],
      [2, 2, 1],
      [3, 1, 2],
      [4, 2, 2],
      [5, 1, 3],
      [6, 2, 3],
    ],
  );
  assert.equal(sweepOrder(cells, 1).length, 2);
});

test("budget: size x cells x repeats; consent only above the limit", () => {
  const at = budgetOf(64 * M, 4, 2, 512 * M);
  assert.equal(at.total, 512 * M);
  assert.equal(at.needsConsent, false);
  const over = budgetOf(64 * M, 4, 2, 512 * M - 1);
  assert.equal(over.needsConsent, true);
  assert.equal(budgetText(at), "512 MiB (64.0 MiB x 4 settings x 2 runs)");
  assert.equal(budgetText(budgetOf(M, 1, 1, M)), "1.00 MiB (1.00 MiB x 1 setting x 1 run)");
});
