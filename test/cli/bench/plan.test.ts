import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_CHUNKS,
  DEFAULT_CONNECTIONS,
  DEFAULT_REPEATS,
  RUN_OVERHEAD_SECONDS,
  UNTHROTTLED_ESTIMATE,
  budgetOf,
  budgetText,
  cellFlags,
  cellText,
  cellsOf,
  chunkLabel,
  estimateText,
  estimateSeconds,
  expectedRunSeconds,
  limitedByFileSize,
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

test("defaults: a sweep of about a minute on the embedded server, no cell limited by its file", () => {
  assert.deepEqual(DEFAULT_CONNECTIONS, [1, 4, 16]);
  assert.deepEqual(DEFAULT_CHUNKS.map(chunkLabel), ["256K", "1M", "dynamic"]);
  const cells = cellsOf(DEFAULT_CONNECTIONS, DEFAULT_CHUNKS);
  const server = { size: 32 * M, ratePerConnection: 8 * M, latencyMs: 20 };
  assert.deepEqual(
    cells.filter((c) => limitedByFileSize(c, server.size)),
    [],
  );
  const seconds = estimateSeconds(sweepOrder(cells, DEFAULT_REPEATS), server);
  assert.ok(seconds >= 45 && seconds <= 75, `about a minute, not ${seconds} s`);
});

test("a fixed chunk size is limited when the file has fewer chunks than the cell has connections", () => {
  const size = 64 * M;
  assert.equal(limitedByFileSize({ connections: 4, chunk: 16 * M }, size), false, "4 chunks, 4");
  assert.equal(limitedByFileSize({ connections: 8, chunk: 16 * M }, size), true, "4 chunks, 8");
  assert.equal(limitedByFileSize({ connections: 1, chunk: 64 * M }, size), false);
  assert.equal(limitedByFileSize({ connections: 2, chunk: 64 * M }, size), true);
  assert.equal(limitedByFileSize({ connections: 2, chunk: 48 * M }, size), false, "48M + 16M");
  assert.equal(limitedByFileSize({ connections: 64, chunk: "dynamic" }, size), false);
});

test("a run's expected time: the file over the usable connections, plus each request's latency", () => {
  const server = { size: 32 * M, ratePerConnection: 8 * M, latencyMs: 20 };
  const close = (actual: number, expected: number): void =>
    assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);
  // One connection, 32 chunks of 1M one after another: 4 s of data, 32 x 20 ms of latency.
  close(expectedRunSeconds({ connections: 1, chunk: M }, server), RUN_OVERHEAD_SECONDS + 4 + 0.64);
  // Four connections, 8 chunks each.
  close(expectedRunSeconds({ connections: 4, chunk: M }, server), RUN_OVERHEAD_SECONDS + 1 + 0.16);
  // Dynamic: a range per connection.
  close(
    expectedRunSeconds({ connections: 16, chunk: "dynamic" }, server),
    RUN_OVERHEAD_SECONDS + 0.25 + 0.02,
  );
  // Unthrottled: an assumed loopback speed, no latency.
  close(
    expectedRunSeconds({ connections: 4, chunk: "dynamic" }, { size: 100 * M }),
    RUN_OVERHEAD_SECONDS + (100 * M) / UNTHROTTLED_ESTIMATE,
  );
});

test("the sweep's estimate is its runs' expected times added up: runs x time for one cell", () => {
  const server = { size: 8 * M, ratePerConnection: 8 * M, latencyMs: 0 };
  const cell = { connections: 2, chunk: "dynamic" as const };
  const runs = sweepOrder([cell], 5);
  assert.equal(estimateSeconds(runs, server), 5 * expectedRunSeconds(cell, server));
  assert.equal(estimateSeconds([], server), 0);
});

test("estimates read as a person plans: seconds, then minutes to the nearest 10 s", () => {
  assert.equal(estimateText(0.2), "1 s");
  assert.equal(estimateText(44.6), "45 s");
  assert.equal(estimateText(64), "1 min");
  assert.equal(estimateText(86), "1 min 30 s");
  assert.equal(estimateText(307), "5 min 10 s");
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
