import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeState, encodeState, type ResumeState } from "../../src/core/state.js";

const state: ResumeState = {
  url: "https://example.test/a.bin",
  size: 1000,
  etag: '"abc"',
  lastModified: null,
  extents: [
    { start: 0, end: 100, crc: 0xdeadbeef },
    { start: 500, end: 1000, crc: 7 },
  ],
  crcs: true,
  expected: [
    { algorithm: "sha256", hex: "ab".repeat(32), source: "x-amz-checksum" },
    { algorithm: "crc64nvme", hex: "ae8b14860a799888", source: "user" },
  ],
};

test("a state survives a round trip", () => {
  assert.deepEqual(decodeState(encodeState(state)), state);
  const verified = {
    ...state,
    verified: [{ algorithm: "sha256" as const, hex: "ab", source: "user" }],
  };
  assert.deepEqual(decodeState(encodeState(verified)), verified);
});

test("a state says whether its CRCs were computed; one from before that always had them", () => {
  const untracked = { ...state, crcs: false };
  assert.deepEqual(decodeState(encodeState(untracked)), untracked);
  const older = JSON.parse(encodeState(state)) as Record<string, unknown>;
  delete older["crcs"];
  assert.equal(decodeState(JSON.stringify(older))?.crcs, true);
  assert.equal(decodeState(JSON.stringify({ ...older, crcs: "yes" })), undefined);
});

test("a state keeps the digests the file must match; one from before that expected none", () => {
  const older = JSON.parse(encodeState(state)) as Record<string, unknown>;
  delete older["expected"];
  assert.deepEqual(decodeState(JSON.stringify(older)), { ...state, expected: [] });
  const damaged: unknown[] = [
    "sha256",
    [null],
    [{ algorithm: "sha3", hex: "ab", source: "user" }],
    [{ algorithm: "sha256", hex: "ab", source: "user" }],
    [{ algorithm: "md5", hex: "AB".repeat(16), source: "user" }],
    [{ algorithm: "md5", hex: "ab".repeat(16) }],
    [{ algorithm: "toString", hex: "", source: "user" }],
  ];
  for (const expected of damaged) {
    const text = JSON.stringify({ ...older, expected });
    assert.equal(decodeState(text), undefined, text);
  }
});

test("a damaged or foreign state is ignored, never trusted", () => {
  const bad = [
    "",
    "{",
    "null",
    JSON.stringify({ version: 2, url: "x", size: 1, etag: null, lastModified: null, extents: [] }),
    encodeState({ ...state, extents: [{ start: 0, end: 2000, crc: 1 }] }),
    encodeState({ ...state, extents: [{ start: 50, end: 40, crc: 1 }] }),
    encodeState({
      ...state,
      extents: [
        { start: 0, end: 100, crc: 1 },
        { start: 50, end: 200, crc: 1 },
      ],
    }),
    encodeState({ ...state, extents: [{ start: 0, end: 100, crc: -1 }] }),
    encodeState({ ...state, size: -1 }),
  ];
  for (const text of bad) assert.equal(decodeState(text), undefined, text);
});
