import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { TokenBucket, pieceSize } from "../../src/server/throttle.js";
import { eventually, request } from "../helpers/http.js";
import { serve } from "../helpers/server.js";

const KiB = 1024;
const MiB = 1024 * KiB;

test("a token bucket lets one piece through at once, then paces to its rate", () => {
  const bucket = new TokenBucket(1000, 0);
  assert.equal(bucket.piece, 62);
  assert.equal(bucket.reserve(62, 0), 0);
  assert.equal(bucket.reserve(62, 0), 62);
  // Following the waits it asks for, 10 000 bytes take 10 s less the first piece.
  let now = 62;
  for (let sent = 124; sent < 10_000; sent += 62) now += bucket.reserve(62, now);
  assert.ok(Math.abs(now - (10_000 - 62)) < 70, `${now} ms`);
  // Idle time refills no more than one piece.
  assert.equal(bucket.reserve(62, now + 60_000), 0);
  assert.ok(bucket.reserve(62, now + 60_000) > 0);
});

test("pieces are 64 KiB at most, about 1/16 s of the rate, and never empty", () => {
  assert.equal(pieceSize(0), 64 * KiB);
  assert.equal(pieceSize(8 * MiB), 64 * KiB);
  assert.equal(pieceSize(160 * KiB), 10 * KiB);
  assert.equal(pieceSize(5), 1);
});

/** Downloads `url` on a new connection; returns bytes/s. */
async function rateOf(url: string): Promise<number> {
  const started = performance.now();
  const res = await request(url);
  assert.ok(res.complete);
  return res.body.length / ((performance.now() - started) / 1000);
}

// Lenient bounds: a throttle only slows, so the upper bound is safe; the lower one allows noise.
test("a 4 MiB/s connection throttle yields about 4 MiB/s", async (t) => {
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "t", size: 2 * MiB } } },
    ratePerConnection: 4 * MiB,
  });
  const rate = await rateOf(server.url("/f.bin"));
  assert.ok(rate > 2 * MiB && rate < 8 * MiB, `${(rate / MiB).toFixed(2)} MiB/s`);
});

test("rates are dealt to connections in turn", async (t) => {
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "t", size: 512 * KiB } } },
    rates: [1 * MiB, 0],
  });
  const slow = await rateOf(server.url("/f.bin"));
  const fast = await rateOf(server.url("/f.bin"));
  assert.ok(slow < 1.5 * MiB, `first connection: ${(slow / MiB).toFixed(2)} MiB/s`);
  assert.ok(fast > 3 * MiB, `second connection: ${(fast / MiB).toFixed(2)} MiB/s`);
});

test("a slow fault throttles its response only", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": {
        content: { seed: "t", size: 128 * KiB },
        faults: [{ kind: "slow", rate: 256 * KiB, times: 1 }],
      },
    },
  });
  const slow = await rateOf(server.url("/f.bin"));
  assert.ok(slow < 400 * KiB, `${(slow / KiB).toFixed(0)} KiB/s`);
  assert.equal(server.stats.requestLog[0]?.fault, "slow");
});

test("a client that stops reading holds the server to its socket buffers", async (t) => {
  const size = 64 * MiB;
  const server = await serve(t, { files: { "/f.bin": { content: { seed: "t", size } } } });
  const { port } = new URL(server.url());
  const socket = net.connect(Number(port), "127.0.0.1");
  t.after(() => socket.destroy());
  socket.pause();
  socket.write("GET /f.bin HTTP/1.1\r\nhost: x\r\n\r\n");
  await eventually(() => server.stats.bytesSent > 0, "the body to start");
  // Wait until the server has stopped writing: its count holds still for 50 polls.
  let last = -1;
  for (let still = 0, polls = 0; still < 50; polls++) {
    assert.ok(polls < 5000, "the server never stopped writing");
    still = server.stats.bytesSent === last ? still + 1 : 0;
    last = server.stats.bytesSent;
    await delay(1);
  }
  assert.ok(
    last < 16 * MiB,
    `${(last / MiB).toFixed(1)} MiB written to a client that reads nothing`,
  );
  let received = 0;
  socket.on("data", (chunk: Buffer) => (received += chunk.length));
  socket.resume();
  await eventually(() => received > size, "the rest of the body once the client reads");
});
