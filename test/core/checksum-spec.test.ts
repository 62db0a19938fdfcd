import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseChecksumSpec } from "../../src/core/checksum-spec.js";
import { UsageError } from "../../src/errors.js";

const sha256 = createHash("sha256").update("parget").digest("hex");
const sha512 = createHash("sha512").update("parget").digest("hex");
const sha1 = createHash("sha1").update("parget").digest("hex");
const md5 = createHash("md5").update("parget").digest("hex");

test("parseChecksumSpec accepts each algorithm and its common spellings", () => {
  const cases: [string, string, string][] = [
    [`sha256=${sha256}`, "sha256", sha256],
    [`SHA256=${sha256}`, "sha256", sha256],
    [`sha-256=${sha256}`, "sha256", sha256],
    [`SHA-256=${sha256.toUpperCase()}`, "sha256", sha256],
    [`sha_256=${sha256}`, "sha256", sha256],
    [` sha256 = ${sha256} `, "sha256", sha256],
    [`sha512=${sha512}`, "sha512", sha512],
    [`SHA-512=${sha512}`, "sha512", sha512],
    [`sha1=${sha1}`, "sha1", sha1],
    [`SHA-1=${sha1}`, "sha1", sha1],
    [`md5=${md5}`, "md5", md5],
    [`MD5=${md5.toUpperCase()}`, "md5", md5],
    ["crc32c=E3069283", "crc32c", "e3069283"],
    ["CRC32C=e3069283", "crc32c", "e3069283"],
    ["crc-32c=e3069283", "crc32c", "e3069283"],
    ["crc32=CBF43926", "crc32", "cbf43926"],
    ["CRC-32=cbf43926", "crc32", "cbf43926"],
    ["crc64nvme=AE8B14860A799888", "crc64nvme", "ae8b14860a799888"],
    ["CRC64-NVME=ae8b14860a799888", "crc64nvme", "ae8b14860a799888"],
  ];
  for (const [text, algorithm, hex] of cases) {
    assert.deepEqual(parseChecksumSpec(text), { algorithm, hex, source: "user" }, text);
  }
});

test("parseChecksumSpec says what is wrong with a bad spec", () => {
  const cases: [string, RegExp][] = [
    [sha256, /expected ALGORITHM=HEX/],
    ["", /expected ALGORITHM=HEX/],
    [
      `sha3=${sha256}`,
      /unknown checksum algorithm "sha3": use one of sha256, sha512, sha1, md5, crc32c, crc32, crc64nvme/,
    ],
    [`=${sha256}`, /unknown checksum algorithm ""/],
    // CRC-64 has several variants; only S3's is known, by its full name.
    ["crc64=ae8b14860a799888", /unknown checksum algorithm "crc64"/],
    ["crc64nvme=cbf43926", /expected 16 hex digits, got 8/],
    ["toString=abc", /unknown checksum algorithm/],
    ["__proto__=abc", /unknown checksum algorithm/],
    [`sha256=${sha256.slice(1)}`, /expected 64 hex digits, got 63/],
    [`sha256=${sha256}0`, /expected 64 hex digits, got 65/],
    ["sha256=", /expected 64 hex digits, got 0/],
    [`md5=${md5.slice(0, 31)}g`, /only hex digits/],
    [`sha1=${sha1.slice(0, 20)} ${sha1.slice(21)}`, /only hex digits/],
    [`sha256=0x${sha256.slice(2)}`, /only hex digits/],
    [`sha256=${sha256}=`, /only hex digits/],
    ["crc32c=4waSgw==", /only hex digits/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseChecksumSpec(text),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      text,
    );
  }
});
