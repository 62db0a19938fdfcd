/**
 * The range planner: which bytes each connection ("lane") fetches next. Pure bookkeeping, no I/O.
 *
 * A segment's life: handed to a lane → bytes claimed (a write is under way) → bytes written →
 * done when every byte up to `end` is written. Another lane may steal the unclaimed tail of a
 * segment at any time, which shrinks its `end`; or, when nothing is left to steal, race a slow
 * segment's lane for its remaining bytes (a hedge). Both lanes then read the same range; each
 * byte is claimed, and so written, once, by whichever lane brings it first.
 *
 *   start ........ pos ........ claimed ........ end
 *   |  written   |  being written  |  still to fetch |
 */

export interface Extent {
  start: number;
  /** Exclusive. */
  end: number;
  /** CRC32C of the extent's bytes; 0 when the planner tracks none (no `combine`). */
  crc: number;
}

export interface Segment {
  readonly id: number;
  readonly start: number;
  /** [start, pos) is written and described by `crc`. */
  pos: number;
  crc: number;
  /** Bytes up to here are claimed by a write, finished or not; the next claim starts here. */
  claimed: number;
  /** Exclusive; only ever shrinks (a steal). */
  end: number;
  /** Lanes working on it: 1, or 2 while a hedge races the first. */
  lanes: number;
  /** Claims in order, their writes not all finished yet. */
  readonly pending: Claim[];
}

/** Bytes of a segment promised to one write. */
export interface Claim {
  /** Where the bytes go in the file. */
  offset: number;
  length: number;
  /** How many bytes at the start of the caller's data were already claimed (to be skipped). */
  skip: number;
  /** Set when the write is done: the CRC32C of these bytes alone. */
  crc?: number;
}

/** What the lanes know about speed, for the end of a download (the planner itself keeps no clock). */
export interface TailAdvice {
  /** The share of a segment's unfetched bytes a thief should take. @default 0.5 */
  share?: (segment: Segment) => number;
  /** The least a thief should take, if less than the planner's `minSplit` is worth it now. */
  minSplit?: number;
  /** Whether stealing from this segment saves time at all (its lane will not finish soon). */
  worthStealing?: (segment: Segment) => boolean;
  /** Whether a lone lane is so slow on this segment that racing it pays off. @default never */
  isStraggler?: (segment: Segment) => boolean;
}

export type Crc32cCombine = (crcA: number, crcB: number, lengthB: number) => number;

export interface PlannerOptions {
  size: number;
  lanes: number;
  /** Extents already on disk (from a resume state), in any order. */
  done?: Extent[] | undefined;
  /** Fixed segment size; without it, segments are split evenly across lanes and stolen. */
  chunkSize?: number | undefined;
  /** A steal leaves at least this much to each side. */
  minSplit: number;
  /**
   * Largest piece handed out in dynamic mode. Pieces go out in file order, so the contiguous
   * written prefix (what the sequential hasher can read) trails the download by about
   * lanes x maxPiece instead of most of the file.
   */
  maxPiece: number;
  /** Joins CRC32Cs. Omitted when no CRC32C is expected: every CRC then stays 0. */
  combine?: Crc32cCombine | undefined;
  /**
   * Where the first request's answer ends: the first piece ends there too, so that answer is
   * read to its end and its connection kept, instead of being cut where a piece ends.
   */
  firstEnd?: number | undefined;
}

const untracked: Crc32cCombine = () => 0;

/** Splits at multiples of this where the segment is large enough, so writes stay page-aligned. */
const ALIGN = 64 * 1024;

/** Lanes `left` bytes could keep busy: one per fixed chunk, or per smallest split (at least 1). */
export function usefulLanes(left: number, chunkSize: number | undefined, minSplit: number): number {
  return Math.max(1, Math.ceil(left / (chunkSize ?? minSplit)));
}

export class RangePlanner {
  readonly size: number;
  readonly #combine: Crc32cCombine;
  readonly #minSplit: number;
  readonly #chunkSize: number | undefined;
  /** Finished extents, sorted and merged. */
  #done: Extent[] = [];
  /** Byte ranges nobody has been given yet, sorted. */
  #gaps: { start: number; end: number }[];
  readonly #active = new Map<number, Segment>();
  #nextId = 0;
  readonly #pieceSize: number;
  #firstEnd: number | undefined;

  constructor(options: PlannerOptions) {
    this.size = options.size;
    this.#combine = options.combine ?? untracked;
    this.#minSplit = options.minSplit;
    this.#chunkSize = options.chunkSize;
    for (const extent of [...(options.done ?? [])].sort((a, b) => a.start - b.start)) {
      this.#addDone(extent);
    }
    this.#gaps = complement(this.#done, this.size);
    const missing = this.#gaps.reduce((sum, g) => sum + (g.end - g.start), 0);
    // One lane writes in order anyway; capping its pieces would only cut its stream.
    const evenShare = Math.ceil(missing / options.lanes);
    const cap = options.lanes === 1 ? evenShare : options.maxPiece;
    this.#pieceSize = options.chunkSize ?? Math.max(options.minSplit, Math.min(cap, evenShare));
    this.#firstEnd = options.firstEnd;
  }

  /** Bytes written so far (finished extents and the written part of active segments). */
  get writtenBytes(): number {
    let total = 0;
    for (const e of this.#done) total += e.end - e.start;
    for (const s of this.#active.values()) total += s.pos - s.start;
    return total;
  }

  /** Lanes the bytes left could keep busy: one per piece the planner would still hand out. */
  get usefulLanes(): number {
    return usefulLanes(this.size - this.writtenBytes, this.#chunkSize, this.#minSplit);
  }

  get isComplete(): boolean {
    return this.#gaps.length === 0 && this.#active.size === 0;
  }

  /** The first byte not yet written: everything before it is contiguous on disk. */
  get frontier(): number {
    const first = this.extents()[0];
    return first && first.start === 0 ? first.end : 0;
  }

  /** The first byte nobody has written (where a resumed download starts). */
  get firstMissing(): number {
    return this.#gaps[0]?.start ?? this.size;
  }

  /** Segments that still have bytes to fetch. */
  get active(): readonly Segment[] {
    return [...this.#active.values()];
  }

  /**
   * Gives a lane its next segment: the next unassigned piece; else (dynamic mode) the tail of the
   * segment with the most left to fetch, split by `advice.share`; else a segment that
   * `advice.isStraggler` names, to race its lane for the rest. Null when nothing is left to do.
   */
  next(advice: TailAdvice = {}): Segment | null {
    const gap = this.#gaps[0];
    if (gap) {
      const firstEnd = this.#firstEnd;
      this.#firstEnd = undefined;
      const piece =
        firstEnd !== undefined && firstEnd > gap.start ? firstEnd : gap.start + this.#pieceSize;
      const end = Math.min(gap.end, piece);
      const segment = this.#open(gap.start, end);
      if (end === gap.end) this.#gaps.shift();
      else gap.start = end;
      return segment;
    }
    const stolen = this.#chunkSize === undefined ? this.#steal(advice) : null;
    return stolen ?? this.#hedge(advice.isStraggler ?? (() => false));
  }

  /**
   * Claims what is new in `length` bytes of the segment's range that a lane received starting at
   * `at`: the part below `claimed` came first through another lane (or was never needed), the
   * part past `end` was stolen. Null when nothing is new. Claims never leave a hole: a lane's
   * stream starts at or before `claimed` and only moves forward.
   */
  claim(segment: Segment, at: number, length: number): Claim | null {
    if (at > segment.claimed)
      throw new Error(`claim at ${at} leaves a hole after ${segment.claimed}`);
    const from = segment.claimed;
    const to = Math.min(at + length, segment.end);
    if (to <= from) return null;
    const claim: Claim = { offset: from, length: to - from, skip: from - at };
    segment.claimed = to;
    segment.pending.push(claim);
    return claim;
  }

  /** A claim's write is done. Written bytes count once every earlier claim is written too. */
  written(segment: Segment, claim: Claim, crc: number): void {
    claim.crc = crc;
    while (segment.pending[0]?.crc !== undefined) {
      const done = segment.pending.shift()!;
      segment.crc =
        segment.pos === segment.start
          ? done.crc!
          : this.#combine(segment.crc, done.crc!, done.length);
      segment.pos += done.length;
    }
    if (segment.pos === segment.end && segment.pending.length === 0) this.#finish(segment);
  }

  /**
   * A lane stops working on a segment (finished, failed or aborted) after its writes settled. When
   * no lane is left on an unfinished segment, its claimed-but-unwritten and unfetched bytes go back.
   */
  leave(segment: Segment): void {
    segment.lanes = Math.max(0, segment.lanes - 1);
    if (segment.lanes > 0 || !this.#active.has(segment.id)) return;
    this.#active.delete(segment.id);
    segment.pending.length = 0;
    segment.claimed = segment.pos;
    if (segment.pos > segment.start) {
      this.#addDone({ start: segment.start, end: segment.pos, crc: segment.crc });
    }
    if (segment.end > segment.pos) this.#addGap(segment.pos, segment.end);
  }

  /** Everything written, as merged extents with their CRCs: what a resume state records. */
  extents(): Extent[] {
    const written = [...this.#done];
    for (const s of this.#active.values()) {
      if (s.pos > s.start) written.push({ start: s.start, end: s.pos, crc: s.crc });
    }
    written.sort((a, b) => a.start - b.start);
    const merged: Extent[] = [];
    for (const e of written) mergeInto(merged, e, this.#combine);
    return merged;
  }

  #open(start: number, end: number): Segment {
    const segment: Segment = {
      id: this.#nextId++,
      start,
      pos: start,
      crc: 0,
      claimed: start,
      end,
      lanes: 1,
      pending: [],
    };
    this.#active.set(segment.id, segment);
    return segment;
  }

  #steal(advice: TailAdvice): Segment | null {
    const victim = this.#mostLeft(advice.worthStealing ?? (() => true));
    if (!victim) return null;
    const left = victim.end - victim.claimed;
    const fraction = Math.min(1, Math.max(0.05, advice.share?.(victim) ?? 0.5));
    const minSplit = Math.min(this.#minSplit, advice.minSplit ?? this.#minSplit);
    // The thief's part is worth a request; the victim keeps something to finish its response on,
    // unless it is so slow (over 20 times) that the thief takes it all.
    const keep = fraction >= 0.95 ? 0 : Math.min(minSplit, ALIGN);
    let cut = fraction >= 0.95 ? victim.claimed : victim.end - Math.floor(left * fraction);
    if (cut - (cut % ALIGN) - victim.claimed >= keep) cut -= cut % ALIGN;
    if (victim.end - cut < minSplit || cut - victim.claimed < keep) return null;
    const stolen = this.#open(cut, victim.end);
    victim.end = cut;
    return stolen;
  }

  /** Joins a lone, slow segment: the caller fetches from its `claimed` byte on. */
  #hedge(isStraggler: (segment: Segment) => boolean): Segment | null {
    const target = this.#mostLeft((s) => s.lanes === 1 && isStraggler(s));
    if (!target) return null;
    target.lanes++;
    return target;
  }

  #mostLeft(eligible: (segment: Segment) => boolean): Segment | undefined {
    let best: Segment | undefined;
    for (const s of this.#active.values()) {
      if (
        s.end > s.claimed &&
        eligible(s) &&
        (!best || s.end - s.claimed > best.end - best.claimed)
      )
        best = s;
    }
    return best;
  }

  #finish(segment: Segment): void {
    this.#active.delete(segment.id);
    if (segment.end > segment.start) {
      this.#addDone({ start: segment.start, end: segment.end, crc: segment.crc });
    }
  }

  #addDone(extent: Extent): void {
    const merged: Extent[] = [];
    for (const e of [...this.#done, extent].sort((a, b) => a.start - b.start)) {
      mergeInto(merged, e, this.#combine);
    }
    this.#done = merged;
  }

  #addGap(start: number, end: number): void {
    this.#gaps.push({ start, end });
    this.#gaps.sort((a, b) => a.start - b.start);
  }
}

/** Appends `extent` to a sorted list, joining it to the last one when they touch. */
function mergeInto(list: Extent[], extent: Extent, combine: Crc32cCombine): void {
  const last = list[list.length - 1];
  if (last && last.end === extent.start) {
    list[list.length - 1] = {
      start: last.start,
      end: extent.end,
      crc: combine(last.crc, extent.crc, extent.end - extent.start),
    };
  } else if (last && extent.start < last.end) {
    throw new Error(`overlapping extents at ${extent.start}`);
  } else {
    list.push({ ...extent });
  }
}

/** The byte ranges of [0, size) not covered by the sorted, merged extents. */
function complement(done: readonly Extent[], size: number): { start: number; end: number }[] {
  const gaps: { start: number; end: number }[] = [];
  let at = 0;
  for (const e of done) {
    if (e.start > at) gaps.push({ start: at, end: e.start });
    at = Math.max(at, e.end);
  }
  if (at < size) gaps.push({ start: at, end: size });
  return gaps;
}
