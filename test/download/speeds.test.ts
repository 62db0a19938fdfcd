/**
 * A lane's measure of its response: bytes from the first one on, and how long its reader waited
 * for the server, the wait still running included (core/tail.ts judges what is in flight by it).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { asking, ended, LaneSpeeds, received } from "../../src/speeds.js";

test("waits count from the first byte on, the one still running included", () => {
  const speeds = new LaneSpeeds();
  const m = speeds.start(0, 0);
  asking(m, 0);
  received(m, 1000, 40); // the request's round trip: no speed, no wait
  assert.deepEqual(speeds.sofar(0, 40), { bytes: 1000, ms: 0, waitedMs: 0 });
  asking(m, 45);
  received(m, 1000, 60); // waited 15 ms for the server
  asking(m, 70); // handled its bytes for 10 ms, and waits again
  assert.deepEqual(speeds.sofar(0, 100), { bytes: 2000, ms: 60, waitedMs: 15 + 30 });
});

test("a reader that finds its bytes waiting waits for nothing", () => {
  const speeds = new LaneSpeeds();
  const m = speeds.start(0, 0);
  received(m, 1000, 10);
  for (let t = 10; t < 110; t += 10) {
    asking(m, t);
    received(m, 64 * 1024, t);
  }
  assert.equal(speeds.sofar(0, 110)?.waitedMs, 0);
});

test("an ended response keeps its figures; its last wait was for the end", () => {
  const speeds = new LaneSpeeds();
  const m = speeds.start(0, 0);
  received(m, 1000, 0);
  asking(m, 0);
  received(m, 1000, 50);
  asking(m, 50);
  ended(m, 60);
  assert.deepEqual(speeds.sofar(0, 500), { bytes: 2000, ms: 60, waitedMs: 50 });
});
