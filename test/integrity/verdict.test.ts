import { test } from "node:test";
import assert from "node:assert/strict";
import type { ExpectedDigest } from "../../src/options.js";
import { algorithmsNeeded, compareDigests } from "../../src/integrity/verdict.js";

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

test("splits the needed algorithms into sequential ones and CRC32C, without duplicates", () => {
  const expected: ExpectedDigest[] = [
    { algorithm: "sha256", hex: sha, source: "user" },
    { algorithm: "crc32c", hex: "e3069283", source: "x-goog-hash" },
    { algorithm: "md5", hex: "0".repeat(32), source: "content-md5" },
    { algorithm: "sha256", hex: sha, source: "repr-digest" },
  ];
  assert.deepEqual(algorithmsNeeded(expected), { sequential: ["sha256", "md5"], crc32c: true });
  assert.deepEqual(algorithmsNeeded([]), { sequential: [], crc32c: false });
});

test("verifies matches case-insensitively and reports each mismatch with its source", () => {
  const good: ExpectedDigest = { algorithm: "sha256", hex: sha.toUpperCase(), source: "user" };
  const bad: ExpectedDigest = { algorithm: "crc32c", hex: "E3069283", source: "x-goog-hash" };
  const result = compareDigests([good, bad], { sha256: sha, crc32c: "00000000" });
  assert.deepEqual(result.verified, [good]);
  assert.deepEqual(result.mismatches, [
    { algorithm: "crc32c", source: "x-goog-hash", expected: "e3069283", actual: "00000000" },
  ]);
});

test("an expected digest that was never computed is a bug, not a mismatch", () => {
  const expected: ExpectedDigest[] = [
    { algorithm: "md5", hex: "0".repeat(32), source: "content-md5" },
  ];
  assert.throws(() => compareDigests(expected, { sha256: sha }), /no md5 digest was computed/);
});

test("nothing expected: nothing to verify", () => {
  assert.deepEqual(compareDigests([], { sha256: sha }), { verified: [], mismatches: [] });
});
