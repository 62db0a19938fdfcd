import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_REDIRECTS, isRedirect, nextHop } from "../../src/core/redirect.js";
import { BadResponseError } from "../../src/errors.js";

const here = new URL("https://a.test/dir/file?x=1");
const secrets = { Authorization: "Bearer t", cookie: "c=1", accept: "*/*" };

test("redirect statuses", () => {
  assert.deepEqual([301, 302, 303, 307, 308, 300, 304, 200].map(isRedirect), [
    true,
    true,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
});

test("same-origin hops keep headers; relative locations resolve", () => {
  const hop = nextHop(here, "../other", secrets, 0);
  assert.equal(hop.url.href, "https://a.test/other");
  assert.deepEqual(hop.headers, secrets);
});

test("a change of origin drops credentials", () => {
  for (const location of ["https://b.test/f", "http://a.test/f", "https://a.test:8443/f"]) {
    assert.deepEqual(nextHop(here, location, secrets, 0).headers, { accept: "*/*" }, location);
  }
});

test("non-HTTP targets, missing locations and long chains are refused", () => {
  assert.throws(() => nextHop(here, "ftp://a.test/f", secrets, 0), BadResponseError);
  assert.throws(() => nextHop(here, "file:///etc/passwd", secrets, 0), BadResponseError);
  assert.throws(() => nextHop(here, undefined, secrets, 0), BadResponseError);
  assert.throws(() => nextHop(here, "/ok", secrets, MAX_REDIRECTS), {
    code: "PARGET_TOO_MANY_REDIRECTS",
  });
});

test("userinfo in a Location is never sent, and a refused Location is shown redacted", () => {
  const hop = nextHop(here, "https://u:p@a.test/f", secrets, 0);
  assert.equal(hop.url.href, "https://a.test/f");
  assert.deepEqual(hop.headers, secrets, "the origin is the same: credentials stay");
  assert.throws(() => nextHop(here, "https://[bad/f?X-Amz-Signature=abc", secrets, 0), {
    message: 'redirect to an invalid URL "https://[bad/f?X-Amz-Signature=REDACTED"',
  });
});

test("x-amz-checksum-mode never follows a redirect to a URL whose signature leaves it out", () => {
  const asking = { "x-amz-checksum-mode": "ENABLED", accept: "*/*" };
  const presigned =
    "https://bucket.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&X-Amz-Signature=ab";
  assert.deepEqual(nextHop(here, presigned, asking, 0).headers, { accept: "*/*" });
  assert.deepEqual(nextHop(here, "/key?Signature=ab&AWSAccessKeyId=K", asking, 0).headers, {
    accept: "*/*",
  });
  const signedWithIt = `${presigned.replace("=host", "=host%3Bx-amz-checksum-mode")}`;
  assert.deepEqual(nextHop(here, signedWithIt, asking, 0).headers, asking);
  assert.deepEqual(nextHop(here, "https://b.test/plain", asking, 0).headers, asking);
});
