import assert from "node:assert/strict";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { download, type DownloadOptions } from "../../src/index.js";
import { digestOfContent, type FileSpec, type RangeServer } from "../../src/server/index.js";
import { generateContent } from "../../src/server/content.js";
import { crc32c, crc32cHex } from "../../src/integrity/crc32c.js";
import { open } from "node:fs/promises";
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

function options(dir: string, events: Events, signal?: AbortSignal): DownloadOptions {
  return {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 2,
    progressIntervalMs: 20,
    onEvent: events.onEvent,
    ...(signal ? { signal } : {}),
  };
}

/** Starts a throttled download and aborts it once progress reports at least 40% on disk. */
async function abortAtFortyPercent(
  t: TestContext,
  seed: string,
  spec: Omit<FileSpec, "content"> = {},
): Promise<{ server: RangeServer; dir: string; final: string; written: number }> {
  const server = await serve(t, {
    ratePerConnection: 4 * MiB,
    files: { "/f.bin": generated(seed, SIZE, spec) },
  });
  const dir = await tempDir(t);
  const controller = new AbortController();
  const events = new Events();
  let written = 0;
  const onEvent = events.onEvent;
  const first = download(server.url("/f.bin"), {
    ...options(dir, events, controller.signal),
    onEvent: (event) => {
      onEvent(event);
      if (event.type === "progress" && event.bytes >= 0.4 * SIZE && !controller.signal.aborted) {
        written = event.bytes;
        controller.abort();
      }
    },
  });
  await rejectsWith(first, "PARGET_ABORTED", 1);
  assert.ok(written >= 0.4 * SIZE && written < SIZE, `aborted at ${written}`);
  const final = path.join(dir, "f.bin");
  assert.equal(await exists(final), false, "no final file after an abort");
  assert.deepEqual(await listing(dir), [
    "f.bin.parget",
    "f.bin.parget.journal",
    "f.bin.parget.state",
  ]);
  return { server, dir, final, written };
}

test("an aborted download resumes: identical file, and the server sends little more than the rest", async (t) => {
  const { server, dir, final, written } = await abortAtFortyPercent(t, "resume");
  server.resetStats();
  const events = new Events();
  // The digest covers the bytes from both runs: the resumed ones are read back from disk.
  const sha256 = await digestOfContent("resume", SIZE, "sha256");
  const result = await download(server.url("/f.bin"), {
    ...options(dir, events),
    checksums: [{ algorithm: "sha256", hex: sha256, source: "user" }],
  });

  await assertContent(final, "resume", SIZE);
  assert.deepEqual(result.verified, [{ algorithm: "sha256", hex: sha256, source: "user" }]);
  assert.deepEqual(await listing(dir), ["f.bin"]);
  assert.ok(result.resumedBytes >= 0.4 * SIZE, `resumed ${result.resumedBytes}`);
  assert.ok(result.resumedBytes <= written + 4 * MiB);
  assert.equal(events.of("start")[0]?.resumedBytes, result.resumedBytes);
  assert.equal(events.of("restart").length, 0);
  const sent = server.stats.bytesSent;
  assert.ok(sent < 0.75 * SIZE, `second run sent ${sent} of ${SIZE}`);
  assert.ok(sent >= SIZE - result.resumedBytes, "the missing bytes were fetched");
  // The resumed probe asks for one piece from the first missing byte and checks the version.
  const [probe] = server.stats.requestLog;
  const [, from, to] = /^bytes=(\d+)-(\d+)$/.exec(probe?.range ?? "") ?? [];
  assert.equal(Number(to) - Number(from) + 1, 64 * KiB, `probe ${probe?.range}`);
  assert.match(String(probe?.headers["if-range"]), /^"/);
});

test("a CRC32C expected only on the rerun covers the resumed bytes too: read back, not trusted", async (t) => {
  // The first run expected no CRC32C, so its state records none for the bytes it wrote.
  const { server, dir, final } = await abortAtFortyPercent(t, "resume-crc");
  const hex = crc32cHex(crc32c(generateContent("resume-crc", 0, SIZE)));
  const result = await download(server.url("/f.bin"), {
    ...options(dir, new Events()),
    checksums: [{ algorithm: "crc32c", hex, source: "user" }],
  });
  await assertContent(final, "resume-crc", SIZE);
  assert.ok(result.resumedBytes >= 0.4 * SIZE, `resumed ${result.resumedBytes}`);
  assert.deepEqual(result.verified, [{ algorithm: "crc32c", hex, source: "user" }]);

  // A resumed byte damaged on disk is caught by the read-back.
  const again = await abortAtFortyPercent(t, "resume-crc");
  const partial = `${again.final}.parget`;
  const handle = await open(partial, "r+");
  await handle.write(Buffer.from([0x55]), 0, 1, 1000);
  await handle.close();
  await rejectsWith(
    download(again.server.url("/f.bin"), {
      ...options(again.dir, new Events()),
      checksums: [{ algorithm: "crc32c", hex, source: "user" }],
    }),
    "PARGET_CHECKSUM_MISMATCH",
    6,
  );
});

test("a file changed between runs: the rerun restarts and ends with the new version whole", async (t) => {
  const { server, dir, final } = await abortAtFortyPercent(t, "before");
  server.replaceFile("/f.bin", generated("after", SIZE));
  const events = new Events();
  const result = await download(server.url("/f.bin"), options(dir, events));

  await assertContent(final, "after", SIZE);
  assert.equal(events.of("restart").length, 1);
  assert.equal(result.resumedBytes, 0);
  // Starting over is a fresh download: still split across connections, not one 200 stream.
  assert.equal(result.ranges, true);
  assert.deepEqual(await listing(dir), ["f.bin"]);
});

test("a file that shrank between runs: the rerun restarts and ends with the new version whole", async (t) => {
  const { server, dir, final } = await abortAtFortyPercent(t, "long");
  const shorter = 256 * KiB;
  server.replaceFile("/f.bin", generated("short", shorter));
  const events = new Events();
  const result = await download(server.url("/f.bin"), options(dir, events));

  await assertContent(final, "short", shorter);
  assert.equal(result.size, shorter);
  assert.ok(events.of("restart").length >= 1);
  assert.deepEqual(await listing(dir), ["f.bin"]);
});

test("a file without validators that shrank below the partial data: the rerun restarts", async (t) => {
  // Nothing to send as If-Range: the server answers the resumed probe with a 416.
  const bare = { etag: false, lastModified: false } as const;
  const { server, dir, final } = await abortAtFortyPercent(t, "bare-long", bare);
  const shorter = 256 * KiB;
  server.replaceFile("/f.bin", generated("bare-short", shorter, bare));
  const events = new Events();
  const result = await download(server.url("/f.bin"), options(dir, events));

  await assertContent(final, "bare-short", shorter);
  assert.equal(result.size, shorter);
  assert.ok(events.of("restart").length >= 1);
  assert.deepEqual(await listing(dir), ["f.bin"]);
});

test("an already aborted signal: PARGET_ABORTED, nothing written", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("pre-aborted", MiB) } });
  const dir = await tempDir(t);
  const events = new Events();
  await rejectsWith(
    download(server.url("/f.bin"), options(dir, events, AbortSignal.abort())),
    "PARGET_ABORTED",
    1,
  );
  assert.deepEqual(await listing(dir), []);
});
