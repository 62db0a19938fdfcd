import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MAX_HEAD_BYTES,
  headEnd,
  parseResponseHead,
  type HeadVerdict,
} from "../../src/core/response-head.js";

const bytes = (text: string): Uint8Array => Buffer.from(text, "latin1");
const parse = (text: string): HeadVerdict => parseResponseHead(bytes(text));

const OK =
  "HTTP/1.1 206 Partial Content\r\ncontent-length: 10\r\ncontent-range: bytes 0-9/100\r\n\r\n";

/** [what the case is, the head, "odd" | "incomplete" | the fields expected of the head] */
const cases: [string, string, "odd" | "incomplete" | Record<string, unknown>][] = [
  ["a 206", OK, { status: 206, contentLength: 10, keepAlive: true, headLength: OK.length }],
  [
    "a 200, names lower-cased, leading whitespace dropped, trailing kept",
    'HTTP/1.1 200 OK\r\nContent-Length:  7\r\nETag:\t"a" \r\n\r\n',
    { status: 200, headers: { "content-length": "7", etag: '"a" ' } },
  ],
  [
    "repeated headers joined",
    "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-a: 1\r\nX-A: 2\r\n\r\n",
    { headers: { "content-length": "0", "x-a": "1, 2" } },
  ],
  ["no reason phrase", "HTTP/1.1 200\r\ncontent-length: 0\r\n\r\n", { status: 200 }],
  ["an empty reason phrase", "HTTP/1.1 200 \r\ncontent-length: 0\r\n\r\n", { status: 200 }],
  [
    "a 416",
    "HTTP/1.1 416 R\r\ncontent-length: 3\r\ncontent-range: bytes */9\r\n\r\n",
    { status: 416 },
  ],
  [
    "a redirect",
    "HTTP/1.1 302 Found\r\nlocation: /x\r\ncontent-length: 0\r\n\r\n",
    { status: 302 },
  ],
  ["an error", "HTTP/1.1 503 Busy\r\nretry-after: 1\r\ncontent-length: 4\r\n\r\n", { status: 503 }],
  [
    "Connection: close",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
    { keepAlive: false },
  ],
  [
    "HTTP/1.0 closes",
    "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n",
    { minor: 0, keepAlive: false },
  ],
  [
    "HTTP/1.0 with keep-alive",
    "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n",
    { keepAlive: true },
  ],
  [
    "a multipart 206 (no Content-Range) is framed by its length",
    "HTTP/1.1 206 P\r\ncontent-type: multipart/byteranges; boundary=x\r\ncontent-length: 5\r\n\r\n",
    { status: 206 },
  ],
  ["not yet ended", "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n", "incomplete"],
  ["nothing yet", "", "incomplete"],
  [
    "chunked: no length, the decoder frames it",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n",
    { contentLength: null, keepAlive: true },
  ],
  ["chunked on HTTP/1.0", "HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", "odd"],
  ["a coding but chunked", "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n", "odd"],
  [
    "two Transfer-Encodings",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
    "odd",
  ],
  ["chunked 204", "HTTP/1.1 204 N\r\ntransfer-encoding: chunked\r\n\r\n", "odd"],
  [
    "chunked beside a length",
    "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
    "odd",
  ],
  ["no length", "HTTP/1.1 200 OK\r\n\r\n", "odd"],
  [
    "two lengths, equal",
    "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 5\r\n\r\n",
    "odd",
  ],
  ["a length list", "HTTP/1.1 200 OK\r\ncontent-length: 5, 5\r\n\r\n", "odd"],
  ["a signed length", "HTTP/1.1 200 OK\r\ncontent-length: +5\r\n\r\n", "odd"],
  ["a hex length", "HTTP/1.1 200 OK\r\ncontent-length: 0x5\r\n\r\n", "odd"],
  ["an unsafe length", "HTTP/1.1 200 OK\r\ncontent-length: 9999999999999999\r\n\r\n", "odd"],
  ["a length with trailing space", "HTTP/1.1 200 OK\r\ncontent-length: 5 \r\n\r\n", "odd"],
  ["an empty length", "HTTP/1.1 200 OK\r\ncontent-length:\r\n\r\n", "odd"],
  ["obs-fold", "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: 1\r\n 2\r\n\r\n", "odd"],
  ["bare LF line ends", "HTTP/1.1 200 OK\ncontent-length: 0\n\n", "odd"],
  ["a bare LF inside", "HTTP/1.1 200 OK\r\nx: a\nb\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["a bare CR inside", "HTTP/1.1 200 OK\r\nx: a\rb\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["a NUL in a value", "HTTP/1.1 200 OK\r\nx: a\0b\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["obs-text in a value", "HTTP/1.1 200 OK\r\nx: caf\xe9\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["space before the colon", "HTTP/1.1 200 OK\r\ncontent-length : 0\r\n\r\n", "odd"],
  ["no colon", "HTTP/1.1 200 OK\r\ncontent-length 0\r\n\r\n", "odd"],
  ["an empty name", "HTTP/1.1 200 OK\r\n: x\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["HTTP/2", "HTTP/2 200 OK\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["HTTP/1.2", "HTTP/1.2 200 OK\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["lower-case protocol", "http/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", "odd"],
  [
    "a 1xx first",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
    "odd",
  ],
  ["a 204", "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["a 304", "HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n", "odd"],
  ["a two-digit status", "HTTP/1.1 20 OK\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["a control in the reason", "HTTP/1.1 200 O\x01K\r\ncontent-length: 0\r\n\r\n", "odd"],
  ["Upgrade", "HTTP/1.1 200 OK\r\nupgrade: h2c\r\ncontent-length: 0\r\n\r\n", "odd"],
  [
    "a Content-Range wider than the length",
    "HTTP/1.1 206 P\r\ncontent-length: 10\r\ncontent-range: bytes 0-10/100\r\n\r\n",
    "odd",
  ],
  [
    "a malformed Content-Range",
    "HTTP/1.1 206 P\r\ncontent-length: 10\r\ncontent-range: 0-9/100\r\n\r\n",
    "odd",
  ],
  [
    "an unsatisfied Content-Range on a 206",
    "HTTP/1.1 206 P\r\ncontent-length: 10\r\ncontent-range: bytes */100\r\n\r\n",
    "odd",
  ],
  [
    "too many headers",
    `HTTP/1.1 200 OK\r\ncontent-length: 0\r\n${"x: y\r\n".repeat(101)}\r\n`,
    "odd",
  ],
  ["a head too large", `HTTP/1.1 200 OK\r\nx: ${"y".repeat(MAX_HEAD_BYTES)}`, "odd"],
];

for (const [name, head, expected] of cases) {
  test(`response head: ${name}`, () => {
    const verdict = parse(head);
    if (typeof expected === "string") {
      assert.equal(verdict.kind, expected, JSON.stringify(verdict));
      return;
    }
    assert.equal(verdict.kind, "head", JSON.stringify(verdict));
    if (verdict.kind !== "head") return;
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(verdict.head[key as keyof typeof verdict.head], value, key);
    }
  });
}

test("response head: the body starts after the head, whatever follows it", () => {
  const verdict = parseResponseHead(bytes(`${OK}0123456789HTTP/1.1 200`));
  assert.equal(verdict.kind, "head");
  if (verdict.kind === "head") assert.equal(verdict.head.headLength, OK.length);
});

test("response head: a head cut anywhere is incomplete, never odd nor a different head", () => {
  const text = bytes(OK);
  for (let n = 0; n < text.length; n++) {
    assert.equal(parseResponseHead(text, n).kind, "incomplete", `cut at ${n}`);
  }
  assert.equal(headEnd(text), text.length);
});

test("response head: any bytes give a verdict, never a throw; a head ends where headEnd says", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (raw, prefixed) => {
      const input = prefixed ? Buffer.concat([bytes("HTTP/1.1 200 OK\r\n"), raw]) : raw;
      const verdict = parseResponseHead(input);
      if (verdict.kind === "head") {
        assert.equal(verdict.head.headLength, headEnd(input));
        const length = verdict.head.contentLength;
        assert.ok(length === null || Number.isSafeInteger(length));
      }
    }),
    { numRuns: 2000 },
  );
});
