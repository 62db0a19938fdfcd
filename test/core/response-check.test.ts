import { test } from "node:test";
import assert from "node:assert/strict";
import { checkResponse, type ResponseCheck } from "../../src/core/response-check.js";

const DATE = "Tue, 01 Sep 2026 10:00:00 GMT";
const LATER = "Wed, 02 Sep 2026 10:00:00 GMT";
const held = {
  validators: { etag: '"a"', lastModified: DATE, size: 100 },
  digests: [{ algorithm: "md5", hex: "aa" }],
};
const range = (start: number, end: number, size = 100) => ({
  "content-range": `bytes ${start}-${end}/${size}`,
});
const tagged = (etag: string, lastModified = DATE) => ({ etag, "last-modified": lastModified });

/** [what the case is, the response and what was asked, the verdict's kind, more of the verdict] */
const cases: [string, ResponseCheck, string, Record<string, unknown>?][] = [
  [
    "a fresh first request, 206",
    { status: 206, headers: range(0, 99), digests: [], asked: { start: 0 }, wholeFile: true },
    "write",
    { status: 206, size: 100, otherTag: false },
  ],
  [
    "a fresh first request, 200",
    {
      status: 200,
      headers: { "content-length": "7" },
      digests: [],
      asked: { start: 0 },
      wholeFile: true,
    },
    "write",
    { status: 200, size: 7 },
  ],
  [
    "a fresh first request, 416",
    {
      status: 416,
      headers: { "content-range": "bytes */0" },
      digests: [],
      asked: { start: 0 },
      wholeFile: true,
    },
    "unsatisfiable",
    { size: 0 },
  ],
  [
    "the same version, exactly the range asked",
    {
      status: 206,
      headers: { ...range(10, 19), ...tagged('"a"') },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "write",
    { status: 206, otherTag: false },
  ],
  [
    "a shifted range",
    {
      status: 206,
      headers: { ...range(11, 20), ...tagged('"a"') },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "bad",
  ],
  [
    "a short range",
    {
      status: 206,
      headers: { ...range(10, 15), ...tagged('"a"') },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "bad",
  ],
  [
    "another status",
    {
      status: 204,
      headers: {},
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "bad",
  ],
  [
    "another length",
    {
      status: 206,
      headers: { ...range(10, 19, 101), ...tagged('"a"') },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "changed",
  ],
  [
    "another Last-Modified",
    {
      status: 206,
      headers: { ...range(10, 19), ...tagged('"a"', LATER) },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "changed",
  ],
  [
    "only the ETag changed, nothing proves the bytes: a change, with both tags",
    {
      status: 206,
      headers: { ...range(10, 19), ...tagged('"b"') },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "changed",
    { etags: { held: '"a"', seen: '"b"' } },
  ],
  [
    "only the ETag changed, another digest: a change",
    {
      status: 206,
      headers: { ...range(10, 19), ...tagged('"b"') },
      digests: [{ algorithm: "md5", hex: "bb" }],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "changed",
  ],
  [
    "only the ETag changed, the same digest: the same bytes, under another tag",
    {
      status: 206,
      headers: { ...range(10, 19), ...tagged('"b"') },
      digests: [{ algorithm: "md5", hex: "aa" }],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "write",
    { otherTag: true },
  ],
  [
    "a 200 of the same version where a range was needed",
    {
      status: 200,
      headers: { "content-length": "100", ...tagged('"a"') },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "whole-file",
  ],
  [
    "a 200 of another version where a range was needed: a change first",
    {
      status: 200,
      headers: { "content-length": "100", ...tagged('"b"') },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "changed",
  ],
  [
    "a 200 of the same version from byte 0",
    {
      status: 200,
      headers: { "content-length": "100", ...tagged('"a"') },
      digests: [],
      asked: { start: 0, end: 20 },
      version: held,
      wholeFile: true,
    },
    "write",
    { status: 200, size: 100 },
  ],
  [
    "a 416 while a version is held: the file is shorter",
    {
      status: 416,
      headers: { "content-range": "bytes */5" },
      digests: [],
      asked: { start: 10, end: 20 },
      version: held,
      wholeFile: false,
    },
    "changed",
  ],
];

test("checkResponse: may this response be written", () => {
  for (const [name, input, kind, more] of cases) {
    const verdict = checkResponse(input);
    assert.equal(verdict.kind, kind, `${name}: ${JSON.stringify(verdict)}`);
    for (const [key, value] of Object.entries(more ?? {})) {
      assert.deepEqual((verdict as Record<string, unknown>)[key], value, `${name}: ${key}`);
    }
  }
});
