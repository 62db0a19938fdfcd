import assert from "node:assert/strict";
import { test } from "node:test";
import { ifRangeHolds, parseRange, type RangeRequest } from "../../src/server/ranges.js";

const one = (start: number, end: number): RangeRequest => ({
  kind: "satisfiable",
  ranges: [{ start, end }],
});

test("parseRange reads the single-range forms and clamps to the file", () => {
  const cases: [string | undefined, RangeRequest][] = [
    [undefined, { kind: "none" }],
    ["bytes=0-99", one(0, 99)],
    ["bytes=100-", one(100, 999)],
    ["bytes=-100", one(900, 999)],
    ["bytes=-5000", one(0, 999)],
    ["bytes=990-5000", one(990, 999)],
    ["Bytes = 1-2", one(1, 2)],
    ["bytes=0-0,", one(0, 0)],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=2000-3000", { kind: "unsatisfiable" }],
    // Syntax the server must ignore: answered 200.
    ["bytes=5-1", { kind: "none" }],
    ["bytes=", { kind: "none" }],
    ["bytes=-", { kind: "none" }],
    ["bytes=a-b", { kind: "none" }],
    ["items=0-1", { kind: "none" }],
  ];
  for (const [header, expected] of cases)
    assert.deepEqual(parseRange(header, 1000), expected, header);
});

test("parseRange keeps every satisfiable range of a multi-range request", () => {
  assert.deepEqual(parseRange("bytes=0-9, 2000-3000, -10", 1000), {
    kind: "satisfiable",
    ranges: [
      { start: 0, end: 9 },
      { start: 990, end: 999 },
    ],
  });
  assert.deepEqual(parseRange("bytes=2000-,3000-", 1000), { kind: "unsatisfiable" });
});

test("an empty file satisfies no range", () => {
  assert.deepEqual(parseRange("bytes=0-", 0), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=-1", 0), { kind: "unsatisfiable" });
});

test("If-Range holds only for an exact strong ETag or the exact Last-Modified", () => {
  const date = new Date("2024-01-02T03:04:05Z");
  const http = date.toUTCString();
  assert.equal(ifRangeHolds(undefined, '"a"', date), true);
  assert.equal(ifRangeHolds('"a"', '"a"', date), true);
  assert.equal(ifRangeHolds('"b"', '"a"', date), false);
  assert.equal(ifRangeHolds('W/"a"', 'W/"a"', date), false);
  assert.equal(ifRangeHolds('"a"', 'W/"a"', date), false);
  assert.equal(ifRangeHolds('"a"', undefined, date), false);
  assert.equal(ifRangeHolds(http, '"a"', date), true);
  assert.equal(ifRangeHolds(new Date(date.getTime() + 1000).toUTCString(), '"a"', date), false);
  assert.equal(ifRangeHolds(http, '"a"', undefined), false);
  assert.equal(ifRangeHolds("not a date", '"a"', date), false);
});
