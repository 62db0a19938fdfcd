/**
 * A file no larger than the first piece arrives whole in the first answer: it is received into
 * memory and written once, with no resume state or journal, yet it is verified, retried and
 * started over as carefully as a large one.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { test } from "node:test";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32c } from "@node-rs/crc32";
import { ChecksumMismatchError, download } from "../../src/index.js";
import { generateContent } from "../../src/server/index.js";
import { serve } from "../helpers/server.js";
import {
  assertContent,
  Events,
  generated,
  KiB,
  listing,
  rejectsWith,
  tempDir,
} from "./fixtures.js";

const SIZE = 200 * KiB;
const sha256 = (seed: string): string =>
  createHash("sha256")
    .update(generateContent(seed, 0, SIZE))
    .digest("hex");

test("a small file: one request, one write, verified, nothing left beside it", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("small", SIZE) } });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    checksums: [{ algorithm: "sha256", hex: sha256("small"), source: "user" }],
    onEvent: events.onEvent,
  });
  await assertContent(result.path, "small", SIZE);
  assert.deepEqual(
    server.stats.requestLog.map((e) => e.range),
    [`bytes=0-${1024 * KiB - 1}`],
  );
  assert.equal(server.stats.bytesSent, SIZE);
  assert.deepEqual(
    result.verified.map((d) => d.source),
    ["user"],
  );
  assert.deepEqual(await listing(dir), ["f.bin"]);
  assert.equal(events.of("start")[0]?.connections, 1);
  assert.equal(events.of("done").length, 1);
});

test("a small file with the wrong digest: exit 6, its data kept, no final file", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("small", SIZE) } });
  const dir = await tempDir(t);
  const error = await rejectsWith(
    download(server.url("/f.bin"), {
      dir,
      checksums: [{ algorithm: "sha256", hex: sha256("other"), source: "user" }],
    }),
    "PARGET_CHECKSUM_MISMATCH",
    6,
  );
  assert.ok(error instanceof ChecksumMismatchError);
  assert.deepEqual(await listing(dir), ["f.bin.parget"]);
  await assertContent(path.join(dir, "f.bin.parget"), "small", SIZE);
});

test("a small file cut short is asked again from byte 0 and arrives whole", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": generated("cut", SIZE, {
        faults: [{ kind: "truncate", afterBytes: 60 * KiB, times: 1 }],
      }),
    },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    retries: 2,
    onEvent: events.onEvent,
  });
  await assertContent(result.path, "cut", SIZE);
  assert.equal(events.of("retry").length, 1);
  assert.deepEqual(
    server.stats.requestLog.map((e) => e.range),
    [`bytes=0-${1024 * KiB - 1}`, `bytes=0-${1024 * KiB - 1}`],
  );
});

test("a small file replaced between two attempts is started over, never mixed", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": generated("before", SIZE, {
        etag: '"v1"',
        faults: [{ kind: "truncate", afterBytes: 60 * KiB, times: 1 }],
      }),
    },
  });
  const dir = await tempDir(t);
  const events = new Events();
  let replaced = false;
  const result = await download(server.url("/f.bin"), {
    dir,
    retries: 2,
    onEvent: (event) => {
      events.onEvent(event);
      // The first answer was cut: the file changes before it is asked again.
      if (event.type === "retry" && !replaced) {
        replaced = true;
        server.replaceFile("/f.bin", generated("after", SIZE, { etag: '"v2"' }));
      }
    },
  });
  await assertContent(result.path, "after", SIZE);
  assert.equal(events.of("restart").length, 1);
});

test("a small file's CRC32C, MD5 (x-goog-hash) and CRC-32 (S3) are computed in memory and checked", async (t) => {
  const bytes = generateContent("sums", 0, SIZE);
  const crc32cBytes = Buffer.alloc(4);
  crc32cBytes.writeUInt32BE(crc32c(bytes) >>> 0);
  const crc32Bytes = Buffer.alloc(4);
  crc32Bytes.writeUInt32BE(zlibCrc32(bytes) >>> 0);
  const md5 = createHash("md5").update(bytes).digest("base64");
  const server = await serve(t, {
    files: {
      "/f.bin": generated("sums", SIZE, {
        headers: { "x-goog-hash": `crc32c=${crc32cBytes.toString("base64")},md5=${md5}` },
        s3Checksums: { "x-amz-checksum-crc32": crc32Bytes.toString("base64") },
      }),
      "/bad.bin": generated("sums", SIZE, {
        headers: { "x-goog-hash": "crc32c=AAAAAA==" },
      }),
    },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), { dir });
  assert.deepEqual(result.verified.map((d) => `${d.algorithm}:${d.source}`).sort(), [
    "crc32:x-amz-checksum",
    "crc32c:x-goog-hash",
    "md5:x-goog-hash",
  ]);
  const error = await rejectsWith(
    download(server.url("/bad.bin"), { dir }),
    "PARGET_CHECKSUM_MISMATCH",
    6,
  );
  assert.ok(error instanceof ChecksumMismatchError);
  assert.equal(error.mismatches[0]?.algorithm, "crc32c");
});
