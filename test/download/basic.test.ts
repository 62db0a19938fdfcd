import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { download } from "../../src/index.js";
import {
  assertContent,
  clientConnections,
  Events,
  generated,
  KiB,
  listing,
  MiB,
  tempDir,
} from "./fixtures.js";
import { serve } from "../helpers/server.js";

for (const connections of [1, 4, 8]) {
  test(`ranges: ${connections} connection(s) give the identical file over at most ${connections} sockets`, async (t) => {
    const size = 2 * MiB + 123;
    const etag = `"basic-${connections}"`;
    const server = await serve(t, { files: { "/f.bin": generated("basic", size, { etag }) } });
    const dir = await tempDir(t);
    const sockets = clientConnections(t, server.port);
    const events = new Events();
    const result = await download(server.url("/f.bin"), {
      dir,
      connections,
      minSplitSize: 64 * KiB,
      retries: 0,
      onEvent: events.onEvent,
    });

    assert.equal(result.path, path.join(dir, "f.bin"));
    assert.equal(result.size, size);
    assert.equal(result.ranges, true);
    assert.equal(result.resumedBytes, 0);
    await assertContent(result.path, "basic", size);
    assert.deepEqual(await listing(dir), ["f.bin"], "no .parget or state left behind");
    // Counted at the client: the server learns of a replaced connection's close late (a socket
    // paused under backpressure reads no FIN), so its peak can include one already gone.
    assert.ok(sockets.peak >= 1 && sockets.peak <= connections, `client peak ${sockets.peak}`);

    const log = server.stats.requestLog;
    assert.equal(
      log[0]?.range,
      connections === 1 ? "bytes=0-" : `bytes=0-${64 * KiB - 1}`,
      "the probe asks for the first piece (for all of it with one connection)",
    );
    assert.equal(log[0]?.headers["if-range"], undefined, "a fresh probe has nothing to match");
    for (const entry of log) {
      assert.equal(entry.headers["accept-encoding"], "identity");
      assert.equal(entry.status, 206);
    }
    for (const entry of log.slice(1)) {
      assert.match(entry.range ?? "", /^bytes=\d+-\d+$/);
      assert.equal(entry.headers["if-range"], etag, "range requests carry the strong ETag");
    }
    if (connections > 1) assert.ok(log.length > 1, "the file was split across requests");

    const [start] = events.of("start");
    assert.equal(start?.size, size);
    assert.equal(start?.ranges, true);
    assert.equal(events.of("done").length, 1);
    assert.equal(events.of("retry").length, 0);
  });
}

test('ranges "no": one plain stream, one request, identical file', async (t) => {
  const size = MiB + 7;
  const server = await serve(t, {
    files: { "/f.bin": generated("no-ranges", size, { ranges: "no" }) },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 8,
    minSplitSize: 64 * KiB,
    retries: 0,
  });
  assert.equal(result.ranges, false);
  assert.equal(result.size, size);
  await assertContent(result.path, "no-ranges", size);
  assert.equal(server.stats.requests, 1);
  assert.deepEqual(server.stats.statuses, { 200: 1 });
});

test('ranges "ignored": Accept-Ranges is advertised but a 200 comes back; one stream, identical', async (t) => {
  const size = MiB + 7;
  const server = await serve(t, {
    files: { "/f.bin": generated("ignored", size, { ranges: "ignored" }) },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 8,
    minSplitSize: 64 * KiB,
    retries: 0,
  });
  assert.equal(result.ranges, false);
  await assertContent(result.path, "ignored", size);
  assert.equal(server.stats.requests, 1);
  assert.deepEqual(server.stats.statuses, { 200: 1 });
});

test("a zero-byte file downloads to an empty file", async (t) => {
  const server = await serve(t, { files: { "/empty.bin": generated("empty", 0) } });
  const dir = await tempDir(t);
  const result = await download(server.url("/empty.bin"), { dir, connections: 4, retries: 0 });
  assert.equal(result.size, 0);
  await assertContent(result.path, "empty", 0);
  assert.deepEqual(await listing(dir), ["empty.bin"]);
});

test("a file smaller than the connection count (5 bytes, 8 connections)", async (t) => {
  const server = await serve(t, { files: { "/tiny.bin": generated("tiny", 5) } });
  const dir = await tempDir(t);
  const result = await download(server.url("/tiny.bin"), {
    dir,
    connections: 8,
    minSplitSize: 1,
    retries: 0,
  });
  assert.equal(result.size, 5);
  await assertContent(result.path, "tiny", 5);
  assert.ok(server.stats.peakConnections <= 8);
});

test("chunked bodies with ranges: the size comes from Content-Range; identical file", async (t) => {
  const size = MiB + 99;
  const server = await serve(t, {
    files: { "/c.bin": generated("chunked", size, { chunked: true }) },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/c.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 0,
  });
  assert.equal(result.ranges, true);
  assert.equal(result.size, size);
  await assertContent(result.path, "chunked", size);
});

test("chunked without ranges: no Content-Length at all, streamed to its end", async (t) => {
  const size = MiB + 99;
  const server = await serve(t, {
    files: { "/c.bin": generated("chunked-200", size, { chunked: true, ranges: "no" }) },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/c.bin"), {
    dir,
    connections: 4,
    retries: 0,
    onEvent: events.onEvent,
  });
  assert.equal(events.of("start")[0]?.size, null, "the size was not announced");
  assert.equal(result.ranges, false);
  assert.equal(result.size, size);
  await assertContent(result.path, "chunked-200", size);
  assert.equal(server.stats.requests, 1);
});

test("a fixed chunkSize asks for chunk-sized ranges", async (t) => {
  const chunk = 64 * KiB;
  const size = 10 * chunk + 1000;
  const server = await serve(t, { files: { "/f.bin": generated("chunks", size) } });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 3,
    chunkSize: chunk,
    retries: 0,
  });
  await assertContent(result.path, "chunks", size);
  const ranges = server.stats.requestLog.map((e) => e.range ?? "");
  assert.equal(ranges[0], `bytes=0-${chunk - 1}`, "even the probe is one chunk");
  const starts = new Set<number>();
  for (const range of ranges) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(range);
    assert.ok(m, range);
    const [start, end] = [Number(m[1]), Number(m[2])];
    assert.equal(start % chunk, 0, `${range} starts on a chunk boundary`);
    assert.equal(end, Math.min(start + chunk, size) - 1, `${range} is one chunk`);
    starts.add(start);
  }
  assert.equal(starts.size, 11, "every chunk was asked for");
  assert.equal(ranges.length, 11, "and only once");
  // Whole responses only: no connection is cut and replaced, so the server's count is exact.
  assert.ok(server.stats.peakConnections <= 3, `server peak ${server.stats.peakConnections}`);
});

test("one AbortSignal for many downloads: each leaves no listener on it", async (t) => {
  const server = await serve(t, {
    files: Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`/f${i}.bin`, generated(`many-${i}`, 64 * KiB)]),
    ),
  });
  const dir = await tempDir(t);
  const controller = new AbortController();
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on("warning", onWarning);
  t.after(() => process.off("warning", onWarning));
  for (let i = 0; i < 12; i++) {
    const result = await download(server.url(`/f${i}.bin`), { dir, signal: controller.signal });
    await assertContent(result.path, `many-${i}`, 64 * KiB);
  }
  // A warning is emitted on the next tick after the listener that crossed the limit.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message),
    [],
  );
});

test("a finished download leaves no timer running, so a CLI exits as soon as it is done", async (t) => {
  const timers = (): number =>
    process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  const server = await serve(t, { files: { "/f.bin": generated("timers", 2 * MiB) } });
  const dir = await tempDir(t);
  // More lanes than segments: the spare lanes wait idle until the others finish.
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 8,
    minSplitSize: MiB,
  });
  await assertContent(result.path, "timers", 2 * MiB);
  await server.close();
  assert.equal(timers(), before);
});
