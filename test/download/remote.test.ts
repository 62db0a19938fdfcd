import assert from "node:assert/strict";
import { test } from "node:test";
import { download } from "../../src/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, Events, generated, KiB, listing, MiB, tempDir } from "./fixtures.js";

test("a file replaced mid-download restarts: the result is the new version whole, never a splice", async (t) => {
  const size = 4 * MiB;
  // Many small requests, so some are sent after the change and see it.
  const server = await serve(t, {
    files: {
      "/f.bin": generated("v1", size, { faults: [{ kind: "replace-after", bytes: size / 2 }] }),
    },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    chunkSize: 128 * KiB,
    retries: 3,
    onEvent: events.onEvent,
  });
  // The server's next version of { seed: "v1" } is { seed: "v1~2" }.
  await assertContent(result.path, "v1~2", size);
  assert.equal(events.of("restart").length, 1);
  assert.deepEqual(await listing(dir), ["f.bin"]);
});

test("a file replaced mid-download without fixed chunks also ends as the new version whole", async (t) => {
  const size = 4 * MiB;
  // One fast and one slow connection: the fast one steals from the slow one after the change.
  const server = await serve(t, {
    rates: [8 * MiB, 1 * MiB],
    files: {
      "/f.bin": generated("w1", size, { faults: [{ kind: "replace-after", bytes: size / 4 }] }),
    },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 2,
    minSplitSize: 64 * KiB,
    retries: 3,
    onEvent: events.onEvent,
  });
  assert.equal(events.of("restart").length, 1);
  await assertContent(result.path, "w1~2", size);
});

test("a weak ETag: no If-Range at all (never a date in its place), and ranges still work", async (t) => {
  const size = 2 * MiB;
  const lastModified = new Date(Date.UTC(2024, 5, 1, 12, 0, 0));
  const server = await serve(t, {
    files: { "/weak.bin": generated("weak", size, { weakEtag: true, lastModified }) },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/weak.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 0,
  });
  assert.equal(result.ranges, true);
  await assertContent(result.path, "weak", size);
  const later = server.stats.requestLog.slice(1);
  assert.ok(later.length > 0, "the file was split");
  for (const entry of later) {
    assert.equal(entry.headers["if-range"], undefined);
    assert.equal(entry.status, 206);
  }
});

test("no validators at all: ranges are sent without If-Range and the file is identical", async (t) => {
  const size = 2 * MiB;
  const server = await serve(t, {
    files: { "/bare.bin": generated("bare", size, { etag: false, lastModified: false }) },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/bare.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 0,
  });
  await assertContent(result.path, "bare", size);
  for (const entry of server.stats.requestLog) assert.equal(entry.headers["if-range"], undefined);
});

test("a server that refuses If-Range dates (Apache, for a fresh file): ranges go on without it", async (t) => {
  const size = 4 * MiB;
  const server = await serve(t, {
    files: { "/fresh.bin": generated("fresh", size, { weakEtag: true, ifRangeDates: false }) },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/fresh.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 2,
    onEvent: events.onEvent,
  });
  assert.equal(result.ranges, true);
  await assertContent(result.path, "fresh", size);
  // At most one refused request per lane before If-Range is dropped for good.
  const refused = server.stats.requestLog.filter((e) => e.status === 200);
  assert.ok(refused.length <= 4, `${refused.length} requests were answered with the whole file`);
  assert.ok(
    server.stats.requestLog.some((e) => e.status === 206 && e.headers["if-range"] === undefined),
  );
  assert.deepEqual(await listing(dir), ["fresh.bin"]);
});
