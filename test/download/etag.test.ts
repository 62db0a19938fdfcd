/**
 * Never splice on an ETag: a changed strong ETag is a changed file unless a digest proves the
 * bytes the same, and If-Range never carries a date while an entity tag is held.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { download, RemoteChangedError } from "../../src/index.js";
import { generateContent, type RangeServer } from "../../src/server/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, Events, generated, KiB, listing, MiB, tempDir } from "./fixtures.js";

/** No range request sent a date as If-Range: only entity tags, or nothing. */
function assertNoDateIfRange(server: RangeServer): void {
  for (const entry of server.stats.requestLog) {
    const ifRange = entry.headers["if-range"];
    if (ifRange !== undefined) assert.match(String(ifRange), /^"/, `If-Range: ${String(ifRange)}`);
  }
}

test("a file replaced with the same length and Last-Modified but a new ETag is never spliced", async (t) => {
  const size = 4 * MiB;
  const server = await serve(t, {
    files: {
      "/f.bin": generated("same-date", size, {
        faults: [{ kind: "replace-after", bytes: size / 2, keepDate: true }],
      }),
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
  // Only the ETag told the versions apart; the new one arrives whole.
  await assertContent(result.path, "same-date~2", size);
  assert.equal(events.of("restart").length, 1);
  assertNoDateIfRange(server);
  assert.deepEqual(await listing(dir), ["f.bin"]);
});

test("edges that tag the same bytes differently: one version on one connection, never a mix", async (t) => {
  const size = 4 * MiB;
  const server = await serve(t, {
    files: { "/edge.bin": generated("edges", size, { etagPerConnection: true }) },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/edge.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 2,
    onEvent: events.onEvent,
  });
  await assertContent(result.path, "edges", size);
  const restarts = events.of("restart");
  assert.equal(restarts.length, 2, "two ETag-only changes in a row, then one connection");
  assert.match(restarts[0]!.reason, /ETag changed from "1-.*-e\d+" to "1-.*-e\d+"/);
  assert.equal(events.of("start").at(-1)?.connections, 1);
  assertNoDateIfRange(server);
});

test("edges that tag differently, and a retry that lands on another: a clean RemoteChangedError", async (t) => {
  const size = 4 * MiB;
  const server = await serve(t, {
    files: {
      "/edge.bin": generated("edges-reset", size, {
        etagPerConnection: true,
        // Every body is cut: the one connection left must reconnect, and meets another tag.
        faults: [{ kind: "reset", afterBytes: 256 * KiB }],
      }),
    },
  });
  const dir = await tempDir(t);
  const error = await download(server.url("/edge.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 2,
  }).then(
    () => assert.fail("a download mixing tagged responses must not succeed"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RemoteChangedError, String(error));
  assert.equal(error.exitCode, 1);
  assert.match(error.message, /different ETags \("1-.*-e\d+", then "1-.*-e\d+"\)/);
  assertNoDateIfRange(server);
});

test("edges that tag differently but announce the same digest: parallel, without If-Range", async (t) => {
  const size = 4 * MiB;
  const md5 = createHash("md5")
    .update(generateContent("edges-md5", 0, size))
    .digest("base64");
  const server = await serve(t, {
    files: {
      "/edge.bin": generated("edges-md5", size, {
        etagPerConnection: true,
        headers: { "x-goog-hash": `md5=${md5}` },
      }),
    },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/edge.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 2,
    onEvent: events.onEvent,
  });
  await assertContent(result.path, "edges-md5", size);
  assert.equal(events.of("restart").length, 0);
  assert.ok(server.stats.requestLog.length > 4, "the file was split");
  assertNoDateIfRange(server);
  assert.ok(
    server.stats.requestLog.some((e) => e.status === 206 && e.headers["if-range"] === undefined),
    "once the tags differ, ranges go without If-Range",
  );
});

test("a partial download, then the file replaced keeping its length and date: the rerun starts over", async (t) => {
  const size = 4 * MiB;
  const lastModified = new Date(Date.UTC(2024, 5, 1, 12, 0, 0));
  // A weak ETag: nothing can go in If-Range, so only the 206's own validators tell.
  const spec = { weakEtag: true, lastModified };
  const server = await serve(t, {
    files: {
      "/f.bin": generated("kept-date", size, {
        ...spec,
        faults: [{ kind: "status", status: 404, which: "range", after: 3 }],
      }),
    },
  });
  const dir = await tempDir(t);
  const options = { dir, connections: 2, maxPieceSize: 512 * KiB, minSplitSize: 64 * KiB };
  await assert.rejects(download(server.url("/f.bin"), options), /404/);

  server.replaceFile("/f.bin", generated("kept-date-2", size, spec));
  const events = new Events();
  const result = await download(server.url("/f.bin"), { ...options, onEvent: events.onEvent });
  await assertContent(result.path, "kept-date-2", size);
  assert.equal(events.of("restart").length, 1);
  assert.match(events.of("restart")[0]!.reason, /ETag changed from W\/"1-.*" to W\/"2-.*"/);
  assert.equal(result.resumedBytes, 0);
});
