/**
 * Races between lanes, played step by step with a scripted transport and a manual clock: no
 * sockets, no real time, the same order every run.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Transfer } from "../../src/transfer.js";
import { RangePlanner, type Extent } from "../../src/core/planner.js";
import type { PartialFile } from "../../src/io/files.js";
import type { Pacer } from "../../src/rate-limit.js";
import type { FrontierHasher } from "../../src/integrity/frontier-hasher.js";
import { RemoteChanged } from "../../src/retrying.js";
import { generateContent } from "../../src/server/index.js";
import {
  ManualClock,
  ScriptedTransport,
  rangeOf,
  settle,
  type ScriptedBody,
  type ScriptedRequest,
} from "../helpers/scripted-transport.js";
import { KiB } from "./fixtures.js";

const DATE = "Tue, 01 Sep 2026 10:00:00 GMT";
const SEED = "lanes";

interface Setup {
  fake: ScriptedTransport;
  clock: ManualClock;
  transfer: Transfer;
  /** The file as written so far. */
  data: Buffer;
  writes: { offset: number; length: number }[];
  trace: string[];
  /** Each saved state, with the bytes written when it was saved. */
  saves: { extents: Extent[]; writtenThen: number }[];
  /** Makes saveState wait until the returned function is called (once). */
  holdNextSave(): () => void;
  abort: AbortController;
}

function setup(
  size: number,
  lanes: number,
  options: { minSplit: number; maxPiece?: number; pacer?: Pacer },
): Setup {
  const fake = new ScriptedTransport();
  const clock = new ManualClock();
  const planner = new RangePlanner({
    size,
    lanes,
    minSplit: options.minSplit,
    maxPiece: options.maxPiece ?? size,
  });
  const data = Buffer.alloc(size);
  const writes: Setup["writes"] = [];
  const trace: string[] = [];
  const saves: Setup["saves"] = [];
  let written = 0;
  let hold: Promise<void> | undefined;
  const file = {
    write: async (buffers: Uint8Array[], offset: number) => {
      for (const b of buffers) {
        data.set(b, offset);
        offset += b.length;
      }
    },
    sync: async () => {},
  } as unknown as PartialFile;
  const hasher = { hashing: false, advance() {} } as unknown as FrontierHasher;
  const abort = new AbortController();
  const transfer = new Transfer(
    {
      transport: fake,
      planner,
      file,
      hasher,
      url: new URL("http://scripted.test/f.bin"),
      headers: {},
      version: { validators: { etag: '"v1"', lastModified: DATE, size }, digests: [] },
      retries: 3,
      idleTimeoutMs: 60_000,
      emit: () => {},
      saveState: async (extents) => {
        const writtenThen = written;
        const held = hold;
        hold = undefined;
        await held;
        saves.push({ extents: extents.map((e) => ({ ...e })), writtenThen });
      },
      ranges: true,
      crcs: false,
      clock,
      ...(options.pacer ? { pacer: options.pacer } : {}),
      trace: (lane, from, event, to) => trace.push(`${lane}:${from}-${event}->${to}`),
      onWritten: (offset, length) => {
        writes.push({ offset, length });
        written += length;
      },
    },
    abort.signal,
  );
  const holdNextSave = (): (() => void) => {
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    return release;
  };
  return { fake, clock, transfer, data, writes, trace, saves, holdNextSave, abort };
}

/** Answers a range request with a 206 of version `etag`; returns the body to feed. */
function answer(request: ScriptedRequest, size: number, etag = '"v1"'): ScriptedBody {
  const { start, end } = rangeOf(request);
  return request.respondWith({
    status: 206,
    headers: {
      "content-range": `bytes ${start}-${end - 1}/${size}`,
      "content-length": String(end - start),
      etag,
      "last-modified": DATE,
    },
  });
}

/** Feeds the body `length` bytes of the file from `at`, in 64 KiB chunks. */
function feed(body: ScriptedBody, at: number, length: number): void {
  for (let o = at; o < at + length; o += 64 * KiB) {
    body.push(generateContent(SEED, o, Math.min(64 * KiB, at + length - o)));
  }
}

function byLane(requests: ScriptedRequest[], lane: number): ScriptedRequest {
  const found = requests.find((r) => r.lane === lane);
  assert.ok(found, `a request from lane ${lane}`);
  return found;
}

/** No byte was written twice, and together the writes cover the file. */
function assertWrittenOnce(s: Setup, size: number): void {
  const sorted = [...s.writes].sort((a, b) => a.offset - b.offset);
  let at = 0;
  for (const w of sorted) {
    assert.equal(w.offset, at, `writes ${JSON.stringify(sorted)}`);
    at += w.length;
  }
  assert.equal(at, size);
  assert.ok(s.data.equals(generateContent(SEED, 0, size)), "the bytes are the file's");
}

test("a steal while the victim's response breaks: the victim retries only up to the steal", async () => {
  const size = 1024 * KiB;
  const s = setup(size, 2, { minSplit: 64 * KiB });
  const run = s.transfer.run(2, undefined);
  const [a, b] = [await s.fake.nextRequest(), await s.fake.nextRequest()];
  const r0 = byLane([a, b], 0);
  const r1 = byLane([a, b], 1);
  assert.deepEqual(rangeOf(r0), { start: 0, end: 512 * KiB });
  assert.equal(r0.headers["if-range"], '"v1"');

  // Lane 0 has 128 KiB in its batch buffer, nothing written yet.
  const b0 = answer(r0, size);
  feed(b0, 0, 128 * KiB);
  // Lane 1 finishes its half, and steals the unclaimed tail half of lane 0's.
  const b1 = answer(r1, size);
  feed(b1, 512 * KiB, 512 * KiB);
  b1.end();
  const steal = await s.fake.nextRequest();
  assert.equal(steal.lane, 1);
  assert.deepEqual(rangeOf(steal), { start: 256 * KiB, end: 512 * KiB });

  // Now lane 0's connection breaks: what it holds is written, and after its backoff it asks
  // only for what lies between that and the stolen part.
  b0.fail();
  await settle();
  assert.ok(s.trace.includes("0:receiving-short->backoff"), s.trace.join(" "));
  s.clock.advance(1000);
  const retry = await s.fake.nextRequest();
  assert.equal(retry.lane, 0);
  assert.deepEqual(rangeOf(retry), { start: 128 * KiB, end: 256 * KiB });
  assert.equal(retry.headers["if-range"], '"v1"');

  const bs = answer(steal, size);
  feed(bs, 256 * KiB, 256 * KiB);
  bs.end();
  const br = answer(retry, size);
  feed(br, 128 * KiB, 128 * KiB);
  br.end();
  await run;
  assertWrittenOnce(s, size);
  assert.equal(s.fake.requests.length, 4);
});

/**
 * Lane 0 crawls through its segment at about 85 B/ms; lane 1 brings its own at about 1 KiB/ms,
 * then races lane 0 (a hedge): 12 times faster is too little to take all of lane 0's rest, and
 * what a steal would leave is under minSplit.
 */
async function hedgeOn(s: Setup, size: number) {
  const run = s.transfer.run(2, undefined);
  const [a, b] = [await s.fake.nextRequest(), await s.fake.nextRequest()];
  const b0 = answer(byLane([a, b], 0), size);
  const b1 = answer(byLane([a, b], 1), size);
  feed(b0, 0, 64 * KiB);
  await settle();
  s.clock.advance(1000);
  feed(b0, 64 * KiB, 64 * KiB);
  feed(b1, 512 * KiB, 64 * KiB);
  await settle();
  s.clock.advance(500);
  feed(b1, 576 * KiB, 448 * KiB);
  b1.end();
  const hedge = await s.fake.nextRequest();
  assert.equal(hedge.lane, 1);
  assert.ok(!b0.cancelled, "lane 0 is still reading: the two race");
  // Lane 0's second chunk came after a pause, so its batch was written then (a crawling lane
  // holds nothing unwritten for long): the race is for the rest.
  assert.deepEqual(rangeOf(hedge), { start: 128 * KiB, end: 512 * KiB });
  return { run, b0, hedge };
}

test("a file replaced during a hedge: the racing response is refused, nothing of it is written", async () => {
  const size = 1024 * KiB;
  // Segments too small to split: an idle lane can only race.
  const s = setup(size, 2, { minSplit: 512 * KiB });
  const { run, b0, hedge } = await hedgeOn(s, size);
  // The racing request meets the new version: same length and date, another ETag.
  const racing = answer(hedge, size, '"v2"');
  await assert.rejects(run, (e) => e instanceof RemoteChanged && /"v1" to "v2"/.test(e.message));
  assert.equal(racing.taken, 0, "not one byte of the new version was read");
  assert.ok(racing.cancelled);
  assert.ok(b0.cancelled, "the transfer stopped the old version's response too");
  // What was written came from the old version only: lane 1's half, and lane 0's 128 KiB.
  for (const w of s.writes) {
    const expected = generateContent(SEED, w.offset, w.length);
    assert.ok(s.data.subarray(w.offset, w.offset + w.length).equals(expected));
  }
  assert.ok(s.trace.includes("1:requesting-failed->backoff"), s.trace.join(" "));
});

test("a hedge that wins: the straggler's response is cancelled as complete, and not retried", async () => {
  const size = 1024 * KiB;
  const s = setup(size, 2, { minSplit: 512 * KiB });
  const { run, b0, hedge } = await hedgeOn(s, size);
  const racing = answer(hedge, size);
  feed(racing, 128 * KiB, 384 * KiB);
  racing.end();
  await run;
  assert.ok(b0.cancelled, "the straggler's response was stopped");
  assert.ok(s.trace.includes("0:receiving-finished->idle"), s.trace.join(" "));
  assert.ok(!s.trace.some((t) => t.startsWith("0:receiving-short")), "not taken for a failure");
  assert.equal(s.fake.requests.length, 3, "nobody asked again");
  assertWrittenOnce(s, size);
});

test("a kill during a checkpoint: the checkpoint finishes, then a last one records every write", async () => {
  const size = 2048 * KiB;
  const s = setup(size, 1, { minSplit: 64 * KiB });
  // The state saved at the start is held up on its way to disk.
  const release = s.holdNextSave();
  const run = s.transfer.run(1, undefined);
  const request = await s.fake.nextRequest();
  const body = answer(request, size);
  // One batch (1 MiB) is written, and 192 KiB more wait in the next one.
  feed(body, 0, 1216 * KiB);
  await settle();
  assert.equal(s.writes.length, 1);
  s.abort.abort(new Error("killed"));
  await settle();
  assert.equal(s.saves.length, 0, "the held checkpoint has not finished");
  release();
  await assert.rejects(run, /killed/);
  assert.ok(body.cancelled);
  // The held state described the start; the last one every byte written, the 192 KiB included.
  assert.deepEqual(
    s.saves.map((save) => save.extents),
    [[], [{ start: 0, end: 1216 * KiB, crc: 0 }]],
  );
  for (const save of s.saves) {
    const claimed = save.extents.reduce((sum, e) => sum + e.end - e.start, 0);
    assert.ok(claimed <= save.writtenThen, "a state never claims bytes not yet written");
  }
});

/** Answers every further request in full at once, until the transfer ends. */
async function serveRest(s: Setup, size: number, run: Promise<void>): Promise<void> {
  let ended = false;
  const done = run.finally(() => (ended = true));
  while (!ended) {
    const next = await Promise.race([s.fake.nextRequest(), done.then(() => undefined)]);
    if (!next) break;
    const { start, end } = rangeOf(next);
    const body = answer(next, size);
    feed(body, start, end - start);
    body.end();
  }
  await done;
}

test("a steal while a slow connection is being replaced: the two split the rest exactly", async () => {
  const size = 16 * 1024 * KiB;
  const s = setup(size, 4, { minSplit: 64 * KiB, maxPiece: 4 * 1024 * KiB });
  const run = s.transfer.run(4, undefined);
  const requests = await Promise.all([0, 1, 2, 3].map(() => s.fake.nextRequest()));
  const bodies = [0, 1, 2, 3].map((lane) => answer(byLane(requests, lane), size));
  const at = [0, 1, 2, 3].map((lane) => rangeOf(byLane(requests, lane)).start);
  const send = (lane: number, length: number): void => {
    feed(bodies[lane]!, at[lane]!, length);
    at[lane]! += length;
  };
  for (const lane of [0, 1, 2, 3]) send(lane, 64 * KiB);
  await settle();
  s.clock.advance(900);
  // Lanes 1 to 3 run ten times faster than lane 0; lane 1 has almost all of its segment.
  for (const lane of [1, 2, 3]) send(lane, 640 * KiB);
  send(1, 4 * 1024 * KiB - 768 * KiB);
  await settle();
  // The review at one second replaces lane 0's connection; in the same moment lane 1 brings its
  // last bytes and, idle, looks for work in lane 0's segment.
  s.clock.advance(100);
  send(1, 64 * KiB);
  bodies[1]!.end();
  assert.ok(bodies[0]!.cancelled, "lane 0's response was cancelled to replace its connection");
  await serveRest(
    s,
    size,
    (async () => {
      // Lanes 2 and 3 finish their own segments too.
      for (const lane of [2, 3]) {
        send(lane, 4 * 1024 * KiB - 704 * KiB);
        bodies[lane]!.end();
      }
      await run;
    })(),
  );
  assert.ok(s.trace.includes("0:receiving-replaced->replaced"), s.trace.join(" "));
  assert.ok(s.trace.includes("0:replaced-reconnect->idle"), s.trace.join(" "));
  assert.ok(!s.trace.some((t) => t.startsWith("0:receiving-short")), "a replacement is no failure");
  // Lane 0's 64 KiB were kept: nobody asked for them again.
  const later = s.fake.requests.slice(4).map(rangeOf);
  assert.ok(
    later.every((r) => r.start >= 64 * KiB || r.end <= 0),
    JSON.stringify(later),
  );
  assertWrittenOnce(s, size);
});

/**
 * Lane 1 finishes its half while lane 0 has 256 KiB of its own: stealing 1.9 MiB of lane 0's rest
 * is worth it. A steal cuts lane 0's response, wasting what the server has sent past the cut: its
 * reader has waited for it these 100 ms, so 50 ms of its 2.5 KiB/ms (125 KiB). Unless the reader
 * was behind every server meanwhile (its event loop saturated, or a speed limit holding its
 * lanes): then the buffers are full whatever the waits, and the steal could waste all it takes,
 * over the 1 MiB an 8 MiB file may waste.
 */
const BEHIND = {
  "from a slower one": undefined,
  "nothing while the event loop is saturated": "busy",
  "nothing while a speed limit holds the lanes": "held",
} as const;
for (const [name, behind] of Object.entries(BEHIND)) {
  test(`a lane done early steals ${name}`, async () => {
    const size = 8 * 1024 * KiB;
    const half = size / 2;
    // A limit in force (any rate) whose holds the test sets: `heldMs` is all the transfer reads.
    const pacer = { rate: undefined, heldMs: 0, onChange: () => () => {} };
    const s = setup(size, 2, { minSplit: 64 * KiB, pacer: pacer as unknown as Pacer });
    const run = s.transfer.run(2, undefined);
    const [a, b] = [await s.fake.nextRequest(), await s.fake.nextRequest()];
    const b0 = answer(byLane([a, b], 0), size);
    const b1 = answer(byLane([a, b], 1), size);
    feed(b0, 0, 256 * KiB);
    feed(b1, half, 256 * KiB);
    await settle();
    s.clock.advance(100);
    if (behind === "busy") s.clock.busy = 100;
    // Both lanes held half of these 100 ms.
    if (behind === "held") pacer.heldMs = 100;
    feed(b1, half + 256 * KiB, half - 256 * KiB);
    b1.end();
    await settle();
    if (behind) {
      assert.equal(s.fake.requests.length, 2, "no steal");
      feed(b0, 256 * KiB, half - 256 * KiB);
      b0.end();
      await run;
    } else {
      const steal = await s.fake.nextRequest();
      assert.equal(steal.lane, 1);
      const { start, end } = rangeOf(steal);
      assert.equal(end, half);
      const bs = answer(steal, size);
      feed(bs, start, end - start);
      bs.end();
      feed(b0, 256 * KiB, start - 256 * KiB);
      b0.end();
      await run;
    }
    assertWrittenOnce(s, size);
  });
}
