import { test } from "node:test";
import assert from "node:assert/strict";
import {
  compareValidators,
  ifRangeValue,
  interpretRangeResponse,
  validatorsOf,
} from "../../src/core/validators.js";

const DATE = "Tue, 01 Sep 2026 10:00:00 GMT";
const v = (etag: string | null, lastModified: string | null, size: number | null = 100) => ({
  etag,
  lastModified,
  size,
});

test("If-Range uses a strong ETag, else Last-Modified, never a weak ETag", () => {
  assert.equal(ifRangeValue(v('"a"', DATE)), '"a"');
  assert.equal(ifRangeValue(v('W/"a"', DATE)), DATE);
  assert.equal(ifRangeValue(v('W/"a"', null)), undefined);
  assert.equal(ifRangeValue(v(null, null)), undefined);
});

test("validator comparison", () => {
  const cases: [ReturnType<typeof v>, ReturnType<typeof v>, string][] = [
    [v('"a"', DATE), v('"a"', DATE), "same"],
    [v('"a"', DATE), v('"a"', DATE, 101), "changed"],
    [v('"a"', DATE), v('"b"', DATE), "etag-flipped"],
    [v('"a"', null), v('"b"', null), "changed"],
    [v('"a"', DATE), v('"a"', "Wed, 02 Sep 2026 10:00:00 GMT"), "changed"],
    [v('"a"', DATE), v(null, DATE), "same"],
    [v(null, null), v(null, null, null), "same"],
  ];
  for (const [expected, actual, verdict] of cases) {
    assert.equal(compareValidators(expected, actual), verdict, JSON.stringify([expected, actual]));
  }
});

test("validatorsOf reads ETag and Last-Modified", () => {
  assert.deepEqual(validatorsOf({ etag: '"x"', "last-modified": DATE }, 5), v('"x"', DATE, 5));
});

test("a 206 is accepted only for exactly the range asked", () => {
  const ok = interpretRangeResponse(
    206,
    { "content-range": "bytes 10-19/100", "content-length": "10" },
    { start: 10, end: 20 },
  );
  assert.deepEqual(ok, { kind: "partial", size: 100 });
  const open = interpretRangeResponse(206, { "content-range": "bytes 0-99/100" }, { start: 0 });
  assert.deepEqual(open, { kind: "partial", size: 100 });
  const clipped = interpretRangeResponse(
    206,
    { "content-range": "bytes 90-99/100" },
    { start: 90, end: 120 },
  );
  assert.deepEqual(clipped, { kind: "partial", size: 100 });
  for (const [headers, asked] of [
    [{ "content-range": "bytes 11-20/100" }, { start: 10, end: 20 }],
    [{ "content-range": "bytes 10-18/100" }, { start: 10, end: 20 }],
    [{ "content-range": "bytes 10-19/*" }, { start: 10, end: 20 }],
    [{}, { start: 10, end: 20 }],
    [
      { "content-range": "bytes 10-19/100", "content-length": "9" },
      { start: 10, end: 20 },
    ],
    [
      { "content-range": "bytes 10-19/100", "content-type": "multipart/byteranges; boundary=x" },
      { start: 10, end: 20 },
    ],
  ] as const) {
    assert.equal(interpretRangeResponse(206, headers, asked).kind, "bad", JSON.stringify(headers));
  }
});

test("200 means the whole file; 416 carries the current size", () => {
  assert.deepEqual(interpretRangeResponse(200, { "content-length": "42" }, { start: 0 }), {
    kind: "full",
    size: 42,
  });
  assert.deepEqual(interpretRangeResponse(200, {}, { start: 0 }), { kind: "full", size: null });
  assert.deepEqual(interpretRangeResponse(416, { "content-range": "bytes */0" }, { start: 0 }), {
    kind: "unsatisfiable",
    size: 0,
  });
});
