import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CONNECTIONS, UsageError, download } from "../../src/index.js";
import { serve } from "../helpers/server.js";
import {
  assertContent,
  clientConnections,
  Events,
  generated,
  KiB,
  MiB,
  tempDir,
} from "./fixtures.js";

test("connections: 4 on a throttled 8 MiB file: never more than 4 sockets or active lanes", async (t) => {
  const size = 8 * MiB;
  const server = await serve(t, {
    ratePerConnection: 4 * MiB,
    files: { "/f.bin": generated("limits", size) },
  });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 0,
    progressIntervalMs: 20,
    onEvent: events.onEvent,
  });
  await assertContent(result.path, "limits", size);

  // Counted at the client: the server learns of a replaced connection's close late (a socket
  // paused under backpressure reads no FIN), so its peak can include one already gone.
  assert.ok(sockets.peak <= 4, `client peak ${sockets.peak}`);
  const progress = events.of("progress");
  assert.ok(progress.length > 5, `${progress.length} progress events`);
  const active = progress.map((e) => e.activeConnections);
  assert.ok(Math.max(...active) <= 4, `active ${active.join(",")}`);
  assert.equal(Math.max(...active), 4, "all four lanes were busy at some point");
  assert.equal(events.of("start")[0]?.connections, 4);
  // Progress never goes backwards and ends at the size.
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i]!.bytes >= progress[i - 1]!.bytes);
  }
  assert.equal(progress.at(-1)?.bytes, size);
});

test("connections: 1 never opens a second socket", async (t) => {
  const size = 2 * MiB;
  const server = await serve(t, {
    ratePerConnection: 8 * MiB,
    files: { "/f.bin": generated("one", size) },
  });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const result = await download(server.url("/f.bin"), { dir, connections: 1, retries: 0 });
  await assertContent(result.path, "one", size);
  assert.equal(sockets.peak, 1);
  assert.equal(server.stats.connectionsAccepted, 1);
  assert.equal(server.stats.requests, 1);
});

test(`connections above MAX_CONNECTIONS (${MAX_CONNECTIONS}) are a usage error; nothing is fetched`, async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("cap", 1000) } });
  const dir = await tempDir(t);
  for (const connections of [MAX_CONNECTIONS + 1, 100_000]) {
    await assert.rejects(download(server.url("/f.bin"), { dir, connections }), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, `connections must be at most 64, got ${connections}`);
      return true;
    });
  }
  assert.equal(server.stats.requests, 0);
  const result = await download(server.url("/f.bin"), { dir, connections: MAX_CONNECTIONS });
  assert.equal(result.size, 1000);
});
