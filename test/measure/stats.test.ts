import assert from "node:assert/strict";
import { test } from "node:test";
import { median, medianOfKnown, spreadOf } from "../../src/measure/stats.js";

test("median: the middle value, or the mean of the two middle ones, whatever the order", () => {
  assert.equal(median([3]), 3);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});

test("medianOfKnown: unknown and non-finite values do not count; none known is undefined", () => {
  assert.equal(medianOfKnown([undefined, 4, NaN, 2, Infinity]), 3);
  assert.equal(medianOfKnown([undefined]), undefined);
  assert.equal(medianOfKnown([]), undefined);
});

test("spreadOf: median, min, max, and the range as a share of the median", () => {
  assert.deepEqual(spreadOf([24, 60, 40]), {
    median: 40,
    min: 24,
    max: 60,
    spread: 0.9,
    count: 3,
  });
  assert.deepEqual(spreadOf([7]), { median: 7, min: 7, max: 7, spread: 0, count: 1 });
  assert.equal(spreadOf([0, 0]).spread, 0, "no division by a zero median");
  assert.throws(() => spreadOf([]), RangeError);
});
