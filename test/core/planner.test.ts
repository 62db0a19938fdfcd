import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RangePlanner, type Segment } from "../../src/core/planner.js";
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

/** Writes `bytes` of a segment the way a lane does: claim, then advance with the running CRC. */
function write(p: RangePlanner, s: Segment, content: Uint8Array, bytes: number): number {
  const allowed = p.claim(s, bytes);
  const crc = crc32c(content.subarray(s.pos, s.pos + allowed), s.crc);
  p.advance(s, allowed, crc);
  return allowed;
}

test("splits the file evenly across lanes, first piece at byte 0", () => {
  const p = planner(64 * MiB, 4);
  const pieces = [0, 1, 2, 3].map((lane) => p.next(lane));
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

test("pieces are capped and handed out in file order, so the written prefix grows from 0", () => {
  const p = planner(256 * MiB, 4, { maxPiece: 16 * MiB });
  const starts = Array.from({ length: 6 }, (_, i) => p.next(i % 4)!.start / MiB);
  assert.deepEqual(starts, [0, 16, 32, 48, 64, 80]);
});

test("a single lane gets the whole file in one piece, whatever the cap", () => {
  const p = planner(256 * MiB, 1, { maxPiece: 16 * MiB });
  assert.equal(p.next(0)!.end, 256 * MiB);
});

test("a small file gets no piece smaller than the minimum split", () => {
  const p = planner(3 * MiB, 8);
  const pieces = Array.from({ length: 8 }, (_, lane) => p.next(lane)).filter(Boolean);
  assert.equal(pieces.length, 3);
});

test("an idle lane steals the unclaimed tail half of the largest segment, aligned", () => {
  const p = planner(64 * MiB, 2);
  const a = p.next(0)!;
  const b = p.next(1)!;
  const content = new Uint8Array(64 * MiB);
  write(p, b, content, b.end - b.start);
  const stolen = p.next(1)!;
  assert.equal(a.end, stolen.start);
  assert.equal(stolen.end, 32 * MiB);
  assert.equal(stolen.start, 16 * MiB);
  assert.equal(stolen.start % (64 * 1024), 0);
});

test("bytes claimed for a write in flight are never stolen", () => {
  const p = planner(8 * MiB, 2, { lanes: 2 });
  const a = p.next(0)!;
  p.next(1);
  p.claim(a, 3 * MiB);
  // Lane 1 finished its piece; lane 0 has 1 MiB unclaimed: too small to split.
  const b = p.active.find((s) => s.lane === 1)!;
  write(p, b, new Uint8Array(8 * MiB), b.end - b.start);
  assert.equal(p.next(1), null);
});

test("fixed chunk size hands out chunks in order and never steals", () => {
  const p = planner(10 * MiB, 2, { chunkSize: 4 * MiB });
  assert.deepEqual([p.next(0)!.end, p.next(1)!.end], [4 * MiB, 8 * MiB]);
  const last = p.next(0)!;
  assert.deepEqual([last.start, last.end], [8 * MiB, 10 * MiB]);
  assert.equal(p.next(1), null);
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
  for (let s = p.next(0); s; s = p.next(0)) write(p, s, content, s.end - s.start);
  assert.ok(p.isComplete);
  assert.deepEqual(p.extents(), [{ start: 0, end: 10 * MiB, crc: crc32c(content) }]);
});

test("release returns unwritten bytes and keeps the written part", () => {
  const p = planner(4 * MiB, 1);
  const s = p.next(0)!;
  write(p, s, new Uint8Array(4 * MiB), MiB);
  p.release(s);
  assert.equal(p.writtenBytes, MiB);
  assert.equal(p.firstMissing, MiB);
  const again = p.next(0)!;
  assert.deepEqual([again.start, again.end], [MiB, 4 * MiB]);
});

test("a zero-byte file is complete at once", () => {
  const p = planner(0, 4);
  assert.ok(p.isComplete);
  assert.equal(p.next(0), null);
});

test("property: every byte is written exactly once, whatever the steals, releases and resumes", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 200_000 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 20_000 }),
      fc.option(fc.integer({ min: 1, max: 50_000 }), { nil: undefined }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 9 })), { maxLength: 400 }),
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
        const held = new Map<number, Segment>();
        const record = (s: Segment, n: number) => {
          const at = s.pos;
          const done = write(p, s, content, n);
          for (let i = at; i < at + done; i++) writes[i]!++;
        };
        // Random interleavings of lanes asking for work, writing, and giving up.
        for (const [pick, amount, action] of script) {
          const lane = pick % lanes;
          const s = held.get(lane);
          if (!s || s.pos >= s.end) {
            const next = p.next(lane);
            if (next) held.set(lane, next);
            else held.delete(lane);
          } else if (action === 0) {
            p.release(s);
            held.delete(lane);
          } else {
            record(s, 1 + (amount % 30_000));
          }
        }
        // Then everyone drains their work.
        for (let progress = true; progress;) {
          progress = false;
          for (let lane = 0; lane < lanes; lane++) {
            let s = held.get(lane);
            if (!s || s.pos >= s.end) s = p.next(lane) ?? undefined;
            if (s) {
              held.set(lane, s);
              record(s, s.end - s.pos);
              progress = true;
            }
          }
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
