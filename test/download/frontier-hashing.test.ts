/**
 * The frontier hasher fed by a real transfer: whatever order the bytes arrive in, and whatever
 * steals, races and replacements the lanes go through, the digest is that of the file's bytes.
 * Played with a scripted transport and a manual clock (no sockets, no real time) onto a real file,
 * with a real hasher.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { RangePlanner, type Extent } from "../../src/core/planner.js";
import { FrontierHasher } from "../../src/integrity/frontier-hasher.js";
import { PartialFile } from "../../src/io/files.js";
import { generateContent } from "../../src/server/index.js";
import { Transfer } from "../../src/transfer.js";
import {
  ManualClock,
  ScriptedTransport,
  rangeOf,
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

/** A transfer of `size` bytes of `seed`; `done` extents are on disk already, as after a restart. */
async function setup(
  t: TestContext,
  seed: string,
  size: number,
  options: { minSplit: number; maxPiece: number; done: Extent[] },
): Promise<Setup> {
  const file = path.join(await tempDir(t), "file");
  const partial = await PartialFile.open(file, { resume: false });
  t.after(() => partial.close());
  for (const { start, end } of options.done) {
    await partial.write([generateContent(seed, start, end - start)], start);
  }
  // No size: a worker hashes even a small file as it grows, as it does a large one.
  const hasher = FrontierHasher.start(file, ["sha256", "md5"]);
  t.after(() => hasher.close());
  const fake = new ScriptedTransport();
  const clock = new ManualClock();
  const planner = new RangePlanner({ size, lanes: 4, ...options });
  // As download.ts does: a resumed prefix is read back at once.
  hasher.advance(planner.frontier);
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
 * pauses (a batch is written early after one), resets, and whatever steals, races and
 * replacements the transfer decides on meanwhile, until the transfer ends.
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
    } else if (next() < 0.02) {
      // A reset: the lane writes what it holds and asks again for the rest.
      pick.body.fail();
      pick.at = pick.end + 1;
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

/** Up to three extents already written, the first often at byte 0 (a resumed prefix). */
function someDone(size: number, next: () => number): Extent[] {
  const cuts = Array.from({ length: 6 }, () => Math.floor(next() * size)).sort((a, b) => a - b);
  if (next() < 0.5) cuts[0] = 0;
  const done: Extent[] = [];
  for (let i = 0; i + 1 < cuts.length; i += 2) {
    if (cuts[i]! < cuts[i + 1]!) done.push({ start: cuts[i]!, end: cuts[i + 1]!, crc: 0 });
  }
  return done;
}

test("random arrival orders, fresh or resumed: the digest is the file's", async (t) => {
  for (let trial = 0; trial < 16; trial++) {
    const next = random(trial + 1);
    const size = 512 * KiB + Math.floor(next() * 2 * MiB);
    const seed = `random-${trial}`;
    const done = trial % 2 === 0 ? [] : someDone(size, next);
    const s = await setup(t, seed, size, { minSplit: 64 * KiB, maxPiece: 256 * KiB, done });
    await playRandomly(s, seed, size, next);
    await assertDigestsOfFile(s, seed, size);
  }
});
