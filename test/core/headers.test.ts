import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatRange,
  isWeakEtag,
  parseContentDisposition,
  parseContentLength,
  parseContentRange,
  parseRetryAfter,
} from "../../src/core/headers.js";

test("parseContentRange", () => {
  const cases: [string | undefined, ReturnType<typeof parseContentRange>][] = [
    ["bytes 0-499/1234", { start: 0, end: 499, size: 1234 }],
    ["bytes 500-1233/1234", { start: 500, end: 1233, size: 1234 }],
    ["bytes 0-0/1", { start: 0, end: 0, size: 1 }],
    ["bytes 0-499/*", { start: 0, end: 499, size: null }],
    ["Bytes 0-499/1234", { start: 0, end: 499, size: 1234 }],
    ["  bytes 0-499/1234  ", { start: 0, end: 499, size: 1234 }],
    ["bytes */1234", { unsatisfied: true, size: 1234 }],
    ["bytes */0", { unsatisfied: true, size: 0 }],
    [
      `bytes 0-${Number.MAX_SAFE_INTEGER - 1}/${Number.MAX_SAFE_INTEGER}`,
      { start: 0, end: Number.MAX_SAFE_INTEGER - 1, size: Number.MAX_SAFE_INTEGER },
    ],
    [undefined, null],
    ["", null],
    ["bytes", null],
    ["bytes 0-499", null],
    ["bytes=0-499/1234", null],
    ["items 0-499/1234", null],
    ["bytes 0-499/1234, bytes 0-499/1234", null],
    ["bytes 500-499/1234", null],
    ["bytes 0-1234/1234", null],
    ["bytes 0-2000/1234", null],
    ["bytes -1-499/1234", null],
    ["bytes 0-+499/1234", null],
    ["bytes 0x0-499/1234", null],
    ["bytes 0.0-499/1234", null],
    ["bytes 0 - 499/1234", null],
    ["bytes 0-499/12a4", null],
    ["bytes */*", null],
    ["bytes *-*/1234", null],
    ["bytes 0-499/-1", null],
    ["bytes 0-499/9007199254740993", null],
    ["bytes 0-9007199254740992/*", null],
    [`bytes 0-1/${"9".repeat(400)}`, null],
    [`bytes */${"9".repeat(30)}`, null],
  ];
  for (const [value, expected] of cases) {
    assert.deepEqual(parseContentRange(value), expected, String(value));
  }
});

test("parseContentRange reads back every well-formed range", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: 1, max: 2 ** 40 }),
      (start, length, extra) => {
        const end = start + length;
        const size = end + extra;
        assert.deepEqual(parseContentRange(`bytes ${start}-${end}/${size}`), { start, end, size });
      },
    ),
  );
});

test("formatRange", () => {
  assert.equal(formatRange(0), "bytes=0-");
  assert.equal(formatRange(1234), "bytes=1234-");
  assert.equal(formatRange(10, 20), "bytes=10-19");
  assert.equal(formatRange(0, 1), "bytes=0-0");
  for (const [start, end] of [
    [-1, undefined],
    [1.5, undefined],
    [10, 10],
    [10, 9],
    [0, Infinity],
  ] as const) {
    assert.throws(() => formatRange(start, end), RangeError, `${start}, ${end}`);
  }
});

test("parseRetryAfter", () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ["", undefined],
    ["0", 0],
    ["120", 120_000],
    [" 5 ", 5000],
    ["Wed, 21 Oct 2015 07:28:00 GMT", 0],
    ["Wed, 21 Oct 2015 07:28:30 GMT", 30_000],
    ["Wed, 21 Oct 2015 07:27:00 GMT", 0],
    ["Thu, 22 Oct 2015 07:28:00 GMT", 86_400_000],
    ["wed, 21 oct 2015 07:29:00 gmt", 60_000],
    ["Wednesday, 21-Oct-15 07:29:00 GMT", 60_000],
    ["Wed Oct 21 07:29:00 2015", 60_000],
    ["Wed Oct  1 07:29:00 2015", 0],
    ["Thu Nov  5 07:28:00 2015", 15 * 86_400_000],
    ["Wed, 21 Oct 2015 07:29:00 +0000", undefined],
    ["Wed, 21 Oct 2015 07:29:00", undefined],
    ["2015-10-21T07:29:00Z", undefined],
    ["Wed, 31 Feb 2015 07:29:00 GMT", undefined],
    ["Wed, 21 Oct 2015 24:00:00 GMT", undefined],
    ["Wed, 21 Foo 2015 07:29:00 GMT", undefined],
    ["-5", undefined],
    ["1.5", undefined],
    ["5s", undefined],
    ["soon", undefined],
    ["1", 1000],
  ];
  for (const [value, expected] of cases) {
    assert.equal(parseRetryAfter(value, now), expected, String(value));
  }
  assert.equal(parseRetryAfter("9".repeat(400), now), undefined);
});

test("parseRetryAfter reads two-digit RFC 850 years within 50 years of now", () => {
  const in2090 = Date.UTC(2090, 0, 1);
  // In 2090, "40" is more than 50 years ahead (2140), so it means 2040: already past.
  assert.equal(parseRetryAfter("Sunday, 01-Jan-40 00:00:00 GMT", in2090), 0);
  assert.equal(parseRetryAfter("Monday, 01-Jan-90 00:00:10 GMT", in2090), 10_000);
  const in2015 = Date.UTC(2015, 0, 1);
  assert.equal(parseRetryAfter("Thursday, 01-Jan-15 00:00:10 GMT", in2015), 10_000);
});

test("parseContentLength", () => {
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ["0", 0],
    ["1234", 1234],
    [" 1234 ", 1234],
    ["1234, 1234", 1234],
    ["1234, 1235", undefined],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ["9007199254740993", undefined],
    ["", undefined],
    ["-1", undefined],
    ["+1", undefined],
    ["1.0", undefined],
    ["1e3", undefined],
    ["0x10", undefined],
    ["12 34", undefined],
  ];
  for (const [value, expected] of cases) {
    assert.equal(parseContentLength(value), expected, String(value));
  }
});

test("isWeakEtag", () => {
  assert.equal(isWeakEtag('W/"abc"'), true);
  assert.equal(isWeakEtag(' W/"abc"'), true);
  assert.equal(isWeakEtag('"abc"'), false);
  assert.equal(isWeakEtag('"W/abc"'), false);
  assert.equal(isWeakEtag('w/"abc"'), false);
});

test("parseContentDisposition", () => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ["", undefined],
    ["inline", undefined],
    ["attachment", undefined],
    ["attachment; filename=example.html", "example.html"],
    ['attachment; filename="example.html"', "example.html"],
    ['attachment; FILENAME="example.html"', "example.html"],
    ['attachment;filename="example.html"', "example.html"],
    ['attachment; filename = "example.html" ', "example.html"],
    ['inline; filename="report.pdf"', "report.pdf"],
    ['attachment; filename="a;b.txt"', "a;b.txt"],
    ['attachment; filename="a\\"b\\\\c.txt"', 'a"b\\c.txt'],
    ['attachment; filename="a,b=c.txt"; size=12', "a,b=c.txt"],
    ["attachment; filename=my file.txt", "my file.txt"],
    ["attachment; filename=my file.txt; size=3", "my file.txt"],
    ['attachment; size=3; filename="late.txt"', "late.txt"],
    ['attachment; filename="first.txt"; filename="second.txt"', "first.txt"],
    ['attachment; filename=""', undefined],
    ['attachment; filename="unterminated.txt', undefined],
    ['attachment; foo="x;filename=evil.txt"; filename="good.txt"', "good.txt"],
    ['attachment; foo="x;filename=evil.txt"', undefined],
    ['attachment; novalue; filename="ok.txt"', "ok.txt"],
    ["filename=typeless.txt", "typeless.txt"],
    // RFC 8187 ext-values, preferred whatever the order.
    ["attachment; filename*=UTF-8''%e2%82%ac%20rates.txt", "€ rates.txt"],
    ["attachment; filename*=utf-8''%E2%82%AC%20rates.txt", "€ rates.txt"],
    [
      "attachment; filename=\"EURO rates.txt\"; filename*=utf-8''%e2%82%ac%20rates.txt",
      "€ rates.txt",
    ],
    [
      "attachment; filename*=utf-8''%e2%82%ac%20rates.txt; filename=\"EURO rates.txt\"",
      "€ rates.txt",
    ],
    ["attachment; FileName*=UTF-8''x.txt", "x.txt"],
    ["attachment; filename*=iso-8859-1'en'%A3%20rates.txt", "£ rates.txt"],
    ["attachment; filename*=ISO-8859-1''caf%E9.txt", "café.txt"],
    ["attachment; filename*=UTF-8'en-gb'caf%C3%A9.txt", "café.txt"],
    ["attachment; filename*=\"UTF-8''quoted%20ext.txt\"", "quoted ext.txt"],
    ["attachment; filename*=UTF-8''%2e%2e%2fx", "../x"],
    ["attachment; filename*=UTF-8''a%00b", "a\u0000b"],
    // Broken ext-values fall back to filename.
    ["attachment; filename*=UTF-8''%e2%82; filename=fallback.txt", "fallback.txt"],
    ["attachment; filename*=UTF-8''%zz; filename=fallback.txt", "fallback.txt"],
    ["attachment; filename*=UTF-8''50%; filename=fallback.txt", "fallback.txt"],
    ["attachment; filename*=koi8-r''%c1; filename=fallback.txt", "fallback.txt"],
    ["attachment; filename*=no-quotes.txt; filename=fallback.txt", "fallback.txt"],
    ["attachment; filename*=UTF-8''; filename=fallback.txt", "fallback.txt"],
    ["attachment; filename*=UTF-8''caf\u00e9.txt; filename=fallback.txt", "fallback.txt"],
    ["attachment; filename*=UTF-8''%e2%82", undefined],
    // Raw UTF-8 arrives as Latin-1 characters; it is read as UTF-8 when it is valid UTF-8.
    ['attachment; filename="caf\u00c3\u00a9.txt"', "café.txt"],
    ['attachment; filename="caf\u00e9.txt"', "café.txt"],
    ['attachment; filename="\u20ac.txt"', "€.txt"],
    // Returned raw: sanitising is not this parser's job.
    ['attachment; filename="../../etc/passwd"', "../../etc/passwd"],
    ['attachment; filename="..\\\\..\\\\boot.ini"', "..\\..\\boot.ini"],
  ];
  for (const [value, expected] of cases) {
    assert.equal(parseContentDisposition(value), expected, String(value));
  }
});

test("parseContentDisposition reads back any quoted name", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme-ascii", minLength: 1 }), fc.boolean(), (name, ext) => {
      const quoted = `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
      const encoded = `UTF-8''${encodeURIComponent(name)}`;
      const header = ext
        ? `attachment; filename="fallback"; filename*=${encoded}`
        : `attachment; x="y;z"; filename=${quoted}; size=1`;
      assert.equal(parseContentDisposition(header), name);
    }),
  );
});
