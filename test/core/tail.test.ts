import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MIN_STEAL,
  isStraggler,
  stealMinimum,
  stealShare,
  worthStealing,
} from "../../src/core/tail.js";

// Speeds in bytes per millisecond: 1024 is 1 MiB/s.
const MiBps = 1024;

test("steal share: half between equals and unknowns, by speed from a much slower lane", () => {
  const cases: [number | undefined, number | undefined, number][] = [
    [undefined, 4 * MiBps, 0.5],
    [4 * MiBps, undefined, 0.5],
    [4 * MiBps, 4 * MiBps, 0.5],
    [4 * MiBps, 7 * MiBps, 0.5], // under twice as fast: noise, not a straggler
    [1 * MiBps, 3 * MiBps, 0.75],
    [64, 4 * MiBps, (4 * MiBps) / (64 + 4 * MiBps)],
  ];
  for (const [theirs, mine, share] of cases)
    assert.equal(stealShare(theirs, mine), share, `${theirs} vs ${mine}`);
});

test("worth stealing only from a lane that will not finish within 400 ms", () => {
  assert.equal(worthStealing(undefined, 1), true);
  assert.equal(worthStealing(MiBps, 300 * MiBps), false); // 300 ms left
  assert.equal(worthStealing(MiBps, 500 * MiBps), true); // 500 ms left
});

test("a straggler needs over 500 ms and over twice the idle lane's time", () => {
  const left = 1024 * 1024;
  assert.equal(isStraggler(undefined, 4 * MiBps, left), false);
  assert.equal(isStraggler(64, undefined, left), false);
  assert.equal(isStraggler(64, 4 * MiBps, left), true); // 16 s against 0.25 s
  assert.equal(isStraggler(3 * MiBps, 4 * MiBps, 4 * left), false); // 1.4 s, but under twice 1 s
  assert.equal(isStraggler(64, 4 * MiBps, 16 * 1024), false); // 250 ms: finishing anyway
});

test("steal minimum: 150 ms of the thief's transfer, at least 64 KiB", () => {
  assert.equal(stealMinimum(1), MIN_STEAL);
  assert.equal(stealMinimum(8 * MiBps), 8 * MiBps * 150);
});
