/**
 * The frontier hasher fed by a real transfer: batches written in order are hashed from the lanes'
 * memory and never read back, the rest is read back from the file, and either way the digest is
 * that of the file's bytes. Played with a scripted transport and a manual clock (no sockets, no
 * real time) onto a real file, with a real hasher.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { RangePlanner } from "../../src/core/planner.js";
import { FrontierHasher } from "../../src/integrity/frontier-hasher.js";
import { PartialFile } from "../../src/io/files.js";
import { generateContent } from "../../src/server/index.js";
import { Transfer } from "../../src/transfer.js";
import {
  ManualClock,
  ScriptedTransport,
  settle,
  type ScriptedBody,
  type ScriptedRequest,
} from "../helpers/scripted-transport.js";
import { KiB, MiB, tempDir } from "./fixtures.js";

const DATE = "Tue, 01 Sep 2026 10:00:00 GMT";

interface Setup {
  fake: ScriptedTransport;
  clock: ManualClock;
  transfer: Transfer;
  hasher: FrontierHasher;
  path: string;
}

async function setup(
  t: TestContext,
  size: number,
  lanes: number,
  options: { minSplit: number; maxPiece?: number },
): Promise<Setup> {
  const file = path.join(await tempDir(t), "file");
  const partial = await PartialFile.open(file, { resume: false });
  t.after(() => partial.close());
  // No size: a worker hashes even a small file as it grows, as it does a large one.
  const hasher = FrontierHasher.start(file, ["sha256", "md5"]);
  t.after(() => hasher.close());
  const fake = new ScriptedTransport();
  const clock = new ManualClock();
  const planner = new RangePlanner({
    size,
    lanes,
    minSplit: options.minSplit,
    maxPiece: options.maxPiece ?? size,
  });
  const transfer = new Transfer(
    {
      transport: fake,
      planner,
      file: partial,
      hasher,
      url: new URL("http://scripted.test/f.bin"),
      headers: {},
      version: { validators: { etag: '"v1"', lastModified: DATE, size }, digests: [] },
      retries: 3,
      idleTimeoutMs: 60_000,
      emit: () => {},
      saveState: async () => {},
      ranges: true,
      crcs: false,
      clock,
    },
    undefined,
  );
  return { fake, clock, transfer, hasher, path: file };
}

function rangeOf(request: ScriptedRequest): { start: number; end: number } {
  const match = /^bytes=(\d+)-(\d+)$/.exec(request.headers["range"] ?? "");
  assert.ok(match, `a closed range: ${request.headers["range"]}`);
  return { start: Number(match[1]), end: Number(match[2]) + 1 };
}

function answer(request: ScriptedRequest, size: number): ScriptedBody {
  const { start, end } = rangeOf(request);
  return request.respondWith({
    status: 206,
    headers: {
      "content-range": `bytes ${start}-${end - 1}/${size}`,
      "content-length": String(end - start),
      etag: '"v1"',
      "last-modified": DATE,
    },
  });
}

function feed(seed: string, body: ScriptedBody, at: number, length: number): void {
  for (let o = at; o < at + length; o += 64 * KiB) {
    body.push(generateContent(seed, o, Math.min(64 * KiB, at + length - o)));
  }
}

/** The digests the hasher gives must be those of the file on disk, and of the served bytes. */
async function assertDigestsOfFile(s: Setup, seed: string, size: number): Promise<void> {
  const digests = await s.hasher.finish(size);
  const onDisk = await readFile(s.path);
  assert.ok(onDisk.equals(generateContent(seed, 0, size)), "the file holds the served bytes");
  assert.deepEqual(digests, {
    sha256: createHash("sha256").update(onDisk).digest("hex"),
    md5: createHash("md5").update(onDisk).digest("hex"),
  });
  assert.equal(s.hasher.hashedBytes, size);
}

test("one lane: every batch is hashed from memory, nothing is read back", async (t) => {
  const size = 3 * MiB + 123;
  const s = await setup(t, size, 1, { minSplit: 64 * KiB });
  const run = s.transfer.run(1, undefined);
  const body = answer(await s.fake.nextRequest(), size);
  feed("one", body, 0, size);
  body.end();
  await run;
  await assertDigestsOfFile(s, "one", size);
  assert.equal(s.hasher.readBackBytes, 0);
});

test("two lanes: what arrives ahead of the prefix is read back, the prefix itself is not", async (t) => {
  const size = 2 * MiB;
  // Halves too small to split: no steal, each lane brings its own.
  const s = await setup(t, size, 2, { minSplit: MiB });
  const run = s.transfer.run(2, undefined);
  const requests = [await s.fake.nextRequest(), await s.fake.nextRequest()];
  const [first, second] = requests.sort((a, b) => rangeOf(a).start - rangeOf(b).start);
  const head = answer(first!, size);
  const tail = answer(second!, size);
  // The first 256 KiB of the head, written at once (a batch is written after a pause).
  feed("two", head, 0, 256 * KiB);
  await settle();
  s.clock.advance(50);
  feed("two", head, 256 * KiB, 64 * KiB);
  await settle();
  // The whole second half, ahead of the prefix; then the rest of the head.
  feed("two", tail, MiB, MiB);
  tail.end();
  await settle();
  feed("two", head, 320 * KiB, MiB - 320 * KiB);
  head.end();
  await run;
  await assertDigestsOfFile(s, "two", size);
  assert.equal(s.hasher.readBackBytes, MiB, "exactly the half that came ahead of the prefix");
});

/** A tiny seeded generator (mulberry32): a failing order can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Answers every request and feeds the bodies in a random order, in chunks of random sizes, with
 * pauses (a batch is written early after one) and whatever steals, races and replacements the
 * transfer decides on meanwhile, until the transfer ends.
 */
async function playRandomly(s: Setup, seed: string, size: number, next: () => number) {
  let finished = false;
  const run = s.transfer.run(4, undefined).finally(() => (finished = true));
  const bodies: { body: ScriptedBody; at: number; end: number }[] = [];
  let answered = 0;
  while (!finished) {
    for (; answered < s.fake.requests.length; answered++) {
      const request = s.fake.requests[answered]!;
      bodies.push({ body: answer(request, size), ...spanOf(request) });
    }
    const open = bodies.filter((b) => !b.body.cancelled && b.at <= b.end);
    const pick = open[Math.floor(next() * open.length)];
    if (pick === undefined) {
      // Nothing to feed: lanes wait for a timer (a backoff, an idle recheck).
      s.clock.advance(100);
    } else if (pick.at === pick.end) {
      pick.body.end();
      pick.at++;
    } else {
      const length = Math.min(pick.end - pick.at, 1 + Math.floor(next() * 160 * KiB));
      pick.body.push(generateContent(seed, pick.at, length));
      pick.at += length;
      if (next() < 0.1) s.clock.advance(25);
    }
    await settle(3);
  }
  await run;
}

function spanOf(request: ScriptedRequest): { at: number; end: number } {
  const { start, end } = rangeOf(request);
  return { at: start, end };
}

test("random arrival orders: the digest is the file's, and only bytes out of order are read back", async (t) => {
  for (let trial = 0; trial < 12; trial++) {
    const next = random(trial + 1);
    const size = 512 * KiB + Math.floor(next() * 2 * MiB);
    const seed = `random-${trial}`;
    const s = await setup(t, size, 4, { minSplit: 64 * KiB, maxPiece: 256 * KiB });
    await playRandomly(s, seed, size, next);
    await assertDigestsOfFile(s, seed, size);
    // The bytes at offset 0 are in order whichever lane brings them.
    assert.ok(s.hasher.readBackBytes < size, `trial ${trial}: some batches hashed from memory`);
  }
});
