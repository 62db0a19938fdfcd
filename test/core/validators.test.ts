import { test } from "node:test";
import assert from "node:assert/strict";
import {
  compareValidators,
  ifRangeValue,
  sameDigests,
  interpretRangeResponse,
  validatorsOf,
} from "../../src/core/validators.js";

const DATE = "Tue, 01 Sep 2026 10:00:00 GMT";
const v = (etag: string | null, lastModified: string | null, size: number | null = 100) => ({
  etag,
  lastModified,
  size,
});

test("If-Range: a strong ETag; a date only when no ETag is held; never a weak ETag", () => {
  assert.equal(ifRangeValue(v('"a"', DATE)), '"a"');
  // RFC 9110 §13.1.5: no date while an entity tag is held, and a weak one cannot be sent.
  assert.equal(ifRangeValue(v('W/"a"', DATE)), undefined);
  assert.equal(ifRangeValue(v(null, DATE)), DATE);
  assert.equal(ifRangeValue(v('W/"a"', null)), undefined);
  assert.equal(ifRangeValue(v(null, null)), undefined);
});

test("validator comparison", () => {
  const cases: [ReturnType<typeof v>, ReturnType<typeof v>, string][] = [
    [v('"a"', DATE), v('"a"', DATE), "same"],
    [v('"a"', DATE), v('"a"', DATE, 101), "changed"],
    [v('"a"', DATE), v('"b"', DATE), "etag-changed"],
    [v('W/"a"', DATE), v('W/"b"', DATE), "etag-changed"],
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

test("digests prove the same bytes only when one algorithm is announced by both, and agrees", () => {
  const md5 = (hex: string) => ({ algorithm: "md5", hex });
  const crc = (hex: string) => ({ algorithm: "crc32c", hex });
  const cases: [ReturnType<typeof md5>[], ReturnType<typeof md5>[], boolean][] = [
    [[md5("aa")], [md5("aa")], true],
    [[md5("aa")], [md5("bb")], false],
    [[md5("aa")], [crc("aa")], false],
    [[], [md5("aa")], false],
    [[md5("aa"), crc("01")], [md5("aa"), crc("02")], false],
    [[md5("aa"), crc("01")], [crc("01")], true],
  ];
  for (const [a, b, same] of cases) assert.equal(sameDigests(a, b), same, JSON.stringify([a, b]));
});
