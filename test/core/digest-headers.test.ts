import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseServerDigests } from "../../src/core/digest-headers.js";
import type { ExpectedDigest } from "../../src/options.js";

const body = "hello world\n";
const hex = (algorithm: string) => createHash(algorithm).update(body).digest("hex");
const b64 = (algorithm: string) => createHash(algorithm).update(body).digest("base64");
const md5 = hex("md5");
const sha1 = hex("sha1");
const sha256 = hex("sha256");
const sha512 = hex("sha512");
// The CRC-32C check value: CRC32C("123456789") = 0xE3069283.
const crcHex = "e3069283";
// The check values of CRC-32 (ISO-HDLC) and CRC-64/NVME for "123456789".
const crc32Hex = "cbf43926";
const crc64Hex = "ae8b14860a799888";
const crcB64 = Buffer.from(crcHex, "hex").toString("base64");

type Case = [
  name: string,
  headers: Record<string, string>,
  status: number,
  expected: ExpectedDigest[],
];

const cases: Case[] = [
  ["no digest headers", { "content-type": "text/plain" }, 200, []],

  // Google Cloud Storage
  [
    "x-goog-hash, both values",
    { "x-goog-hash": `crc32c=${crcB64}, md5=${b64("md5")}` },
    200,
    [
      { algorithm: "crc32c", hex: crcHex, source: "x-goog-hash" },
      { algorithm: "md5", hex: md5, source: "x-goog-hash" },
    ],
  ],
  [
    "x-goog-hash, documented example",
    { "x-goog-hash": "crc32c=n03x6A==, md5=Ojk9c3dhfxgoKVVHYwFbHQ==" },
    206,
    [
      { algorithm: "crc32c", hex: "9f4df1e8", source: "x-goog-hash" },
      { algorithm: "md5", hex: "3a393d7377617f182829554763015b1d", source: "x-goog-hash" },
    ],
  ],
  [
    "x-goog-hash, composite object (crc32c only)",
    { "x-goog-hash": `crc32c=${crcB64}` },
    200,
    [{ algorithm: "crc32c", hex: crcHex, source: "x-goog-hash" }],
  ],
  [
    "x-goog-hash, upper-case names and no spaces",
    { "x-goog-hash": `CRC32C=${crcB64},MD5=${b64("md5")}` },
    200,
    [
      { algorithm: "crc32c", hex: crcHex, source: "x-goog-hash" },
      { algorithm: "md5", hex: md5, source: "x-goog-hash" },
    ],
  ],
  [
    "x-goog-hash, stored gzip served decompressed",
    {
      "x-goog-hash": `crc32c=${crcB64}, md5=${b64("md5")}`,
      "x-goog-stored-content-encoding": "gzip",
    },
    200,
    [],
  ],
  [
    "x-goog-hash, stored gzip served as gzip",
    {
      "x-goog-hash": `md5=${b64("md5")}`,
      "x-goog-stored-content-encoding": "gzip",
      "content-encoding": "gzip",
    },
    200,
    [{ algorithm: "md5", hex: md5, source: "x-goog-hash" }],
  ],
  [
    "x-goog-hash, stored identity",
    { "x-goog-hash": `md5=${b64("md5")}`, "x-goog-stored-content-encoding": "identity" },
    200,
    [{ algorithm: "md5", hex: md5, source: "x-goog-hash" }],
  ],
  [
    "x-goog-hash, malformed and unknown members skipped",
    {
      "x-goog-hash": `crc32c=!!!, md5=${b64("sha1")}, sha256=${b64("sha256")}, md5, =x, md5=${b64("md5")}`,
    },
    200,
    [{ algorithm: "md5", hex: md5, source: "x-goog-hash" }],
  ],

  // Content-MD5
  [
    "content-md5 on 200",
    { "content-md5": b64("md5") },
    200,
    [{ algorithm: "md5", hex: md5, source: "content-md5" }],
  ],
  [
    "content-md5 on a 206 of a part describes the part",
    { "content-md5": b64("md5"), "content-range": "bytes 0-4/12" },
    206,
    [],
  ],
  [
    "content-md5 on a 206 of the whole file (the answer to bytes=0-) is the file's",
    { "content-md5": b64("md5"), "content-range": "bytes 0-11/12" },
    206,
    [{ algorithm: "md5", hex: md5, source: "content-md5" }],
  ],
  [
    "content-md5 as hex",
    { "content-md5": md5.toUpperCase() },
    200,
    [{ algorithm: "md5", hex: md5, source: "content-md5" }],
  ],
  ["content-md5 wrong length", { "content-md5": b64("sha1") }, 200, []],
  ["content-md5 garbage", { "content-md5": "not base64 at all" }, 200, []],

  // RFC 9530 Repr-Digest
  [
    "repr-digest sha-256 and sha-512",
    { "repr-digest": `sha-256=:${b64("sha256")}:, sha-512=:${b64("sha512")}:` },
    206,
    [
      { algorithm: "sha256", hex: sha256, source: "repr-digest" },
      { algorithm: "sha512", hex: sha512, source: "repr-digest" },
    ],
  ],
  [
    "repr-digest deprecated algorithms",
    { "repr-digest": `md5=:${b64("md5")}:, sha=:${b64("sha1")}:, crc32c=:${crcB64}:` },
    200,
    [
      { algorithm: "md5", hex: md5, source: "repr-digest" },
      { algorithm: "sha1", hex: sha1, source: "repr-digest" },
      { algorithm: "crc32c", hex: crcHex, source: "repr-digest" },
    ],
  ],
  [
    "repr-digest with parameters and unknown algorithms",
    { "repr-digest": `unixsum=:AAAA:, sha-256=:${b64("sha256")}:;q=1, adler=:AAAAAA==:` },
    200,
    [{ algorithm: "sha256", hex: sha256, source: "repr-digest" }],
  ],
  [
    "repr-digest malformed members",
    {
      "repr-digest": `sha-256=${b64("sha256")}, sha-256=:${b64("sha256")}, sha-256=:${b64("sha1")}:, sha-512="${b64("sha512")}"`,
    },
    200,
    [],
  ],
  ["repr-digest empty", { "repr-digest": "" }, 200, []],

  // RFC 9530 Content-Digest: the body's digest
  [
    "content-digest on 200",
    { "content-digest": `sha-256=:${b64("sha256")}:, md5=:${b64("md5")}:` },
    200,
    [
      { algorithm: "sha256", hex: sha256, source: "content-digest" },
      { algorithm: "md5", hex: md5, source: "content-digest" },
    ],
  ],
  [
    "content-digest on a 206 of a part describes the part",
    { "content-digest": `sha-256=:${b64("sha256")}:`, "content-range": "bytes 6-11/12" },
    206,
    [],
  ],

  // RFC 3230 Digest
  [
    "digest, mixed case names",
    { digest: `SHA-256=${b64("sha256")}, md5=${b64("md5")}, Sha-512=${b64("sha512")}` },
    206,
    [
      { algorithm: "sha256", hex: sha256, source: "digest" },
      { algorithm: "md5", hex: md5, source: "digest" },
      { algorithm: "sha512", hex: sha512, source: "digest" },
    ],
  ],
  [
    "digest SHA means SHA-1",
    { digest: `SHA=${b64("sha1")}` },
    200,
    [{ algorithm: "sha1", hex: sha1, source: "digest" }],
  ],
  [
    "digest crc32c as base64 or hex",
    { digest: `crc32c=${crcB64}, CRC32C=${crcHex.toUpperCase()}` },
    200,
    [{ algorithm: "crc32c", hex: crcHex, source: "digest" }],
  ],
  [
    "digest unknown and broken members",
    { digest: `UNIXsum=30637, ADLER32=0x12345678, SHA-256=${b64("md5")}, MD5=` },
    200,
    [],
  ],

  // Amazon S3
  [
    "x-amz-checksum full-object",
    {
      "x-amz-checksum-crc32c": crcB64,
      "x-amz-checksum-sha256": b64("sha256"),
      "x-amz-checksum-sha1": b64("sha1"),
      "x-amz-checksum-type": "FULL_OBJECT",
    },
    200,
    [
      { algorithm: "crc32c", hex: crcHex, source: "x-amz-checksum" },
      { algorithm: "sha256", hex: sha256, source: "x-amz-checksum" },
      { algorithm: "sha1", hex: sha1, source: "x-amz-checksum" },
    ],
  ],
  [
    "x-amz-checksum multipart composite suffix",
    { "x-amz-checksum-sha256": `${b64("sha256")}-12` },
    200,
    [],
  ],
  [
    "x-amz-checksum-type COMPOSITE",
    { "x-amz-checksum-crc32c": crcB64, "x-amz-checksum-type": "COMPOSITE" },
    200,
    [],
  ],
  [
    "x-amz-checksum crc64nvme (S3's default), crc32, md5 and sha512",
    {
      "x-amz-checksum-crc64nvme": Buffer.from(crc64Hex, "hex").toString("base64"),
      "x-amz-checksum-crc32": Buffer.from(crc32Hex, "hex").toString("base64"),
      "x-amz-checksum-md5": b64("md5"),
      "x-amz-checksum-sha512": b64("sha512"),
    },
    200,
    [
      { algorithm: "crc64nvme", hex: crc64Hex, source: "x-amz-checksum" },
      { algorithm: "crc32", hex: crc32Hex, source: "x-amz-checksum" },
      { algorithm: "sha512", hex: sha512, source: "x-amz-checksum" },
      { algorithm: "md5", hex: md5, source: "x-amz-checksum" },
    ],
  ],
  [
    "x-amz-checksum crc64nvme of a multipart upload is composite",
    { "x-amz-checksum-crc64nvme": "rosUhgp5mIg=-3" },
    200,
    [],
  ],
  [
    "x-amz-checksum-type COMPOSITE covers crc32 too",
    { "x-amz-checksum-crc32": crcB64, "x-amz-checksum-type": "COMPOSITE" },
    200,
    [],
  ],
  [
    "x-amz-checksum unsupported algorithms ignored",
    { "x-amz-checksum-xxhash64": "AAAAAAAAAAA=" },
    200,
    [],
  ],
  ["x-amz-checksum malformed", { "x-amz-checksum-sha1": "zz" }, 200, []],

  // Across headers
  [
    "duplicates keep the first source",
    {
      "x-goog-hash": `md5=${b64("md5")}`,
      "content-md5": b64("md5"),
      digest: `MD5=${b64("md5")}, SHA-256=${b64("sha256")}`,
      "repr-digest": `sha-256=:${b64("sha256")}:`,
    },
    200,
    [
      { algorithm: "md5", hex: md5, source: "x-goog-hash" },
      { algorithm: "sha256", hex: sha256, source: "repr-digest" },
    ],
  ],
  [
    "different values for one algorithm are both kept",
    {
      "content-md5": b64("md5"),
      digest: `MD5=${createHash("md5").update("other").digest("base64")}`,
    },
    200,
    [
      { algorithm: "md5", hex: md5, source: "content-md5" },
      { algorithm: "md5", hex: createHash("md5").update("other").digest("hex"), source: "digest" },
    ],
  ],
];

test("parseServerDigests", () => {
  for (const [name, headers, status, expected] of cases) {
    assert.deepEqual(parseServerDigests(headers, status), expected, name);
  }
});

/**
 * Which responses each header is read from. A body digest (Content-MD5, Content-Digest) and S3's
 * checksums count only when the body is the whole file; the others describe the whole object.
 */
test("parseServerDigests reads each header from the responses that carry a whole-file digest", () => {
  const responses: [kind: string, status: number, contentRange: string | undefined][] = [
    ["200", 200, undefined],
    ["206 of every byte", 206, "bytes 0-11/12"],
    ["206 of the start", 206, "bytes 0-10/12"],
    ["206 of the rest", 206, "bytes 5-11/12"],
    ["206 of unknown size", 206, "bytes 0-11/*"],
    ["206 without Content-Range", 206, undefined],
  ];
  const headers: [name: string, value: string, readOn: string[]][] = [
    ["content-md5", b64("md5"), ["200", "206 of every byte"]],
    ["content-digest", `sha-256=:${b64("sha256")}:`, ["200", "206 of every byte"]],
    ["x-amz-checksum-sha256", b64("sha256"), ["200", "206 of every byte"]],
    ["x-amz-checksum-crc64nvme", "rosUhgp5mIg=", ["200", "206 of every byte"]],
    ["x-goog-hash", `md5=${b64("md5")}`, responses.map(([kind]) => kind)],
    ["repr-digest", `sha-256=:${b64("sha256")}:`, responses.map(([kind]) => kind)],
    ["digest", `SHA-256=${b64("sha256")}`, responses.map(([kind]) => kind)],
  ];
  for (const [name, value, readOn] of headers) {
    for (const [kind, status, contentRange] of responses) {
      const response: Record<string, string> = { [name]: value };
      if (contentRange !== undefined) response["content-range"] = contentRange;
      const found = parseServerDigests(response, status);
      assert.equal(found.length, readOn.includes(kind) ? 1 : 0, `${name} on a ${kind}`);
    }
  }
});

test("parseServerDigests never throws on junk", () => {
  const junk = [
    "",
    ",",
    ",,=,",
    "=",
    "==",
    ":",
    "::",
    '"',
    '"a,b',
    "sha-256=::",
    "md5=%%",
    "\u0000",
    "a".repeat(10_000),
  ];
  const names = [
    "x-goog-hash",
    "content-md5",
    "repr-digest",
    "content-digest",
    "digest",
    "x-amz-checksum-sha256",
    "x-amz-checksum-crc64nvme",
  ];
  for (const value of junk) {
    for (const name of names)
      assert.deepEqual(parseServerDigests({ [name]: value }, 200), [], `${name}: ${value}`);
  }
});
