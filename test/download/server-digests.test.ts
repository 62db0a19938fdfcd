import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { crc32 } from "@node-rs/crc32";
import { ChecksumMismatchError, download, type DownloadOptions } from "../../src/index.js";
import { generateContent, type FileSpec, type RangeServer } from "../../src/server/index.js";
import { serve } from "../helpers/server.js";
import {
  assertContent,
  Events,
  exists,
  generated,
  KiB,
  listing,
  MiB,
  rejectsWith,
  tempDir,
} from "./fixtures.js";

const SIZE = 8 * MiB;
const SEED = "s3";
const BYTES = generateContent(SEED, 0, SIZE);
const sha256 = createHash("sha256").update(BYTES).digest();
const crc32Bytes = Buffer.alloc(4);
crc32Bytes.writeUInt32BE(crc32(BYTES) >>> 0);
// Computed with the AWS SDK's @aws-sdk/crc64-nvme over the same 8 MiB.
const crc64nvme = Buffer.from("02e8dbcc4dbb6d00", "hex");

/** What S3 sends for an object uploaded with checksums, in its base64. */
const S3_CHECKSUMS = {
  "x-amz-checksum-crc64nvme": crc64nvme.toString("base64"),
  "x-amz-checksum-crc32": crc32Bytes.toString("base64"),
  "x-amz-checksum-sha256": sha256.toString("base64"),
  "x-amz-checksum-type": "FULL_OBJECT",
};
const VERIFIED = [
  { algorithm: "crc64nvme", hex: crc64nvme.toString("hex"), source: "x-amz-checksum" },
  { algorithm: "crc32", hex: crc32Bytes.toString("hex"), source: "x-amz-checksum" },
  { algorithm: "sha256", hex: sha256.toString("hex"), source: "x-amz-checksum" },
];

function options(dir: string, events = new Events()): DownloadOptions {
  return {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 2,
    progressIntervalMs: 20,
    onEvent: events.onEvent,
  };
}

async function s3Like(t: TestContext, spec: Omit<FileSpec, "content"> = {}, rate = 0) {
  return serve(t, {
    ratePerConnection: rate,
    files: { "/f.bin": generated(SEED, SIZE, { s3Checksums: S3_CHECKSUMS, ...spec }) },
  });
}

/** Starts a throttled download and aborts it once progress reports 40% on disk. */
async function interrupted(t: TestContext, server: RangeServer) {
  const dir = await tempDir(t);
  const controller = new AbortController();
  const first = download(server.url("/f.bin"), {
    ...options(dir),
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === "progress" && event.bytes >= 0.4 * SIZE) controller.abort();
    },
  });
  await rejectsWith(first, "PARGET_ABORTED", 1);
  assert.deepEqual(await listing(dir), [
    "f.bin.parget",
    "f.bin.parget.journal",
    "f.bin.parget.state",
  ]);
  server.resetStats();
  return { dir, final: path.join(dir, "f.bin") };
}

test("Content-MD5 on a 206 of every byte is the whole file's: verified, or exit 6", async (t) => {
  const md5 = createHash("md5").update(BYTES).digest();
  const server = await serve(t, {
    files: {
      "/f.bin": generated(SEED, SIZE, { headers: { "content-md5": md5.toString("base64") } }),
      "/wrong.bin": generated(SEED, SIZE, {
        headers: { "content-md5": createHash("md5").update("x").digest("base64") },
      }),
    },
  });
  const dir = await tempDir(t);
  // A first piece as large as the file: the first answer is a 206 of every byte.
  const whole = { ...options(dir), minSplitSize: SIZE };
  const result = await download(server.url("/f.bin"), whole);
  assert.equal(server.stats.requestLog[0]?.status, 206);
  assert.deepEqual(result.verified, [
    { algorithm: "md5", hex: md5.toString("hex"), source: "content-md5" },
  ]);

  const error = await rejectsWith(
    download(server.url("/wrong.bin"), whole),
    "PARGET_CHECKSUM_MISMATCH",
    6,
  );
  assert.ok(error instanceof ChecksumMismatchError);
  assert.equal(error.mismatches[0]?.source, "content-md5");
  assert.equal(await exists(path.join(dir, "wrong.bin")), false);
});

test("S3: parget asks for the checksums and verifies crc64nvme, crc32 and sha256", async (t) => {
  const server = await s3Like(t);
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), options(dir));
  await assertContent(path.join(dir, "f.bin"), SEED, SIZE);
  assert.equal(server.stats.requestLog[0]?.headers["x-amz-checksum-mode"], "ENABLED");
  assert.deepEqual(result.verified, VERIFIED);
  // The first piece came without them (a partial range): the first request was asked again whole.
  assert.deepEqual(
    server.stats.requestLog.slice(0, 2).map((e) => e.range),
    [`bytes=0-${64 * KiB - 1}`, "bytes=0-"],
  );
});

test("Azure's x-ms-blob-content-md5 on a partial range is the whole blob's: verified, or exit 6", async (t) => {
  const md5 = createHash("md5").update(BYTES).digest("base64");
  const server = await serve(t, {
    files: {
      "/f.bin": generated(SEED, SIZE, { headers: { "x-ms-blob-content-md5": md5 } }),
      "/wrong.bin": generated(SEED, SIZE, {
        headers: { "x-ms-blob-content-md5": createHash("md5").update("x").digest("base64") },
      }),
    },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), options(dir));
  assert.equal(server.stats.requestLog[0]?.range, `bytes=0-${64 * KiB - 1}`);
  assert.deepEqual(result.verified, [
    {
      algorithm: "md5",
      hex: Buffer.from(md5, "base64").toString("hex"),
      source: "x-ms-blob-content-md5",
    },
  ]);
  const error = await rejectsWith(
    download(server.url("/wrong.bin"), options(dir)),
    "PARGET_CHECKSUM_MISMATCH",
    6,
  );
  assert.ok(error instanceof ChecksumMismatchError);
  assert.equal(error.mismatches[0]?.source, "x-ms-blob-content-md5");
});

test("S3: a wrong crc64nvme or crc32 fails with exit 6 and names it", async (t) => {
  const wrong = Buffer.from("0123456789abcdef", "hex").toString("base64");
  for (const [header, value] of [
    ["x-amz-checksum-crc64nvme", wrong],
    ["x-amz-checksum-crc32", wrong.slice(0, 6) + "=="],
  ] as const) {
    const server = await serve(t, {
      files: { "/f.bin": generated(SEED, SIZE, { s3Checksums: { [header]: value } }) },
    });
    const dir = await tempDir(t);
    const error = await rejectsWith(
      download(server.url("/f.bin"), options(dir)),
      "PARGET_CHECKSUM_MISMATCH",
      6,
    );
    assert.ok(error instanceof ChecksumMismatchError);
    assert.deepEqual(
      error.mismatches.map((m) => [m.algorithm, m.source]),
      [[header.slice("x-amz-checksum-".length), "x-amz-checksum"]],
    );
  }
});

test("S3: composite multipart checksums are not taken for the file's", async (t) => {
  const server = await s3Like(t, {
    s3Checksums: {
      "x-amz-checksum-crc64nvme": `${crc64nvme.toString("base64")}-3`,
      "x-amz-checksum-sha256": Buffer.alloc(32).toString("base64"),
      "x-amz-checksum-type": "COMPOSITE",
    },
  });
  const result = await download(server.url("/f.bin"), options(await tempDir(t)));
  assert.deepEqual(result.verified, []);
});

test("S3: a resumed download verifies exactly what a fresh one does", async (t) => {
  const server = await s3Like(t, {}, 4 * MiB);
  const fresh = await download(server.url("/f.bin"), options(await tempDir(t)));
  assert.deepEqual(fresh.verified, VERIFIED);
  const { dir, final } = await interrupted(t, server);
  const result = await download(server.url("/f.bin"), options(dir));
  await assertContent(final, SEED, SIZE);
  assert.ok(result.resumedBytes >= 0.4 * SIZE, `resumed ${result.resumedBytes}`);
  // The resumed run's first answer was a partial range, which carries no checksum.
  const [probe] = server.stats.requestLog;
  assert.match(probe?.range ?? "", /^bytes=[1-9]\d*-\d+$/);
  assert.equal(probe?.status, 206);
  assert.deepEqual(result.verified, fresh.verified);
});

test("S3: a resumed byte damaged on disk fails the resumed download with exit 6", async (t) => {
  const server = await s3Like(t, {}, 4 * MiB);
  const { dir, final } = await interrupted(t, server);
  const handle = await open(`${final}.parget`, "r+");
  await handle.write(Buffer.from([BYTES[1000]! ^ 0xff]), 0, 1, 1000);
  await handle.close();
  const error = await rejectsWith(
    download(server.url("/f.bin"), options(dir)),
    "PARGET_CHECKSUM_MISMATCH",
    6,
  );
  assert.ok(error instanceof ChecksumMismatchError);
  assert.deepEqual(
    error.mismatches.map((m) => m.algorithm),
    ["crc64nvme", "crc32", "sha256"],
  );
  assert.equal(await exists(final), false);
});

test("a mistyped --checksum corrected on the rerun: only the corrected one is checked", async (t) => {
  const server = await s3Like(t, {}, 4 * MiB);
  const dir = await tempDir(t);
  const typo = { algorithm: "sha256" as const, hex: "0".repeat(64), source: "user" };
  const right = { ...typo, hex: sha256.toString("hex") };
  const controller = new AbortController();
  const first = download(server.url("/f.bin"), {
    ...options(dir),
    checksums: [typo],
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === "progress" && event.bytes >= 0.4 * SIZE) controller.abort();
    },
  });
  await rejectsWith(first, "PARGET_ABORTED", 1);
  const result = await download(server.url("/f.bin"), { ...options(dir), checksums: [right] });
  assert.ok(result.resumedBytes >= 0.4 * SIZE, `resumed ${result.resumedBytes}`);
  assert.deepEqual(result.verified, [right, ...VERIFIED]);
  await assertContent(path.join(dir, "f.bin"), SEED, SIZE);
});
