import assert from "node:assert/strict";
import { test } from "node:test";
import {
  aria2ErrorCode,
  entrySettings,
  findGid,
  gidFromBytes,
  globalSettings,
  isGid,
  optionsForWire,
  parseSpeed,
  readOptions,
  wireNumber,
  ENTRY_OPTIONS,
  GLOBAL_OPTIONS,
} from "../../src/core/aria2.js";
import { statusStruct } from "../../src/core/aria2-status.js";

test("GIDs: 16 hex digits from 8 bytes, never all zeros; a unique prefix finds one", () => {
  assert.equal(gidFromBytes(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 0xff])), "01020304050607ff");
  assert.equal(gidFromBytes(new Uint8Array(8)), undefined);
  assert.throws(() => gidFromBytes(new Uint8Array(4)), RangeError);
  assert.equal(isGid("01020304050607ff"), true);
  assert.equal(isGid("01020304050607FF"), false);
  const gids = ["2089b05ecca3d829", "2089b05ecca3d830", "a000000000000001"];
  const cases: [unknown, string | undefined][] = [
    ["2089b05ecca3d829", "2089b05ecca3d829"],
    ["2089B05ECCA3D829", "2089b05ecca3d829"],
    ["a", "a000000000000001"],
    ["2089", undefined],
    ["2089b05ecca3d83", "2089b05ecca3d830"],
    ["b", undefined],
    ["", undefined],
    ["zz", undefined],
    [42, undefined],
    ["2089b05ecca3d8290", undefined],
  ];
  for (const [text, expected] of cases) assert.equal(findGid(text, gids), expected, String(text));
});

test("numbers travel as decimal strings", () => {
  assert.equal(wireNumber(0), "0");
  assert.equal(wireNumber(1234.9), "1234");
  assert.equal(wireNumber(-5), "0");
  assert.equal(wireNumber(2 ** 40), "1099511627776");
});

test("aria2's error codes for parget's failures", () => {
  const cases: [Parameters<typeof aria2ErrorCode>, number][] = [
    [["PARGET_FILE_EXISTS"], 13],
    [["PARGET_CHECKSUM_MISMATCH"], 32],
    [["PARGET_NETWORK"], 6],
    [["PARGET_TIMEOUT"], 2],
    [["PARGET_HTTP_STATUS", 404], 3],
    [["PARGET_HTTP_STATUS", 403], 24],
    [["PARGET_HTTP_STATUS", 503], 29],
    [["PARGET_HTTP_STATUS", 500], 22],
    [["PARGET_TOO_MANY_REDIRECTS"], 23],
    [["PARGET_FILESYSTEM"], 17],
    [[undefined], 1],
  ];
  for (const [args, code] of cases) assert.equal(aria2ErrorCode(...args), code, String(args));
});

test("options: kept as strings, unknown ones dropped, path-setting ones refused", () => {
  assert.deepEqual(
    readOptions(
      {
        out: "a.bin",
        split: 4,
        "seed-time": "0",
        header: ["A: 1", "B: 2"],
        "allow-overwrite": true,
      },
      ENTRY_OPTIONS,
    ),
    { out: "a.bin", split: "4", header: ["A: 1", "B: 2"], "allow-overwrite": "true" },
  );
  assert.deepEqual(readOptions(undefined, ENTRY_OPTIONS), {});
  for (const name of ["log", "save-session", "on-download-complete", "input-file", "rpc-secret"]) {
    assert.throws(() => readOptions({ [name]: "/tmp/x" }, ENTRY_OPTIONS), /cannot be set over RPC/);
  }
  assert.throws(() => readOptions(["out"], ENTRY_OPTIONS), /object/);
  assert.throws(() => readOptions({ split: "0" }, ENTRY_OPTIONS), /between 1 and 64/);
  assert.throws(() => readOptions({ split: "65" }, ENTRY_OPTIONS), /between 1 and 64/);
  assert.throws(() => readOptions({ checksum: "sha-256=zz" }, ENTRY_OPTIONS), /hex/);
  assert.throws(() => readOptions({ header: "no colon" }, ENTRY_OPTIONS), /Name: value/);
  assert.throws(() => readOptions({ "allow-overwrite": "yes" }, ENTRY_OPTIONS), /true or false/);
  assert.deepEqual(readOptions({ dir: "x" }, GLOBAL_OPTIONS), {});
  assert.deepEqual(optionsForWire({ header: ["A: 1", "B: 2"], out: "x" }), {
    header: "A: 1\nB: 2",
    out: "x",
  });
});

test("entry settings: the stricter of split and max-connection-per-server, checksums, headers, limits", () => {
  assert.deepEqual(entrySettings({}), {});
  assert.deepEqual(entrySettings({ split: "8", "max-connection-per-server": "4" }).connections, 4);
  assert.deepEqual(entrySettings({ "max-connection-per-server": "6" }).connections, 6);
  const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  assert.deepEqual(entrySettings({ checksum: `sha-256=${hex}` }).checksums, [
    { algorithm: "sha256", hex, source: "user" },
  ]);
  assert.deepEqual(entrySettings({ header: ["X-A: 1", "x-a: 2"] }).headers, { "x-a": "2" });
  assert.equal(entrySettings({ "max-download-limit": "512K" }).rateLimit, 512 * 1024);
  assert.equal(parseSpeed("x", "0"), 0);
  assert.equal(parseSpeed("x", "2M"), 2 * 1024 * 1024);
  assert.throws(() => parseSpeed("x", "fast"), /bytes per second/);
  const defaults = { maxConcurrentDownloads: 5, maxOverallDownloadLimit: 0 };
  assert.deepEqual(globalSettings({ "max-concurrent-downloads": "2" }, defaults), {
    maxConcurrentDownloads: 2,
    maxOverallDownloadLimit: 0,
  });
  assert.throws(() => globalSettings({ "max-concurrent-downloads": "0" }, defaults), /at least 1/);
});

test("the status struct: aria2's keys, numbers as strings, only the keys asked", () => {
  const view = {
    gid: "0123456789abcdef",
    status: "active" as const,
    uris: ["http://x.test/a"],
    dir: "/d",
    path: "/d/a",
    totalLength: 3 * 1024 * 1024 + 1,
    completedLength: 1024,
    downloadSpeed: 2048.7,
    connections: 3,
  };
  const struct = statusStruct(view);
  assert.equal(struct.totalLength, "3145729");
  assert.equal(struct.numPieces, "4");
  assert.equal(struct.downloadSpeed, "2048");
  assert.equal(struct.connections, "3");
  assert.equal("errorCode" in struct, false);
  assert.deepEqual(statusStruct(view, ["gid", "status"]), { gid: view.gid, status: "active" });
  const failed = statusStruct({ ...view, status: "error", errorCode: 3, errorMessage: "HTTP 404" });
  assert.equal(failed.errorCode, "3");
  assert.equal(failed.downloadSpeed, "0");
});
