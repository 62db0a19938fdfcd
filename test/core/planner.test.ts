import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RangePlanner, type Claim, type Segment } from "../../src/core/planner.js";
import { crc32c, crc32cCombine } from "../../src/integrity/crc32c.js";

const MiB = 1024 * 1024;
const planner = (
  size: number,
  lanes: number,
  extra: Partial<ConstructorParameters<typeof RangePlanner>[0]> = {},
) =>
  new RangePlanner({
    size,
    lanes,
    minSplit: MiB,
    maxPiece: 1 << 30,
    combine: crc32cCombine,
    ...extra,
  });

/** Writes `length` bytes of a segment received from `at`, the way a lane does. */
function write(
  p: RangePlanner,
  s: Segment,
  content: Uint8Array,
  at: number,
  length: number,
): Claim | null {
  const claim = p.claim(s, at, length);
  if (claim)
    p.written(s, claim, crc32c(content.subarray(claim.offset, claim.offset + claim.length)));
  return claim;
}
const writeAll = (p: RangePlanner, s: Segment, content: Uint8Array) =>
  write(p, s, content, s.claimed, s.end - s.claimed);

test("splits the file evenly across lanes, first piece at byte 0", () => {
  const p = planner(64 * MiB, 4);
  const pieces = [0, 1, 2, 3].map(() => p.next());
  assert.deepEqual(
    pieces.map((s) => [s?.start, s?.end]),
    [
      [0, 16 * MiB],
      [16 * MiB, 32 * MiB],
      [32 * MiB, 48 * MiB],
      [48 * MiB, 64 * MiB],
    ],
  );
});

test("the first piece ends where the first answer ends; the next ones split the rest", () => {
  const p = planner(64 * MiB, 4, { firstEnd: MiB });
  const pieces = [0, 1, 2].map(() => p.next());
  assert.deepEqual(
    pieces.map((s) => [s?.start, s?.end]),
    [
      [0, MiB],
      [MiB, 17 * MiB],
      [17 * MiB, 33 * MiB],
    ],
  );
  // Resumed: the first answer starts at the first missing byte.
  const resumed = planner(8 * MiB, 2, {
    done: [{ start: 0, end: 2 * MiB, crc: 0 }],
    firstEnd: 3 * MiB,
  });
  assert.deepEqual([resumed.next()?.start, resumed.next()?.start], [2 * MiB, 3 * MiB]);
});

test("pieces are capped and handed out in file order, so the written prefix grows from 0", () => {
  const p = planner(256 * MiB, 4, { maxPiece: 16 * MiB });
  const starts = Array.from({ length: 6 }, () => p.next()!.start / MiB);
  assert.deepEqual(starts, [0, 16, 32, 48, 64, 80]);
});

test("a single lane gets the whole file in one piece, whatever the cap", () => {
  const p = planner(256 * MiB, 1, { maxPiece: 16 * MiB });
  assert.equal(p.next()!.end, 256 * MiB);
});

test("a small file gets no piece smaller than the minimum split", () => {
  const p = planner(3 * MiB, 8);
  const pieces = Array.from({ length: 8 }, () => p.next()).filter(Boolean);
  assert.equal(pieces.length, 3);
});

test("an idle lane steals the unclaimed tail half of the largest segment, aligned", () => {
  const p = planner(64 * MiB, 2);
  const a = p.next()!;
  const b = p.next()!;
  writeAll(p, b, new Uint8Array(64 * MiB));
  const stolen = p.next()!;
  assert.equal(a.end, stolen.start);
  assert.equal(stolen.end, 32 * MiB);
  assert.equal(stolen.start, 16 * MiB);
  assert.equal(stolen.start % (64 * 1024), 0);
});

test("a steal takes a share in proportion to the speeds; from a crawling lane, all of it", () => {
  const p = planner(64 * MiB, 3);
  const slow = p.next()!;
  const crawling = p.next()!;
  const fast = p.next()!;
  writeAll(p, fast, new Uint8Array(64 * MiB));
  const stolen = p.next({
    share: (s) => (s === slow ? 0.9 : 0.5),
    worthStealing: (s) => s === slow,
  })!;
  assert.equal(stolen.start, slow.end, "the thief takes the tail beyond the victim's new end");
  const kept = slow.end - slow.claimed;
  assert.ok(kept >= 2 * MiB && kept <= 3 * MiB, `the slow lane keeps ${kept}`);
  assert.equal(slow.end % (64 * 1024), 0);
  const all = p.next({ share: () => 0.99, worthStealing: (s) => s === crawling })!;
  assert.equal(all.start, crawling.claimed);
  assert.equal(crawling.end, crawling.claimed, "the crawling lane keeps nothing");
});

test("bytes claimed for a write in flight are never stolen", () => {
  const p = planner(8 * MiB, 2);
  const a = p.next()!;
  const b = p.next()!;
  p.claim(a, 0, 3 * MiB);
  writeAll(p, b, new Uint8Array(8 * MiB));
  // Lane 0 has 1 MiB unclaimed: too small to split, and no straggler was named.
  assert.equal(p.next(), null);
});

test("a hedge joins a straggler; each byte is claimed once, whoever brings it", () => {
  const content = new Uint8Array(4 * MiB).map((_, i) => (i * 31) % 256);
  const p = planner(4 * MiB, 2, { minSplit: 4 * MiB });
  const slow = p.next()!;
  write(p, slow, content, 0, MiB);
  assert.equal(p.next(), null, "nothing to steal, no straggler named");
  const hedge = p.next({ isStraggler: (s) => s === slow })!;
  assert.equal(hedge, slow);
  assert.equal(hedge.lanes, 2);
  assert.equal(
    p.next({ isStraggler: () => true }),
    null,
    "a segment is raced by two lanes at most",
  );
  // The hedge asks from `claimed` on and overtakes; the slow lane's late bytes are skipped.
  const fast = write(p, hedge, content, MiB, 3 * MiB)!;
  assert.deepEqual([fast.offset, fast.length, fast.skip], [MiB, 3 * MiB, 0]);
  assert.equal(write(p, slow, content, MiB, 64 * 1024), null);
  assert.ok(p.isComplete);
  assert.deepEqual(p.extents(), [{ start: 0, end: 4 * MiB, crc: crc32c(content) }]);
});

test("a claim that overlaps what is claimed keeps only the new part", () => {
  const p = planner(4 * MiB, 1);
  const s = p.next()!;
  p.claim(s, 0, MiB);
  const claim = p.claim(s, MiB / 2, MiB)!;
  assert.deepEqual([claim.offset, claim.length, claim.skip], [MiB, MiB / 2, MiB / 2]);
  assert.throws(() => p.claim(s, 2 * MiB, 10), /hole/);
});

test("writes may finish out of order; bytes count once every earlier claim is written", () => {
  const content = new Uint8Array(2 * MiB).map((_, i) => i % 253);
  const p = planner(2 * MiB, 1);
  const s = p.next()!;
  const first = p.claim(s, 0, MiB)!;
  const second = p.claim(s, MiB, MiB)!;
  p.written(s, second, crc32c(content.subarray(MiB)));
  assert.equal(s.pos, 0);
  p.written(s, first, crc32c(content.subarray(0, MiB)));
  assert.ok(p.isComplete);
  assert.deepEqual(p.extents(), [{ start: 0, end: 2 * MiB, crc: crc32c(content) }]);
});

test("fixed chunk size hands out chunks in order and never steals", () => {
  const p = planner(10 * MiB, 2, { chunkSize: 4 * MiB });
  assert.deepEqual([p.next()!.end, p.next()!.end], [4 * MiB, 8 * MiB]);
  const last = p.next()!;
  assert.deepEqual([last.start, last.end], [8 * MiB, 10 * MiB]);
  assert.equal(p.next(), null);
});

test("resumes around extents already on disk and starts at the first missing byte", () => {
  const content = new Uint8Array(10 * MiB).map((_, i) => i % 251);
  const crcOf = (a: number, b: number) => crc32c(content.subarray(a, b));
  const p = planner(10 * MiB, 2, {
    done: [
      { start: 0, end: MiB, crc: crcOf(0, MiB) },
      { start: 5 * MiB, end: 6 * MiB, crc: crcOf(5 * MiB, 6 * MiB) },
    ],
  });
  assert.equal(p.firstMissing, MiB);
  assert.equal(p.frontier, MiB);
  assert.equal(p.writtenBytes, 2 * MiB);
  for (let s = p.next(); s; s = p.next()) writeAll(p, s, content);
  assert.ok(p.isComplete);
  assert.deepEqual(p.extents(), [{ start: 0, end: 10 * MiB, crc: crc32c(content) }]);
});

test("leaving an unfinished segment keeps the written part and returns the rest", () => {
  const p = planner(4 * MiB, 1);
  const s = p.next()!;
  write(p, s, new Uint8Array(4 * MiB), 0, MiB);
  p.claim(s, MiB, MiB); // a write that never finished
  p.leave(s);
  assert.equal(p.writtenBytes, MiB);
  assert.equal(p.firstMissing, MiB);
  const again = p.next()!;
  assert.deepEqual([again.start, again.end], [MiB, 4 * MiB]);
});

test("a zero-byte file is complete at once", () => {
  const p = planner(0, 4);
  assert.ok(p.isComplete);
  assert.equal(p.next(), null);
});

test("property: every byte is written exactly once, whatever the steals, hedges, leaves and write order", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 200_000 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 20_000 }),
      fc.option(fc.integer({ min: 1, max: 50_000 }), { nil: undefined }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 11 })), { maxLength: 400 }),
      (size, lanes, minSplit, chunkSize, maxPiece, script) => {
        const content = new Uint8Array(size).map((_, i) => (i * 7919) % 256);
        const writes = new Uint8Array(size);
        const p = new RangePlanner({
          size,
          lanes,
          minSplit,
          maxPiece,
          chunkSize,
          combine: crc32cCombine,
        });
        // What each lane holds: its segment, where its stream is, and claims not yet written.
        const held = new Map<number, { s: Segment; at: number; unwritten: Claim[] }>();
        const finishWrites = (lane: number) => {
          const h = held.get(lane);
          for (const claim of h?.unwritten.splice(0) ?? []) {
            for (let i = claim.offset; i < claim.offset + claim.length; i++) writes[i]!++;
            p.written(
              h!.s,
              claim,
              crc32c(content.subarray(claim.offset, claim.offset + claim.length)),
            );
          }
        };
        const leave = (lane: number) => {
          finishWrites(lane);
          p.leave(held.get(lane)!.s);
          held.delete(lane);
        };
        for (const [pick, amount, action] of script) {
          const lane = pick % lanes;
          const h = held.get(lane);
          if (!h) {
            // Any segment may be named a straggler: hedges race whichever one.
            const s = p.next({
              isStraggler: () => action % 2 === 0,
              share: () => (amount % 100) / 100,
            });
            if (s) held.set(lane, { s, at: s.claimed, unwritten: [] });
          } else if (action === 0) {
            leave(lane);
          } else if (action <= 3) {
            finishWrites(lane); // writes of this lane finish, possibly after later claims of others
          } else if (h.at >= h.s.end || h.s.claimed >= h.s.end) {
            leave(lane);
          } else {
            const length = 1 + (amount % 30_000);
            const claim = p.claim(h.s, h.at, length);
            h.at = Math.min(h.at + length, h.s.end);
            if (claim) h.unwritten.push(claim);
          }
        }
        // Then every lane drains: writes finish, and each takes work until none is left.
        for (const lane of [...held.keys()]) leave(lane);
        for (let s = p.next(); s; s = p.next()) {
          const claim = p.claim(s, s.claimed, s.end - s.claimed)!;
          for (let i = claim.offset; i < claim.offset + claim.length; i++) writes[i]!++;
          p.written(s, claim, crc32c(content.subarray(claim.offset, claim.offset + claim.length)));
          p.leave(s);
        }
        assert.ok(p.isComplete);
        assert.ok(
          writes.every((n) => n === 1),
          "some byte was written twice or never",
        );
        assert.deepEqual(
          p.extents(),
          size === 0 ? [] : [{ start: 0, end: size, crc: crc32c(content) }],
        );
      },
    ),
    { numRuns: 300 },
  );
});
