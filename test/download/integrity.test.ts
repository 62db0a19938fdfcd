import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { crc32c } from "@node-rs/crc32";
import { ChecksumMismatchError, download, type ExpectedDigest } from "../../src/index.js";
import { generateContent, type FileSpec } from "../../src/server/index.js";
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

const SIZE = 3 * MiB + 17;
const SEED = "integrity";
const BYTES = generateContent(SEED, 0, SIZE);

function digest(algorithm: "sha256" | "sha512" | "sha1" | "md5"): Buffer {
  return createHash(algorithm).update(BYTES).digest();
}

/** CRC32C as the 4 big-endian bytes that headers and hex digests spell. */
function crcBytes(data: Buffer): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(data) >>> 0);
  return out;
}

const HEX = {
  sha256: digest("sha256").toString("hex"),
  sha512: digest("sha512").toString("hex"),
  sha1: digest("sha1").toString("hex"),
  md5: digest("md5").toString("hex"),
  crc32c: crcBytes(BYTES).toString("hex"),
};

function user(algorithm: keyof typeof HEX, hex = HEX[algorithm]): ExpectedDigest {
  return { algorithm, hex, source: "user" };
}

async function fetchWith(
  t: TestContext,
  spec: Omit<FileSpec, "content">,
  checksums: ExpectedDigest[] = [],
  connections = 4,
) {
  const server = await serve(t, { files: { "/f.bin": generated(SEED, SIZE, spec) } });
  const dir = await tempDir(t);
  const events = new Events();
  const result = download(server.url("/f.bin"), {
    dir,
    connections,
    minSplitSize: 64 * KiB,
    retries: 0,
    checksums,
    onEvent: events.onEvent,
  });
  result.catch(() => {});
  return { dir, events, result, final: path.join(dir, "f.bin") };
}

const key = (d: ExpectedDigest) => `${d.algorithm}:${d.hex}:${d.source}`;

test("every user checksum algorithm is verified over a download split across lanes", async (t) => {
  const expected = (["sha256", "md5", "sha1", "sha512", "crc32c"] as const).map((a) => user(a));
  const run = await fetchWith(t, {}, expected);
  const result = await run.result;
  await assertContent(run.final, SEED, SIZE);
  assert.deepEqual(result.verified.map(key).sort(), expected.map(key).sort());
  const [verifying] = run.events.of("verifying");
  assert.deepEqual([...(verifying?.algorithms ?? [])].sort(), [
    "crc32c",
    "md5",
    "sha1",
    "sha256",
    "sha512",
  ]);
});

test("checksums are verified over a single stream too (no ranges)", async (t) => {
  const expected = [user("sha256"), user("crc32c")];
  const run = await fetchWith(t, { ranges: "no" }, expected);
  const result = await run.result;
  assert.equal(result.ranges, false);
  assert.deepEqual(result.verified.map(key).sort(), expected.map(key).sort());
});

test("upper-case hex from the user still matches", async (t) => {
  const run = await fetchWith(t, {}, [user("sha256", HEX.sha256.toUpperCase())]);
  const result = await run.result;
  assert.equal(result.verified.length, 1);
});

test("a wrong sha256: ChecksumMismatchError (exit 6), both digests named, data kept, no final file", async (t) => {
  const wrong = "0".repeat(64);
  const run = await fetchWith(t, {}, [user("sha256", wrong)]);
  const error = await rejectsWith(run.result, "PARGET_CHECKSUM_MISMATCH", 6);
  assert.ok(error instanceof ChecksumMismatchError);
  assert.match(error.message, new RegExp(wrong));
  assert.match(error.message, new RegExp(HEX.sha256));
  assert.deepEqual(error.mismatches, [
    { algorithm: "sha256", source: "user", expected: wrong, actual: HEX.sha256 },
  ]);
  assert.equal(await exists(run.final), false);
  assert.equal(error.partialPath, `${run.final}.parget`);
  await assertContent(`${run.final}.parget`, SEED, SIZE);
});

test("x-goog-hash (crc32c and md5, base64) is verified with that source", async (t) => {
  const header = `crc32c=${crcBytes(BYTES).toString("base64")},md5=${digest("md5").toString("base64")}`;
  const run = await fetchWith(t, { headers: { "x-goog-hash": header } });
  const result = await run.result;
  await assertContent(run.final, SEED, SIZE);
  assert.deepEqual(result.verified.map(key).sort(), [
    `crc32c:${HEX.crc32c}:x-goog-hash`,
    `md5:${HEX.md5}:x-goog-hash`,
  ]);
});

test("a wrong x-goog-hash fails the download with exit 6", async (t) => {
  const wrongCrc = crcBytes(Buffer.from("something else")).toString("base64");
  const run = await fetchWith(t, { headers: { "x-goog-hash": `crc32c=${wrongCrc}` } });
  const error = await rejectsWith(run.result, "PARGET_CHECKSUM_MISMATCH", 6);
  assert.match(error.message, /x-goog-hash/);
  assert.equal(await exists(run.final), false);
  assert.equal(await exists(`${run.final}.parget`), true);
});

test("Repr-Digest sha-256 is verified with that source", async (t) => {
  const header = `sha-256=:${digest("sha256").toString("base64")}:`;
  const run = await fetchWith(t, { headers: { "repr-digest": header } });
  const result = await run.result;
  assert.deepEqual(result.verified.map(key), [`sha256:${HEX.sha256}:repr-digest`]);
});

test("a wrong Repr-Digest fails the download with exit 6", async (t) => {
  const wrong = createHash("sha256").update("other").digest("base64");
  const run = await fetchWith(t, { headers: { "repr-digest": `sha-256=:${wrong}:` } });
  await rejectsWith(run.result, "PARGET_CHECKSUM_MISMATCH", 6);
  assert.deepEqual(await listing(run.dir), ["f.bin.parget"]);
});

test("a user checksum and a server digest are both checked", async (t) => {
  const header = `sha-256=:${digest("sha256").toString("base64")}:`;
  const run = await fetchWith(t, { headers: { "repr-digest": header } }, [user("md5")]);
  const result = await run.result;
  assert.deepEqual(result.verified.map(key).sort(), [
    `md5:${HEX.md5}:user`,
    `sha256:${HEX.sha256}:repr-digest`,
  ]);
});
