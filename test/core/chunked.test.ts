import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ChunkedDecoder } from "../../src/core/chunked.js";

const bytes = (text: string): Uint8Array => Buffer.from(text, "latin1");

/** Decodes `text` fed in pieces cut at `cuts`: the data, where it stopped, whether it ended. */
function decode(text: string, cuts: number[] = []): { data: string; stop: number; done: boolean } {
  const input = bytes(text);
  const decoder = new ChunkedDecoder();
  let data = "";
  let stop = 0;
  const points = [...new Set([...cuts.filter((c) => c > 0 && c < input.length), input.length])];
  let from = 0;
  for (const to of points.sort((a, b) => a - b)) {
    stop = decoder.feed(
      input,
      from,
      to,
      (s, e) => (data += Buffer.from(input.subarray(s, e)).toString("latin1")),
    );
    if (stop < 0 || decoder.done) break;
    from = to;
  }
  return { data, stop, done: decoder.done };
}

/** [what the case is, the body, the data expected, or "bad"] */
const cases: [string, string, string | "bad"][] = [
  ["two chunks", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "abcde"],
  [
    "hex sizes, either case",
    "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n",
    "0123456789abcdefghijk",
  ],
  ["extensions", "3;a=b;c\r\nabc\r\n0;x=1\r\n\r\n", "abc"],
  ["empty", "0\r\n\r\n", ""],
  ["data with CRLF in it", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"],
  ["no size", "\r\nabc\r\n0\r\n\r\n", "bad"],
  ["a space before the CRLF", "3 \r\nabc\r\n0\r\n\r\n", "bad"],
  ["a bare LF", "3\nabc\r\n0\r\n\r\n", "bad"],
  ["data longer than its size", "3\r\nabcd\r\n0\r\n\r\n", "bad"],
  ["a quoted extension", '3;a="b"\r\nabc\r\n0\r\n\r\n', "bad"],
  ["an empty extension", "3;\r\nabc\r\n0\r\n\r\n", "bad"],
  ["a trailer field", "3\r\nabc\r\n0\r\nx-a: 1\r\n\r\n", "bad"],
  ["a size too large", "1000000000000\r\n", "bad"],
  ["a sign", "+3\r\nabc\r\n0\r\n\r\n", "bad"],
];

for (const [name, body, expected] of cases) {
  test(`chunked: ${name}`, () => {
    const got = decode(body);
    if (expected === "bad") assert.equal(got.stop, -1, JSON.stringify(got));
    else assert.deepEqual(got, { data: expected, stop: body.length, done: true });
  });
}

test("chunked: the body ends at the final CRLF; what follows is not read", () => {
  const body = "3\r\nabc\r\n0\r\n\r\n";
  assert.deepEqual(decode(`${body}HTTP/1.1`), { data: "abc", stop: body.length, done: true });
});

test("chunked: cut into any pieces, a body decodes the same", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 6 }),
      fc.array(fc.nat({ max: 400 }), { maxLength: 8 }),
      (chunks, cuts) => {
        const body =
          chunks.map((c) => `${Buffer.byteLength(c, "latin1").toString(16)}\r\n${c}\r\n`).join("") +
          "0\r\n\r\n";
        const got = decode(body, cuts);
        assert.deepEqual(got, { data: chunks.join(""), stop: body.length, done: true });
      },
    ),
  );
});
