import assert from "node:assert/strict";
import { test } from "node:test";
import { download } from "../../src/index.js";
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

test("a connection far slower than the others is closed and its lane reconnects", async (t) => {
  // The 8th connection the server accepts crawls; the 9th, its replacement, runs like the rest.
  const rates = [...Array.from({ length: 7 }, () => 2 * MiB), 32 * KiB];
  const size = 48 * MiB;
  const server = await serve(t, { files: { "/f.bin": generated("replace", size) }, rates });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 8,
    retries: 0,
    onEvent: events.onEvent,
  });

  await assertContent(result.path, "replace", size);
  const [reconnect, ...more] = events.of("reconnect");
  assert.ok(reconnect, "the crawling connection was replaced");
  assert.equal(more.length, 0, "and only it: its replacement runs like the others");
  // The crawler's pace is capped by the server (a busy machine only slows it further), while
  // how fast the others ran is the machine's business: only the one bound is a fact.
  assert.ok(reconnect.bytesPerSecond < 64 * KiB, `at ${reconnect.bytesPerSecond} B/s`);
  assert.ok(sockets.peak <= 8, `never over -n: ${sockets.peak} at once`);
  assert.equal(events.of("retry").length, 0, "a replacement is not a failure");
});
