import { test } from "node:test";
import assert from "node:assert/strict";
import { withChecksumMode } from "../../src/core/checksum-mode.js";

const SIGV4 =
  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
  "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=0123abcd";

type Case = [name: string, url: string, headers: Record<string, string>, sent: string | undefined];

const cases: Case[] = [
  ["a plain URL", "https://bucket.s3.amazonaws.com/key", {}, "ENABLED"],
  ["a URL with an ordinary query", "https://example.test/f.iso?version=2", {}, "ENABLED"],
  [
    "SigV4 presigned, the header signed",
    `https://bucket.s3.amazonaws.com/key?${SIGV4}&X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode`,
    {},
    "ENABLED",
  ],
  [
    "SigV4 presigned, only host signed",
    `https://bucket.s3.amazonaws.com/key?${SIGV4}&X-Amz-SignedHeaders=host`,
    {},
    undefined,
  ],
  [
    "SigV4 presigned, no X-Amz-SignedHeaders",
    `https://bucket.s3.amazonaws.com/key?${SIGV4}`,
    {},
    undefined,
  ],
  [
    "SigV4 presigned, parameter names in another case",
    "https://bucket.s3.amazonaws.com/key?x-amz-signature=ab&x-amz-signedheaders=host",
    {},
    undefined,
  ],
  [
    "SigV4 presigned, a header whose name only contains it",
    `https://bucket.s3.amazonaws.com/key?${SIGV4}&X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode-x`,
    {},
    undefined,
  ],
  [
    "SigV2 presigned",
    "https://bucket.s3.amazonaws.com/key?AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D",
    {},
    undefined,
  ],
  [
    "CloudFront signed",
    "https://d1.cloudfront.net/key?Expires=1700000000&Signature=abc&Key-Pair-Id=K1",
    {},
    undefined,
  ],
  [
    "GCS V4 signed",
    "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=ab",
    {},
    undefined,
  ],
  ["Azure SAS", "https://acct.blob.core.windows.net/c/b?sv=2024-01-01&sig=abc", {}, undefined],
  [
    "the user's Authorization (a SigV4 header signature)",
    "https://bucket.s3.amazonaws.com/key",
    { authorization: "AWS4-HMAC-SHA256 Credential=AKID/..., SignedHeaders=host, Signature=ab" },
    undefined,
  ],
  [
    "the user's own value is kept",
    "https://bucket.s3.amazonaws.com/key",
    { "x-amz-checksum-mode": "enabled" },
    "enabled",
  ],
  [
    "the user's own value is kept, even on a presigned URL",
    `https://bucket.s3.amazonaws.com/key?${SIGV4}&X-Amz-SignedHeaders=host`,
    { "x-amz-checksum-mode": "ENABLED" },
    "ENABLED",
  ],
];

test("withChecksumMode asks S3 for checksums only where the request stays valid", () => {
  for (const [name, url, headers, sent] of cases) {
    const result = withChecksumMode(new URL(url), { accept: "*/*", ...headers });
    assert.equal(result["x-amz-checksum-mode"], sent, name);
    assert.equal(result["accept"], "*/*", name);
    if (sent === undefined) assert.equal("x-amz-checksum-mode" in result, false, name);
  }
});
