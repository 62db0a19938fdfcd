/**
 * The adaptive connection count (no `connections` given): it grows while a per-connection
 * throttle rewards more connections, and backs off without failing when a server caps them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULTS, download } from "../../src/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, clientConnections, Events, generated, MiB, tempDir } from "./fixtures.js";

test("adaptive: a per-connection throttle makes it open more than it starts with", async (t) => {
  const size = 24 * MiB;
  const server = await serve(t, {
    ratePerConnection: 2 * MiB,
    files: { "/f.bin": generated("ramp", size) },
  });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    retries: 0,
    progressIntervalMs: 20,
    onEvent: events.onEvent,
  });
  await assertContent(result.path, "ramp", size);
  assert.equal(events.of("start")[0]?.connections, DEFAULTS.maxConnections);
  assert.equal(events.of("start")[0]?.adaptive, true);
  assert.ok(sockets.peak > DEFAULTS.startConnections, `it stayed at ${sockets.peak} connections`);
  assert.ok(sockets.peak <= DEFAULTS.maxConnections, `client peak ${sockets.peak}`);
  // It started with a few: the first progress events show no more than the starting count.
  const first = events.of("progress").find((e) => e.activeConnections > 0);
  assert.ok(first && first.activeConnections <= DEFAULTS.startConnections);
});

test("adaptive: a server that answers 503 beyond 5 requests is not tripped", async (t) => {
  const size = 24 * MiB;
  const server = await serve(t, {
    ratePerConnection: 2 * MiB,
    requestLimit: 5,
    files: { "/f.bin": generated("capped", size) },
  });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const events = new Events();
  const result = await download(server.url("/f.bin"), { dir, onEvent: events.onEvent });
  await assertContent(result.path, "capped", size);
  const refused = server.stats.statuses[503] ?? 0;
  assert.ok(refused >= 1, "the ramp never reached the server's limit");
  // Backed off at the first refusals: each lane beyond the limit was refused about once.
  assert.ok(refused <= DEFAULTS.maxConnections, `${refused} requests refused`);
  // A lane the server refused was let go rather than retried.
  assert.ok(events.of("retry").length < refused, `${events.of("retry").length} retries`);
  assert.ok(sockets.peak <= DEFAULTS.maxConnections, `client peak ${sockets.peak}`);
});

test("adaptive: never more than the cap given by connections", async (t) => {
  const size = 8 * MiB;
  const server = await serve(t, {
    ratePerConnection: 2 * MiB,
    files: { "/f.bin": generated("fixed", size) },
  });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const result = await download(server.url("/f.bin"), { dir, connections: 3, retries: 0 });
  await assertContent(result.path, "fixed", size);
  assert.equal(sockets.peak, 3);
});
