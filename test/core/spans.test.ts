import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { coarsenSpans } from "../../src/core/spans.js";

const span = (start: number, end: number) => ({ start, end });

test("spans: sorted and joined where they touch; few enough are kept exact", () => {
  assert.deepEqual(coarsenSpans([span(10, 20), span(0, 5), span(5, 8), span(30, 30)]), [
    [0, 8],
    [10, 20],
  ]);
  assert.deepEqual(coarsenSpans([]), []);
});

test("spans: past the cap, the narrowest gaps close first", () => {
  // Gaps of 1, 5 and 2 bytes: with two spans allowed, only the widest (5) stays.
  const spans = [span(0, 10), span(11, 20), span(25, 30), span(32, 40)];
  assert.deepEqual(coarsenSpans(spans, 2), [
    [0, 20],
    [25, 40],
  ]);
  assert.deepEqual(coarsenSpans(spans, 1), [[0, 40]]);
});

test("spans: at most max, covering every written byte, the widest gaps exact", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(10_000), fc.nat(500)), { maxLength: 200 }),
      fc.integer({ min: 1, max: 50 }),
      (pairs, max) => {
        const spans = pairs.map(([start, length]) => span(start, start + length));
        const out = coarsenSpans(spans, max);
        assert.ok(out.length <= max);
        for (let i = 1; i < out.length; i++) assert.ok(out[i]![0] > out[i - 1]![1]);
        for (const s of spans) {
          if (s.end === s.start) continue;
          assert.ok(
            out.some(([a, b]) => a <= s.start && s.end <= b),
            `${s.start}-${s.end}`,
          );
        }
        // Every gap left is a true gap: no written byte lies in it.
        for (let i = 1; i < out.length; i++) {
          const [from, to] = [out[i - 1]![1], out[i]![0]];
          assert.ok(spans.every((s) => s.end <= from || s.start >= to || s.end === s.start));
        }
      },
    ),
  );
});
