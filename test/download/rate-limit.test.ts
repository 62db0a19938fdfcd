/**
 * Speed limits: the pacer's reads against a scripted transport and a manual clock (when a read
 * may happen, what a change does, how limits stack and lanes share), then whole downloads
 * against parget's own server, watched from the client's reads and the server's counters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DownloadSet,
  RateLimit,
  download,
  type SetEvent,
  type Transport,
} from "../../src/index.js";
import { Pacer } from "../../src/rate-limit.js";
import { BURST_MS } from "../../src/core/rate-limit.js";
import {
  ManualClock,
  ScriptedTransport,
  settle,
  type ScriptedBody,
} from "../helpers/scripted-transport.js";
import { serve } from "../helpers/server.js";
import { assertContent, clientConnections, generated, KiB, MiB, tempDir } from "./fixtures.js";

const URL_ = new URL("http://example.test/f");

/** A response through `transport` on `lane`, its body fed by the test, read by a loop. */
async function reader(
  fake: ScriptedTransport,
  transport: Transport,
  lane: number,
): Promise<{ body: ScriptedBody; cancel: () => void; done: Promise<unknown> }> {
  const pending = transport.get({
    url: URL_,
    headers: {},
    signal: new AbortController().signal,
    lane,
    idleTimeoutMs: 30_000,
  });
  const body = (await fake.nextRequest()).respondWith({ status: 206 });
  const response = await pending;
  const done = (async () => {
    const chunks = response.body[Symbol.asyncIterator]();
    while (!(await chunks.next()).done);
  })();
  done.catch(() => {});
  return { body, cancel: () => response.cancel(), done };
}

/** Moves the clock `ms` forward in small steps, letting lanes act at each. */
async function run(clock: ManualClock, ms: number, step = 5): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await settle();
  }
}

function feed(body: ScriptedBody, reads: number, size = 64 * KiB): void {
  for (let i = 0; i < reads; i++) body.push(Buffer.alloc(size));
}

test("pacer: a read waits until the limit allows it, and the body is not read meanwhile", async () => {
  const clock = new ManualClock();
  const limit = new RateLimit(64 * KiB, clock);
  const fake = new ScriptedTransport();
  const { body } = await reader(fake, new Pacer([limit], clock).wrap(fake), 0);
  feed(body, 3);
  await settle();
  // The first read reserves 64 KiB; the limit starts with 100 ms of it: 900 ms to go.
  assert.equal(body.taken, 0);
  clock.advance(890);
  await settle();
  assert.equal(body.taken, 0, "read before its time");
  clock.advance(20);
  await settle();
  assert.equal(body.taken, 1);
  // Then one 64 KiB read a second.
  clock.advance(980);
  await settle();
  assert.equal(body.taken, 1);
  clock.advance(20);
  await settle();
  assert.equal(body.taken, 2);
});

test("pacer: a change takes effect at once, for lanes already waiting", async () => {
  const clock = new ManualClock();
  const limit = new RateLimit(16 * KiB, clock);
  const fake = new ScriptedTransport();
  const { body } = await reader(fake, new Pacer([limit], clock).wrap(fake), 0);
  feed(body, 8);
  await settle();
  assert.equal(body.taken, 0, "waits ~4 s for its first read");
  // Raised: the wait shrinks, without the clock moving past the old one.
  limit.change(640 * KiB);
  clock.advance(100);
  await settle();
  assert.equal(body.taken, 1);
  // Removed: every read goes at once.
  limit.change(undefined);
  await settle();
  assert.equal(body.taken, 8);
  // Set again: the read already waiting for data goes through; the next one waits its turn.
  limit.change(64 * KiB);
  feed(body, 2);
  await settle();
  assert.equal(body.taken, 9);
  await run(clock, 980);
  assert.equal(body.taken, 9);
  await run(clock, 40);
  assert.equal(body.taken, 10);
});

test("pacer: a download's limit and its set's both hold; the lower one rules", async () => {
  const clock = new ManualClock();
  const own = new RateLimit(1 * MiB, clock);
  const set = new RateLimit(64 * KiB, clock);
  const fake = new ScriptedTransport();
  const { body } = await reader(fake, new Pacer([own, set], clock).wrap(fake), 0);
  feed(body, 20);
  await settle();
  clock.advance(1000);
  await settle();
  assert.equal(body.taken, 1, "the set's 64 KiB/s");
  // The set's lifted: the waiting read goes at once, then the download's own 1 MiB/s (16 reads
  // a second, after its 100 ms burst).
  set.change(0);
  await run(clock, 500);
  assert.ok(body.taken >= 1 + 8 && body.taken <= 1 + 11, `${body.taken} reads`);
});

test("pacer: lanes under one limit take turns", async () => {
  const clock = new ManualClock();
  const limit = new RateLimit(128 * KiB, clock);
  const fake = new ScriptedTransport();
  const transport = new Pacer([limit], clock).wrap(fake);
  const lanes = [await reader(fake, transport, 0), await reader(fake, transport, 1)];
  for (const { body } of lanes) feed(body, 20);
  for (let second = 1; second <= 5; second++) {
    clock.advance(1000);
    await settle();
    const [a, b] = lanes.map((l) => l.body.taken);
    assert.ok(Math.abs(a! - b!) <= 1, `after ${second} s: ${a} and ${b} reads`);
    assert.ok(a! + b! <= 2 * second + 1, `after ${second} s: ${a! + b!} reads at 2 a second`);
  }
});

test("pacer: a cancelled response stops waiting, and gives its reservation back", async () => {
  const clock = new ManualClock();
  const limit = new RateLimit(64 * KiB, clock);
  const fake = new ScriptedTransport();
  const transport = new Pacer([limit], clock).wrap(fake);
  const first = await reader(fake, transport, 0);
  feed(first.body, 2);
  await settle();
  first.cancel();
  await assert.rejects(first.done);
  // Nothing was read: the next lane finds the burst and the cancelled reservation given back,
  // and waits 900 ms for its own 64 KiB rather than 1900 ms.
  const second = await reader(fake, transport, 1);
  feed(second.body, 1, KiB);
  await settle();
  assert.equal(second.body.taken, 0);
  clock.advance(910);
  await settle();
  assert.equal(second.body.taken, 1);
  assert.equal(first.body.taken, 0);
});

/**
 * What one read may bring beyond what its lane reserved: undici hands over what the socket
 * holds, which can be two 64 KiB socket reads. The next reservation pays it back.
 */
const READ = 128 * KiB;

/** Bytes written so far (all files together), every time a progress event comes. */
class Written {
  readonly samples: { at: number; bytes: number }[] = [];
  readonly #files = new Map<number, number>();

  /** A file's progress: its bytes written so far. */
  progress(bytes: number, file = 0): void {
    this.#files.set(file, bytes);
    let sum = 0;
    for (const b of this.#files.values()) sum += b;
    this.samples.push({ at: performance.now(), bytes: sum });
  }

  get bytes(): number {
    return this.samples.at(-1)?.bytes ?? 0;
  }

  /**
   * The most the bytes written ran ahead of `rate` (bytes/s), from sample `from` on (the first
   * with bytes, by default), counting from the sample before it.
   */
  excess(rate: number, from = this.samples.findIndex((s) => s.bytes > 0), to?: number): number {
    const start = this.samples[Math.max(0, from - 1)]!;
    let most = 0;
    for (const s of this.samples.slice(from, to)) {
      most = Math.max(most, s.bytes - start.bytes - (rate * (s.at - start.at)) / 1000);
    }
    return most;
  }
}

test("a limited download reads no faster than its limit, over one connection", async (t) => {
  const size = 3 * MiB;
  const rate = 1 * MiB;
  const server = await serve(t, { files: { "/f.bin": generated("limited", size) } });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const written = new Written();
  const result = await download(server.url("/f.bin"), {
    dir,
    rateLimit: rate,
    progressIntervalMs: 20,
    onEvent: (event) => {
      if (event.type === "progress") written.progress(event.bytes);
    },
  });
  await assertContent(result.path, "limited", size);
  // The limit, its 100 ms burst, and the read under way.
  const over = written.excess(rate);
  assert.ok(over <= (rate * BURST_MS) / 1000 + READ, `${over} bytes over the limit`);
  // A limit far below what loopback gives one connection: no second one is opened.
  assert.equal(sockets.peak, 1);
});

test("a lowered limit holds from the change on; a removed one lets the rest through", async (t) => {
  const size = 6 * MiB;
  const server = await serve(t, { files: { "/f.bin": generated("changed", size) } });
  const dir = await tempDir(t);
  const written = new Written();
  const limit = new RateLimit(2 * MiB);
  /** The samples taken before the limit was lowered, and before it was lifted. */
  let changedAt = -1;
  let liftedAt = -1;
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    rateLimit: limit,
    progressIntervalMs: 20,
    onEvent: (event) => {
      if (event.type !== "progress") return;
      written.progress(event.bytes);
      if (changedAt < 0 && written.bytes >= 1 * MiB) {
        changedAt = written.samples.length;
        limit.change(256 * KiB);
      } else if (liftedAt < 0 && changedAt > 0) {
        if (written.bytes < written.samples[changedAt - 1]!.bytes + 768 * KiB) return;
        liftedAt = written.samples.length;
        limit.change(undefined);
      }
    },
  });
  await assertContent(result.path, "changed", size);
  assert.ok(changedAt > 0 && liftedAt > changedAt, "the limit was not lowered, then lifted");
  // After the change: 256 KiB/s, plus a read for each of the four lanes that the old limit had
  // let through, and the old rate's burst.
  const over = written.excess(256 * KiB, changedAt, liftedAt);
  assert.ok(over <= 4 * READ + (2 * MiB * BURST_MS) / 1000, `${over} bytes over 256 KiB/s`);
});

test("a set's total limit holds across its files, and a file's own limit within it", async (t) => {
  const server = await serve(t, {
    files: {
      "/a.bin": generated("a", 512 * KiB),
      "/b.bin": generated("b", 2 * MiB),
      "/c.bin": generated("c", 2 * MiB),
    },
  });
  const dir = await tempDir(t);
  const total = 1536 * KiB;
  const written = new Written();
  const first = new Written();
  const set = new DownloadSet({
    dir,
    totalRateLimit: total,
    progressIntervalMs: 20,
    onEvent: (event: SetEvent) => {
      if (event.type !== "progress") return;
      written.progress(event.bytes, event.id);
      if (event.id === 1) first.progress(event.bytes);
    },
  });
  const ids = ["a", "b", "c"].map((name) => set.add(server.url(`/${name}.bin`)));
  set.changeRateLimit(ids[0]!, 256 * KiB);
  const { summary } = await set.settled();
  await set.close();
  assert.equal(summary.saved, 3);
  await assertContent(`${dir}/a.bin`, "a", 512 * KiB);
  for (const name of ["b", "c"]) await assertContent(`${dir}/${name}.bin`, name, 2 * MiB);
  // All files together: the total, its burst, and a read under way for each file.
  const over = written.excess(total);
  assert.ok(over <= (total * BURST_MS) / 1000 + 3 * READ, `${over} bytes over the total`);
  // File 1 alone: its own 256 KiB/s.
  const own = first.excess(256 * KiB);
  assert.ok(own <= (256 * KiB * BURST_MS) / 1000 + READ, `file 1: ${own} bytes over its limit`);
  assert.throws(() => set.changeRateLimit(99, 1), /no download with id 99/);
  assert.throws(() => set.changeTotalRateLimit(-1), /rate limit/);
});
