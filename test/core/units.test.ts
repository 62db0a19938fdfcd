import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatBytes, formatDuration, parseSize } from "../../src/core/units.js";
import { UsageError } from "../../src/errors.js";

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

test("parseSize accepts plain numbers and binary suffixes", () => {
  const cases: [string, number][] = [
    ["1048576", 1048576],
    ["1", 1],
    ["1M", MiB],
    ["1m", MiB],
    ["512K", 512 * KiB],
    ["64k", 64 * KiB],
    ["1.5G", 1.5 * GiB],
    ["4MiB", 4 * MiB],
    ["4MB", 4 * MiB],
    ["4mib", 4 * MiB],
    ["4Mi", 4 * MiB],
    ["4mb", 4 * MiB],
    ["2T", 2 * TiB],
    ["2TiB", 2 * TiB],
    ["100B", 100],
    ["100b", 100],
    [".5K", 512],
    ["0.5k", 512],
    ["  8M  ", 8 * MiB],
    ["8 M", 8 * MiB],
    ["007", 7],
  ];
  for (const [text, expected] of cases) assert.equal(parseSize(text), expected, text);
});

test("parseSize rejects anything that is not a positive whole number of bytes", () => {
  const cases: [string, RegExp][] = [
    ["abc", /invalid size "abc": use a number with an optional K, M, G or T suffix/],
    ["", /invalid size ""/],
    ["-1", /use a number/],
    ["+1", /use a number/],
    ["1e6", /use a number/],
    ["1P", /use a number/],
    ["1KK", /use a number/],
    ["1iB", /use a number/],
    ["1.", /use a number/],
    ["1,5M", /use a number/],
    ["0x10", /use a number/],
    ["Infinity", /use a number/],
    ["NaN", /use a number/],
    ["0", /greater than zero/],
    ["0M", /greater than zero/],
    ["0.0001", /whole number/],
    ["1.5", /whole number/],
    ["1.3K", /whole number/],
    ["9007199254740993", /too large/],
    ["8192T", /too large/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseSize(text),
      (error: unknown) => {
        assert.ok(error instanceof UsageError, text);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, message, text);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  }
});

test("parseSize round-trips any safe size written in any unit", () => {
  const suffixes = ["", "K", "M", "G", "T"];
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 0, max: 4 }),
      fc.constantFrom("", "i", "iB", "B"),
      (bytes, power, tail) => {
        const amount = String(bytes / 1024 ** power);
        fc.pre(!amount.includes("e"));
        const text = `${amount}${suffixes[power]}${power === 0 ? "" : tail}`;
        assert.equal(parseSize(text), bytes, text);
      },
    ),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (bytes) => {
      assert.equal(parseSize(String(bytes)), bytes);
    }),
  );
});

test("formatBytes", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1.00 KiB"],
    [1536, "1.50 KiB"],
    [10 * KiB, "10.0 KiB"],
    [999 * KiB, "999 KiB"],
    [1000 * KiB, "1000 KiB"],
    [1023 * KiB, "1023 KiB"],
    [1023.7 * KiB, "1.00 MiB"],
    [12.3 * MiB, "12.3 MiB"],
    [GiB, "1.00 GiB"],
    [1.5 * TiB, "1.50 TiB"],
    [Number.MAX_SAFE_INTEGER, "8.00 PiB"],
    [2 ** 60, "1024 PiB"],
  ];
  for (const [n, expected] of cases) assert.equal(formatBytes(n), expected, String(n));
  for (const bad of [-1, NaN, Infinity]) assert.throws(() => formatBytes(bad), RangeError);
});

test("formatBytes never shows more than four digits before the unit", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (n) => {
      assert.match(formatBytes(n), /^\d{1,4}(\.\d+)? (B|KiB|MiB|GiB|TiB|PiB)$/);
    }),
  );
});

test("formatDuration", () => {
  const cases: [number, string][] = [
    [0, "0:00"],
    [7, "0:07"],
    [7.4, "0:07"],
    [59.6, "1:00"],
    [65, "1:05"],
    [3599, "59:59"],
    [3600, "1:00:00"],
    [3909, "1:05:09"],
    [100 * 3600, "100:00:00"],
    [Infinity, "--:--"],
    [NaN, "--:--"],
    [-1, "--:--"],
  ];
  for (const [seconds, expected] of cases)
    assert.equal(formatDuration(seconds), expected, String(seconds));
});
