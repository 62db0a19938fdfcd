import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isRetryableStatus, retryDelay } from "../../src/core/retry.js";

const almostOne = 1 - Number.EPSILON;

test("retryDelay backs off exponentially with full jitter, capped at 15 s", () => {
  const cases: [attempt: number, random: number, expected: number][] = [
    [1, 0, 0],
    [1, 0.5, 125],
    [1, almostOne, 249],
    [2, almostOne, 499],
    [3, 0.5, 500],
    [4, almostOne, 1999],
    [6, almostOne, 7999],
    [7, almostOne, 15_000 - 1],
    [7, 0.5, 7500],
    [8, 0.5, 7500],
    [50, 0.5, 7500],
    [2000, 0.5, 7500],
  ];
  for (const [attempt, random, expected] of cases) {
    assert.equal(
      retryDelay({ attempt, retries: 10_000, random: () => random }),
      expected,
      `${attempt}`,
    );
  }
});

test("retryDelay honours Retry-After and gives up", () => {
  const cases: [
    input: { attempt: number; retries: number; retryAfterMs?: number },
    expected: number | "give-up",
  ][] = [
    [{ attempt: 1, retries: 0 }, "give-up"],
    [{ attempt: 6, retries: 5 }, "give-up"],
    [{ attempt: 5, retries: 5 }, 2000],
    [{ attempt: 1, retries: 5, retryAfterMs: 0 }, 125],
    [{ attempt: 1, retries: 5, retryAfterMs: 10_000 }, 10_000],
    [{ attempt: 8, retries: 10, retryAfterMs: 1000 }, 7500],
    [{ attempt: 1, retries: 5, retryAfterMs: 300_000 }, 300_000],
    [{ attempt: 1, retries: 5, retryAfterMs: 300_001 }, "give-up"],
    [{ attempt: 6, retries: 5, retryAfterMs: 1000 }, "give-up"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(retryDelay({ ...input, random: () => 0.5 }), expected, JSON.stringify(input));
  }
});

test("retryDelay stays within [Retry-After, max(Retry-After, ceiling))", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: undefined }),
      (attempt, random, retryAfterMs) => {
        const delay = retryDelay({ attempt, retries: 100, retryAfterMs, random: () => random });
        assert.equal(typeof delay, "number");
        const ceiling = Math.min(15_000, 250 * 2 ** (attempt - 1));
        assert.ok(Number.isInteger(delay));
        assert.ok((delay as number) >= (retryAfterMs ?? 0));
        assert.ok((delay as number) < Math.max(ceiling, (retryAfterMs ?? 0) + 1));
      },
    ),
  );
});

test("isRetryableStatus", () => {
  const cases: [number, boolean][] = [
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [599, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [410, false],
    [416, false],
    [200, false],
    [206, false],
    [301, false],
    [600, false],
  ];
  for (const [status, expected] of cases)
    assert.equal(isRetryableStatus(status), expected, `${status}`);
});
