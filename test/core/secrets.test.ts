import { test } from "node:test";
import assert from "node:assert/strict";
import {
  basicAuthorization,
  isSignedUrl,
  redactText,
  redactUrl,
  resumeIdentity,
  withoutUserinfo,
} from "../../src/core/secrets.js";

const S3 =
  "https://bucket.s3.amazonaws.com/key.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
  "&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
  "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host" +
  "&X-Amz-Security-Token=FwoGZX&X-Amz-Signature=aaaa";

test("redactUrl: userinfo goes, credential values become REDACTED, the rest stays as written", () => {
  const cases: [string, string][] = [
    ["https://example.com/a?b=1", "https://example.com/a?b=1"],
    ["https://user:pass@example.com/a", "https://example.com/a"],
    ["https://user@example.com/a", "https://example.com/a"],
    [
      S3,
      "https://bucket.s3.amazonaws.com/key.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
        "&X-Amz-Credential=REDACTED&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600" +
        "&X-Amz-SignedHeaders=host&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED",
    ],
    // Names compare case-insensitively, and percent-encoded names are decoded first.
    [
      "https://h/k?x-amz-signature=s&X%2DAmz%2DSignature=t",
      "https://h/k?x-amz-signature=REDACTED&X%2DAmz%2DSignature=REDACTED",
    ],
    [
      "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam&X-Goog-Date=20260101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=abcdef",
      "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=REDACTED&X-Goog-Date=20260101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=REDACTED",
    ],
    [
      "https://acct.blob.core.windows.net/c/b.bin?sv=2022-11-02&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=abc%3D",
      "https://acct.blob.core.windows.net/c/b.bin?sv=2022-11-02&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=REDACTED",
    ],
    [
      "https://d111.cloudfront.net/f?Expires=1767225600&Signature=abc~def&Key-Pair-Id=K2JCJMDEHXQW5F",
      "https://d111.cloudfront.net/f?Expires=1767225600&Signature=REDACTED&Key-Pair-Id=REDACTED",
    ],
    [
      "https://d111.cloudfront.net/f?Policy=eyJ&Signature=x&Key-Pair-Id=K",
      "https://d111.cloudfront.net/f?Policy=REDACTED&Signature=REDACTED&Key-Pair-Id=REDACTED",
    ],
    [
      "https://s3.amazonaws.com/b/k?AWSAccessKeyId=AKIA&Expires=1767225600&Signature=x%2By",
      "https://s3.amazonaws.com/b/k?AWSAccessKeyId=REDACTED&Expires=1767225600&Signature=REDACTED",
    ],
    [
      "https://api.test/f?token=t&access_token=a&api_key=k&apikey=k2&X-Goog-Security-Token=g&page=2",
      "https://api.test/f?token=REDACTED&access_token=REDACTED&api_key=REDACTED&apikey=REDACTED&X-Goog-Security-Token=REDACTED&page=2",
    ],
    // A secret without "=" still shows its name only; the fragment is kept.
    ["https://h/k?sig&a=1#frag", "https://h/k?sig=REDACTED&a=1#frag"],
    // Not a URL at all: redacted as text, userinfo up to the last "@" before the path.
    ["https://us er:p@ss@host/x?sig=1 2", "https://host/x?sig=REDACTED"],
  ];
  for (const [url, shown] of cases) assert.equal(redactUrl(url), shown, url);
  assert.equal(redactUrl(new URL("https://u:p@h/x?Signature=1")), "https://h/x?Signature=REDACTED");
});

test("redactUrl is idempotent", () => {
  assert.equal(redactUrl(redactUrl(S3)), redactUrl(S3));
});

test("redactText redacts every URL inside a message", () => {
  assert.equal(
    redactText(
      "HTTP 403 from https://u:p@h/k?X-Amz-Signature=abc: denied; see http://x/y?token=t.",
    ),
    "HTTP 403 from https://h/k?X-Amz-Signature=REDACTED: denied; see http://x/y?token=REDACTED.",
  );
  assert.equal(redactText("no URL here"), "no URL here");
});

test("basicAuthorization: percent-decoded userinfo, UTF-8, base64", () => {
  const cases: [string, string | undefined][] = [
    ["https://h/x", undefined],
    ["https://user:pass@h/x", `Basic ${btoa("user:pass")}`],
    ["https://user:p%40ss@h/x", `Basic ${btoa("user:p@ss")}`],
    ["https://us%3Aer:p%3Ass@h/x", `Basic ${btoa("us:er:p:ss")}`],
    ["https://user@h/x", `Basic ${btoa("user:")}`],
    ["https://:secret@h/x", `Basic ${btoa(":secret")}`],
    ["https://%C3%BC:%E2%82%AC@h/x", `Basic ${Buffer.from("ü:€").toString("base64")}`],
    // A stray "%" is taken literally, as curl does.
    ["https://user:100%25@h/x", `Basic ${btoa("user:100%")}`],
    ["https://user:50%zz@h/x", `Basic ${btoa("user:50%zz")}`],
  ];
  for (const [url, header] of cases) assert.equal(basicAuthorization(new URL(url)), header, url);
});

test("withoutUserinfo keeps everything else", () => {
  const url = new URL("https://u:p@h:8443/a/b?c=1#d");
  assert.equal(withoutUserinfo(url).href, "https://h:8443/a/b?c=1#d");
  assert.equal(url.username, "u", "the original is untouched");
});

test("resumeIdentity: a fresh signature for the same object is the same identity", () => {
  const cases: [string, string][] = [
    ["https://h/a.bin", "https://h/a.bin"],
    ["https://u:p@h/a.bin#x", "https://h/a.bin"],
    ["https://h/a.bin?v=2&b=1", "https://h/a.bin?v=2&b=1"],
    [S3, "https://bucket.s3.amazonaws.com/key.bin"],
    [
      `${S3}&x-id=GetObject&versionId=3`,
      "https://bucket.s3.amazonaws.com/key.bin?x-id=GetObject&versionId=3",
    ],
    [
      "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=c&X-Goog-Date=d&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=s&generation=7",
      "https://storage.googleapis.com/b/o?generation=7",
    ],
    [
      "https://a.blob.core.windows.net/c/b?sv=2022-11-02&st=x&se=y&sr=b&sp=r&spr=https&skoid=o&sig=z&snapshot=1",
      "https://a.blob.core.windows.net/c/b?snapshot=1",
    ],
    [
      "https://d.cloudfront.net/f?Expires=1&Signature=s&Key-Pair-Id=k",
      "https://d.cloudfront.net/f",
    ],
    [
      "https://b.oss-cn-hangzhou.aliyuncs.com/o?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=c&x-oss-date=d&x-oss-expires=60&x-oss-signature=s",
      "https://b.oss-cn-hangzhou.aliyuncs.com/o",
    ],
    [
      "https://b.cos.ap-beijing.myqcloud.com/o?q-sign-algorithm=sha1&q-ak=AK&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-url-param-list=&q-signature=s",
      "https://b.cos.ap-beijing.myqcloud.com/o",
    ],
    [
      "https://s3.amazonaws.com/b/k?AWSAccessKeyId=A&Expires=1&Signature=s",
      "https://s3.amazonaws.com/b/k",
    ],
    // Tokens are never part of the identity, signed or not.
    ["https://api.test/f?token=t&page=2", "https://api.test/f?page=2"],
    // Without a signature, short names like Azure's are ordinary parameters.
    ["https://h/f?sp=1&se=2&expires=3", "https://h/f?sp=1&se=2&expires=3"],
  ];
  for (const [url, identity] of cases) assert.equal(resumeIdentity(new URL(url)), identity, url);

  const fresh = S3.replace("X-Amz-Signature=aaaa", "X-Amz-Signature=bbbb").replace(
    "20260101T000000Z",
    "20260102T000000Z",
  );
  assert.equal(resumeIdentity(new URL(fresh)), resumeIdentity(new URL(S3)));
  // A different object, or a different non-secret parameter, is another identity.
  assert.notEqual(
    resumeIdentity(new URL(S3.replace("key.bin", "other.bin"))),
    resumeIdentity(new URL(S3)),
  );
  assert.notEqual(resumeIdentity(new URL(`${S3}&versionId=2`)), resumeIdentity(new URL(S3)));
});

test("isSignedUrl: a URL that carries a signature", () => {
  const cases: [string, boolean][] = [
    [S3, true],
    ["https://h/f?X-Goog-Signature=s", true],
    ["https://h/f?sig=s&se=1", true],
    ["https://h/f?Signature=s&Expires=1", true],
    ["https://h/f?token=t", false],
    ["https://h/f", false],
  ];
  for (const [url, signed] of cases) assert.equal(isSignedUrl(new URL(url)), signed, url);
});
