import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "@node-rs/crc32";
import { FrontierHasher } from "../../src/integrity/frontier-hasher.js";
import { generateContent } from "../../src/server/content.js";

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "parget-frontier-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

test("hashes a file written out of order as its contiguous prefix grows", async (t) => {
  const path = join(await tempDir(t), "file");
  const size = 20 * 1024 * 1024;
  const chunk = 300_000; // not a divisor of the size, nor aligned to the worker's blocks
  const data = randomBytes(size);
  const file = await open(path, "w");
  const hasher = FrontierHasher.start(path, ["sha256", "md5", "sha1", "sha512", "sha256", "crc32"]);
  t.after(() => hasher.close());

  const done = new Set<number>();
  let frontier = 0;
  const starts = shuffle(Array.from({ length: Math.ceil(size / chunk) }, (_, i) => i * chunk));
  for (const start of starts) {
    const end = Math.min(start + chunk, size);
    await file.write(data, start, end - start, start);
    done.add(start);
    while (done.has(frontier)) frontier = Math.min(frontier + chunk, size);
    hasher.advance(frontier);
    hasher.advance(frontier - 1); // smaller values are ignored
  }
  await file.close();
  assert.equal(frontier, size);

  const digests = await hasher.finish(size);
  assert.deepEqual(digests, {
    sha256: createHash("sha256").update(data).digest("hex"),
    md5: createHash("md5").update(data).digest("hex"),
    sha1: createHash("sha1").update(data).digest("hex"),
    sha512: createHash("sha512").update(data).digest("hex"),
    crc32: (crc32(data) >>> 0).toString(16).padStart(8, "0"),
  });
  assert.equal(hasher.hashedBytes, size);
});

/** CRC-64/NVME bit by bit, straight from its definition: the oracle for short inputs. */
function crc64NvmeReference(data: Uint8Array): string {
  let crc = (1n << 64n) - 1n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 1n ? (crc >> 1n) ^ 0x9a6c9329ac4bc9b5n : crc >> 1n;
  }
  return (crc ^ ((1n << 64n) - 1n)).toString(16).padStart(16, "0");
}

async function crcsOf(t: Parameters<typeof tempDir>[0], data: Uint8Array) {
  const path = join(await tempDir(t), "file");
  await writeFile(path, data);
  const hasher = FrontierHasher.start(path, ["crc64nvme", "crc32"]);
  hasher.advance(data.length);
  return hasher.finish(data.length);
}

test("CRC-32 and CRC-64/NVME match their check values and independent implementations", async (t) => {
  // The catalogue's check values, for "123456789".
  assert.deepEqual(await crcsOf(t, Buffer.from("123456789")), {
    crc64nvme: "ae8b14860a799888",
    crc32: "cbf43926",
  });
  assert.deepEqual(await crcsOf(t, Buffer.alloc(0)), {
    crc64nvme: "0000000000000000",
    crc32: "00000000",
  });
  // Computed once with the AWS SDK's @aws-sdk/crc64-nvme; longer than one of the worker's blocks.
  const fromSdk: [size: number, crc64nvme: string][] = [
    [1, "e26554a417c62355"],
    [15, "b64253f9d303ace1"],
    [3 * 1024 * 1024 + 5, "54fd2281e5a0f54f"],
  ];
  for (const [size, crc64nvme] of fromSdk) {
    const data = generateContent("crc64", 0, size);
    const hex = (crc32(data) >>> 0).toString(16).padStart(8, "0");
    assert.deepEqual(await crcsOf(t, data), { crc64nvme, crc32: hex }, `${size} bytes`);
  }
  // Lengths around the 8-byte words the table method takes at once.
  const data = randomBytes(40);
  const path = join(await tempDir(t), "file");
  await writeFile(path, data);
  for (const length of [1, 7, 8, 9, 16, 23, 33, 40]) {
    const hasher = FrontierHasher.start(path, ["crc64nvme"]);
    const { crc64nvme } = await hasher.finish(length);
    assert.equal(crc64nvme, crc64NvmeReference(data.subarray(0, length)), `${length} bytes`);
  }
});

test("finish hashes whatever the frontier had not yet reached", async (t) => {
  const path = join(await tempDir(t), "file");
  const data = randomBytes(3 * 1024 * 1024 + 17);
  await writeFile(path, data);
  const hasher = FrontierHasher.start(path, ["sha256"]);
  hasher.advance(1000); // below the wake-up step: the worker may sleep until finish
  assert.deepEqual(await hasher.finish(data.length), {
    sha256: createHash("sha256").update(data).digest("hex"),
  });
});

test("finish on an empty file gives the empty digests", async (t) => {
  const path = join(await tempDir(t), "empty");
  await writeFile(path, "");
  const hasher = FrontierHasher.start(path, ["md5", "sha256"]);
  assert.deepEqual(await hasher.finish(0), {
    md5: "d41d8cd98f00b204e9800998ecf8427e",
    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  });
  await hasher.close();
});

test("with no algorithms nothing runs, not even on a missing file", async () => {
  const hasher = FrontierHasher.start("/nonexistent/parget/file", []);
  hasher.advance(10);
  assert.deepEqual(await hasher.finish(10), {});
  assert.equal(hasher.hashedBytes, 0);
  await hasher.close();
});

test("close() while hashing stops the worker; finish then rejects", async (t) => {
  const path = join(await tempDir(t), "file");
  await writeFile(path, Buffer.alloc(8 * 1024 * 1024));
  const hasher = FrontierHasher.start(path, ["sha512"]);
  hasher.advance(4 * 1024 * 1024);
  await Promise.all([hasher.close(), hasher.close()]);
  await hasher.close();
  await assert.rejects(hasher.finish(8 * 1024 * 1024), /stopped before finishing/);
});

test("worker errors reject finish", async (t) => {
  const missing = FrontierHasher.start(join(await tempDir(t), "missing"), ["sha256"]);
  await assert.rejects(missing.finish(0), /ENOENT/);

  const path = join(await tempDir(t), "short");
  await writeFile(path, "abc");
  const short = FrontierHasher.start(path, ["sha1"]);
  await assert.rejects(short.finish(10), /ends at byte 3, before the frontier 10/);
});

test("finish below the frontier already given is refused", async (t) => {
  const path = join(await tempDir(t), "file");
  await writeFile(path, "abcdef");
  const hasher = FrontierHasher.start(path, ["sha1"]);
  t.after(() => hasher.close());
  hasher.advance(6);
  await assert.rejects(hasher.finish(5), RangeError);
});

test("a small file is hashed at the end on this thread, with the digests a worker gives", async (t) => {
  const dir = await tempDir(t);
  for (const size of [0, 1, 1024 * 1024 + 3, 4 * 1024 * 1024]) {
    const path = join(dir, `f${size}`);
    const data = randomBytes(size);
    await writeFile(path, data);
    const inline = FrontierHasher.start(path, ["sha256", "md5"], size);
    assert.equal(inline.hashing, false, "no worker for a small file");
    inline.advance(size);
    const digests = await inline.finish(size);
    assert.deepEqual(digests, {
      sha256: createHash("sha256").update(data).digest("hex"),
      md5: createHash("md5").update(data).digest("hex"),
    });
    const worker = FrontierHasher.start(path, ["sha256", "md5"]);
    worker.advance(size);
    assert.deepEqual(await worker.finish(size), digests);
    await worker.close();
  }
  const big = FrontierHasher.start(join(dir, "f0"), ["sha256"], 4 * 1024 * 1024 + 1);
  assert.equal(big.hashing, true, "a larger file is hashed as it grows, by a worker");
  await big.close();
  const crc = FrontierHasher.start(join(dir, "f0"), ["crc64nvme"], 10);
  assert.equal(crc.hashing, true, "CRC-64/NVME is computed by the worker only");
  await crc.close();
});
