import { test } from "node:test";
import assert from "node:assert/strict";
import { FAST_TO_RETURN, WriteModes, slowMs, type WriteMode } from "../../src/core/write-mode.js";

const KiB = 1024;

test("slowMs: 2 ms, plus the bytes at 256 MiB/s", () => {
  assert.equal(slowMs(0), 2);
  assert.equal(slowMs(512 * KiB), 4);
  assert.equal(slowMs(1024 * KiB), 6);
});

test("the table: direct until one write is slow, pooled until enough in a row are fast", () => {
  const rows: [from: WriteMode, madeIn: WriteMode, ms: number, to: WriteMode][] = [
    ["direct", "direct", 0.2, "direct"],
    ["direct", "direct", 4, "direct"], // 4 ms for 512 KiB: still fast
    ["direct", "direct", 4.1, "pooled"],
    ["direct", "pooled", 50, "pooled"], // a pool write from before still counts when slow
    ["pooled", "pooled", 0.5, "pooled"], // one fast write is not enough to come back
    ["pooled", "direct", 0.1, "pooled"], // a direct write finishing late changes nothing
    ["pooled", "pooled", 40, "pooled"],
  ];
  for (const [from, madeIn, ms, to] of rows) {
    const modes = new WriteModes();
    if (from === "pooled") modes.wrote("direct", 512 * KiB, 1000);
    modes.wrote(madeIn, 512 * KiB, ms);
    assert.equal(modes.mode, to, `${from}, a ${madeIn} write of ${ms} ms`);
  }
});

test("back to direct after FAST_TO_RETURN fast pool writes in a row; a slow one starts over", () => {
  const modes = new WriteModes();
  modes.wrote("direct", 512 * KiB, 300); // the kernel held a write back
  for (let i = 1; i < FAST_TO_RETURN; i++) modes.wrote("pooled", 512 * KiB, 1);
  modes.wrote("pooled", 512 * KiB, 9); // slow: the count starts again
  for (let i = 1; i < FAST_TO_RETURN; i++) {
    modes.wrote("pooled", 512 * KiB, 1);
    assert.equal(modes.mode, "pooled", `after ${i} fast writes`);
  }
  modes.wrote("pooled", 512 * KiB, 1);
  assert.equal(modes.mode, "direct");
});
