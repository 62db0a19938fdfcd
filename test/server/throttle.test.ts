import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { test } from "node:test";
import { TokenBucket, pieceSize } from "../../src/server/throttle.js";
import { AcceptedSockets, eventually, request } from "../helpers/http.js";
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

/**
 * How long one GET of `url` on a new connection takes, in ms. A throttle's contract is a floor on
 * this: load on the machine only ever adds to it, so the floor can be asserted anywhere. How close
 * to its rate a throttle runs is a figure for a benchmark (`parget bench`), not for a test.
 */
async function durationOf(url: string): Promise<number> {
  const started = performance.now();
  const res = await request(url);
  assert.ok(res.complete);
  return performance.now() - started;
}

/** The least time `bytes` can take at `rate`: all but the first piece (the burst) are paced. */
function floorMs(bytes: number, rate: number): number {
  return ((bytes - pieceSize(rate)) / rate) * 1000;
}

/**
 * Timers may fire a millisecond early, and rounding per piece adds up to a few more: a floor is
 * checked with this much slack.
 */
const EARLY = 0.95;

test("a connection throttled to 4 MiB/s never outruns it", async (t) => {
  const size = 2 * MiB;
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "t", size } } },
    ratePerConnection: 4 * MiB,
  });
  const ms = await durationOf(server.url("/f.bin"));
  assert.ok(ms >= EARLY * floorMs(size, 4 * MiB), `2 MiB at 4 MiB/s took ${ms.toFixed(0)} ms`);
});

test("rates are dealt to connections in turn: the first is paced, the second is not", async (t) => {
  const size = 512 * KiB;
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "t", size } } },
    // The first connection's body would take half a minute; the test does not wait for it.
    rates: [16 * KiB, 0],
  });
  const url = server.url("/f.bin");
  const accepted = new AcceptedSockets(t, server.port);
  let pacedDone = false;
  const paced = http.get(url, { agent: false }, (res) => {
    res.on("end", () => (pacedDone = true)).resume();
  });
  paced.on("error", () => {});
  t.after(() => paced.destroy());
  await accepted.nth(0);

  const unpaced = await request(url);
  assert.equal(unpaced.body.length, size);
  assert.equal(pacedDone, false, "the paced connection kept pace with an unpaced one");
  assert.equal(server.stats.connectionsAccepted, 2);
});

test("a slow fault throttles its response only", async (t) => {
  const size = 128 * KiB;
  const server = await serve(t, {
    files: {
      "/f.bin": {
        content: { seed: "t", size },
        faults: [{ kind: "slow", rate: 256 * KiB, times: 1 }],
      },
    },
  });
  const ms = await durationOf(server.url("/f.bin"));
  assert.ok(
    ms >= EARLY * floorMs(size, 256 * KiB),
    `128 KiB at 256 KiB/s took ${ms.toFixed(0)} ms`,
  );
  await durationOf(server.url("/f.bin"));
  assert.deepEqual(
    server.stats.requestLog.map((e) => e.fault),
    ["slow", undefined],
  );
});

test("a client that stops reading holds the server to its socket buffers", async (t) => {
  const size = 64 * MiB;
  const server = await serve(t, { files: { "/f.bin": { content: { seed: "t", size } } } });
  const accepted = new AcceptedSockets(t, server.port);
  const socket = net.connect(server.port, "127.0.0.1");
  t.after(() => socket.destroy());
  socket.pause();
  socket.write("GET /f.bin HTTP/1.1\r\nhost: x\r\n\r\n");
  // The server writes until its socket reports full buffers, then waits for 'drain': from then
  // on it sends nothing more until the client reads.
  const serverSide = await accepted.nth(0);
  await eventually(() => serverSide.writableNeedDrain, "the server's socket buffers to fill");
  const sent = server.stats.bytesSent;
  assert.ok(sent > 0);
  assert.ok(
    sent < 16 * MiB,
    `${(sent / MiB).toFixed(1)} MiB written to a client that reads nothing`,
  );

  let received = 0;
  const all = new Promise<void>((resolve) =>
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      // Headers and body: the whole body has arrived once more than its size has.
      if (received > size) resolve();
    }),
  );
  socket.resume();
  await all;
  assert.equal(server.stats.bytesSent, size);
});
