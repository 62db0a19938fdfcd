import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHeaderLine, withHeader } from "../../src/core/request-headers.js";
import { UsageError } from "../../src/errors.js";

test("parseHeaderLine splits at the first colon and trims both sides", () => {
  const cases: [string, { name: string; value: string }][] = [
    ["Authorization: Bearer a:b ", { name: "Authorization", value: "Bearer a:b" }],
    ["X-Trace:1", { name: "X-Trace", value: "1" }],
    [" x-empty :", { name: "x-empty", value: "" }],
    ["A!#$%&'*+.^_`|~9: v", { name: "A!#$%&'*+.^_`|~9", value: "v" }],
  ];
  for (const [line, expected] of cases) assert.deepEqual(parseHeaderLine(line), expected, line);
});

test("parseHeaderLine refuses a bad line without showing the value", () => {
  const cases: [string, RegExp][] = [
    ["Authorization Bearer s3cret", /^expected "Name: value", got no ":"$/],
    ["Bad Name: s3cret", /^invalid header name "Bad Name"$/],
    [": s3cret", /^invalid header name ""$/],
    ["X(1): s3cret", /^invalid header name "X\(1\)"$/],
    ["X-A: s3cret\r\nX-B: 2", /^the value of X-A has a line break$/],
    ["X-A: s3cret\nX-B: 2", /^the value of X-A has a line break$/],
    ["X-A: s3cret\0", /^the value of X-A has a line break$/],
  ];
  for (const [line, message] of cases) {
    assert.throws(
      () => parseHeaderLine(line),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      line,
    );
  }
});

test("withHeader replaces a header of the same name in any case and leaves its input alone", () => {
  const first = withHeader(undefined, "X-A", "1");
  const second = withHeader(first, "Accept", "*/*");
  const third = withHeader(second, "x-a", "2");
  assert.deepEqual(first, { "X-A": "1" });
  assert.deepEqual(second, { "X-A": "1", Accept: "*/*" });
  assert.deepEqual(third, { Accept: "*/*", "x-a": "2" });
});
