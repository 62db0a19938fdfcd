import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  HEADER_BYTES,
  RECORD_BYTES,
  decodeJournal,
  encodeHeader,
  encodeRecords,
  mergeExtents,
  outstanding,
  recoverExtents,
  uncovered,
  type JournalRecord,
} from "../../src/core/journal.js";
import type { Extent } from "../../src/core/planner.js";
import { crc32, crc32c, crc32cCombine } from "../../src/integrity/crc32c.js";

const GEN = "0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210";

const journal = (records: JournalRecord[], generation = GEN, header = generation): Buffer =>
  Buffer.concat([encodeHeader(header), encodeRecords(records, generation, crc32)]);

const RECORDS: JournalRecord[] = [
  { offset: 0, length: 1, crc: 0 },
  { offset: 2 ** 32 + 5, length: 2 ** 32 - 1, crc: 0xffffffff },
  { offset: Number.MAX_SAFE_INTEGER - 10, length: 10, crc: 0x12345678 },
];

test("records survive a round trip, offsets past 4 GiB included", () => {
  assert.deepEqual(decodeJournal(journal(RECORDS), GEN, crc32), RECORDS);
  assert.equal(journal(RECORDS).length, HEADER_BYTES + 3 * RECORD_BYTES);
});

test("what a journal holds that must not be believed", () => {
  const whole = journal(RECORDS);
  const cases: [string, Buffer, JournalRecord[]][] = [
    ["an empty file", Buffer.alloc(0), []],
    ["a header cut short", whole.subarray(0, HEADER_BYTES - 1), []],
    ["another generation's journal", journal(RECORDS, OTHER), []],
    ["a header of this generation over another's records", journal(RECORDS, OTHER, GEN), []],
    ["the last record torn by a kill", whole.subarray(0, whole.length - 7), RECORDS.slice(0, 2)],
    ["the last record's check not yet written", zeroTail(whole, 4), RECORDS.slice(0, 2)],
    [
      "a damaged record between good ones",
      flip(whole, HEADER_BYTES + RECORD_BYTES + 3),
      [RECORDS[0]!, RECORDS[2]!],
    ],
    ["a record of zero bytes", journal([{ offset: 5, length: 0, crc: 0 }]), []],
    ["an offset past 2^53", overOffset(), []],
  ];
  for (const [label, bytes, expected] of cases) {
    assert.deepEqual(decodeJournal(bytes, GEN, crc32), expected, label);
  }
});

function zeroTail(bytes: Buffer, count: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.fill(0, copy.length - count);
  return copy;
}

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0x40;
  return copy;
}

/** A well-checked record whose offset no JavaScript number holds exactly. */
function overOffset(): Buffer {
  const bytes = journal([{ offset: 0, length: 1, crc: 0 }]);
  const at = HEADER_BYTES;
  bytes.writeBigUInt64LE(2n ** 53n + 2n, at);
  const seed = crc32(Buffer.from(GEN, "hex"));
  bytes.writeUInt32LE(crc32(bytes.subarray(at, at + 16), seed), at + 16);
  return bytes;
}

test("a journal cut or damaged anywhere yields only records that were written", () => {
  const record = fc.record({
    offset: fc.integer({ min: 0, max: 2 ** 40 }),
    length: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    crc: fc.integer({ min: 0, max: 0xffffffff }),
  });
  fc.assert(
    fc.property(
      fc.array(record, { maxLength: 20 }),
      fc.nat(),
      fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
      (drawn, cut, damage) => {
        const records = drawn.map((r) => ({ ...r }));
        let bytes = journal(records);
        bytes = bytes.subarray(0, cut % (bytes.length + 1));
        if (damage && bytes.length > 0) {
          const at = damage[0] % bytes.length;
          bytes = Buffer.from(bytes);
          bytes[at] = bytes[at]! ^ damage[1];
        }
        const decoded = decodeJournal(bytes, GEN, crc32);
        const key = (r: JournalRecord): string => `${r.offset}:${r.length}:${r.crc}`;
        const written = new Set(records.map(key));
        for (const r of decoded) assert.ok(written.has(key(r)), `invented ${key(r)}`);
        // Every record wholly before the cut, and away from the damage, is kept.
        const intact = records.filter((_, i) => {
          const end = HEADER_BYTES + (i + 1) * RECORD_BYTES;
          const start = end - RECORD_BYTES;
          const hit = damage && bytes.length > 0 ? damage[0] % bytes.length : -1;
          const headerHit = hit >= 0 && hit < HEADER_BYTES;
          return end <= bytes.length && !headerHit && !(hit >= start && hit < end);
        });
        assert.deepEqual(decoded, intact);
      },
    ),
  );
});

test("uncovered: the parts of a range no extent covers", () => {
  const extents = [
    { start: 10, end: 20 },
    { start: 30, end: 40 },
  ];
  const cases: [number, number, [number, number][]][] = [
    [0, 10, [[0, 10]]],
    [10, 20, []],
    [12, 18, []],
    [
      5,
      45,
      [
        [5, 10],
        [20, 30],
        [40, 45],
      ],
    ],
    [15, 35, [[20, 30]]],
    [20, 30, [[20, 30]]],
    [40, 50, [[40, 50]]],
  ];
  for (const [start, end, parts] of cases) {
    assert.deepEqual(
      uncovered(extents, start, end).map((p) => [p.start, p.end]),
      parts,
      `[${start}, ${end})`,
    );
  }
});

test("outstanding: a journal keeps the records a durable state does not wholly cover", () => {
  const records = [
    { offset: 0, length: 10, crc: 1 },
    { offset: 10, length: 10, crc: 2 },
    { offset: 25, length: 10, crc: 3 },
    { offset: 50, length: 5, crc: 4 },
  ];
  const state = [
    { start: 0, end: 20, crc: 0 },
    { start: 30, end: 40, crc: 0 },
  ];
  assert.deepEqual(outstanding(records, state), [records[2], records[3]]);
  assert.deepEqual(outstanding(records, []), records);
});

test("mergeExtents: sorted, touching extents joined with their CRCs combined", () => {
  const data = Buffer.from("abcdefghijklmnopqrstuvwxyz");
  const ext = (start: number, end: number): Extent => ({
    start,
    end,
    crc: crc32c(data.subarray(start, end)),
  });
  assert.deepEqual(
    mergeExtents([ext(0, 5), ext(10, 12)], [ext(5, 10), ext(20, 26)], crc32cCombine),
    [ext(0, 12), ext(20, 26)],
  );
  assert.deepEqual(mergeExtents([ext(0, 5)], [ext(5, 8)]), [{ start: 0, end: 8, crc: 0 }]);
  assert.deepEqual(mergeExtents([], []), []);
  assert.throws(() => mergeExtents([ext(0, 5)], [ext(4, 8)]), /overlapping/);
});

/** A data file: `truth` is what the server sent, `disk` what reached the file. */
function reader(disk: Buffer): {
  crcOf: (s: number, e: number) => Promise<number>;
  reads: string[];
} {
  const reads: string[] = [];
  return {
    reads,
    crcOf: (start, end) => {
      reads.push(`${start}-${end}`);
      return Promise.resolve(crc32(disk.subarray(start, end)));
    },
  };
}

test("recoverExtents: which journalled writes a rerun keeps", async () => {
  const truth = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 7 + 3) & 0xff));
  const disk = Buffer.from(truth);
  disk.fill(0, 60, 70); // a write the kernel never got to disk: zeros read back
  const rec = (offset: number, length: number): JournalRecord => ({
    offset,
    length,
    crc: crc32(truth.subarray(offset, offset + length)),
  });
  const state: Extent[] = [{ start: 0, end: 20, crc: crc32c(truth.subarray(0, 20)) }];
  const { crcOf, reads } = reader(disk);
  const { extents, records } = await recoverExtents(
    state,
    [
      rec(0, 10), // already in the state: not even read
      rec(20, 10), // kept
      rec(60, 10), // zeros on disk: dropped
      rec(15, 20), // half in the state, half in the record above: only 30-35 is new
      rec(90, 20), // past the end of the file
      { offset: 40, length: 10, crc: 1 }, // a CRC the bytes do not have
      rec(20, 10), // the same write journalled twice (a rerun wrote it again)
    ],
    100,
    crcOf,
  );
  // Their CRC32Cs are not known: the caller reads them back if it keeps them (io/journal.ts).
  const found = (start: number, end: number): Extent => ({ start, end, crc: 0 });
  assert.deepEqual(extents, [found(20, 30), found(30, 35)]);
  assert.deepEqual(records, [rec(20, 10), rec(15, 20)]);
  assert.deepEqual(reads, ["20-30", "60-70", "15-35", "40-50"]);
  assert.deepEqual(mergeExtents(state, extents), [found(0, 35)]);
});

test("recovered and merged extents only ever claim bytes that are on disk", async () => {
  const SIZE = 256;
  const truth = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 131 + 17) & 0xff));
  // Writes cut the file into pieces; each is in the state, journalled (reached the disk or not), or
  // neither; a few are journalled twice and at shifted bounds (refetched after a lost write).
  const plan = fc.array(fc.integer({ min: 1, max: SIZE - 1 }), { maxLength: 12 }).chain((cuts) => {
    const bounds = [...new Set([0, ...cuts, SIZE])].sort((a, b) => a - b);
    const pieces = bounds.slice(1).map((end, i) => ({ start: bounds[i]!, end }));
    const fate = fc.constantFrom("state", "journal", "lost", "none");
    return fc.tuple(
      fc.constant(pieces),
      fc.array(fate, { minLength: pieces.length, maxLength: pieces.length }),
      fc.array(fc.tuple(fc.nat(SIZE - 1), fc.integer({ min: 1, max: 64 })), { maxLength: 4 }),
    );
  });
  await fc.assert(
    fc.asyncProperty(plan, async ([pieces, fates, extra]) => {
      const disk = Buffer.alloc(SIZE);
      const state: Extent[] = [];
      const records: JournalRecord[] = [];
      pieces.forEach((p, i) => {
        const fate = fates[i]!;
        const bytes = truth.subarray(p.start, p.end);
        if (fate === "state" || fate === "journal") truth.copy(disk, p.start, p.start, p.end);
        if (fate === "state") state.push({ ...p, crc: crc32c(bytes) });
        if (fate === "journal" || fate === "lost")
          records.push({ offset: p.start, length: p.end - p.start, crc: crc32(bytes) });
      });
      for (const [offset, length] of extra) {
        const end = Math.min(SIZE, offset + length);
        records.push({ offset, length: end - offset, crc: crc32(truth.subarray(offset, end)) });
      }
      // A state's extents are merged, as the planner saves them.
      const merged = mergeExtents(state, [], crc32cCombine);
      const { extents } = await recoverExtents(merged, records, SIZE, reader(disk).crcOf);
      // As io/journal.ts does for a state that keeps CRC32Cs: the recovered bytes are read back.
      for (const e of extents) e.crc = crc32c(disk.subarray(e.start, e.end));
      const all = mergeExtents(merged, extents, crc32cCombine);
      let previousEnd = -1;
      for (const e of all) {
        assert.ok(e.start > previousEnd, "sorted, disjoint and merged");
        previousEnd = e.end;
        assert.ok(disk.subarray(e.start, e.end).equals(truth.subarray(e.start, e.end)), "on disk");
        assert.equal(e.crc, crc32c(truth.subarray(e.start, e.end)), "its CRC");
      }
      // Every write that did reach the disk is kept.
      const covered = (s: number, e: number): boolean => uncovered(all, s, e).length === 0;
      pieces.forEach((p, i) => {
        if (fates[i] === "state" || fates[i] === "journal") assert.ok(covered(p.start, p.end));
      });
    }),
  );
});
