/**
 * The transfer's coordinator: runs one Lane (src/lane.ts) per connection, and owns what they
 * share: the planner's segments and who reads them, the adaptive ramp, the replacement of slow
 * connections, the one write path, checkpoints of the resume state, and how the transfer stops
 * (a failure, an abort, or a drain). Decisions come from core/, bytes go through io/.
 */
import { setMaxListeners } from "node:events";
import type { Transport } from "./io/transport.js";
import type { PartialFile } from "./io/files.js";
import type { DownloadEvent, LaneProgress } from "./events.js";
import type { RangePlanner, Segment, TailAdvice } from "./core/planner.js";
import type { FrontierHasher } from "./integrity/frontier-hasher.js";
import { HttpStatusError, NetworkError, type PargetError } from "./errors.js";
import { ifRangeValue } from "./core/validators.js";
import type { Version } from "./core/response-check.js";
import type { LaneEvent, LaneState } from "./core/lane-states.js";
import {
  affordable,
  isStraggler,
  median,
  raceWaste,
  readerBehind,
  type ResponseSoFar,
  shouldReplace,
  stealMinimum,
  stealShare,
  stealWaste,
  worthStealing,
} from "./core/tail.js";
import { crc32, crc32c } from "./integrity/crc32c.js";
import { LaneSpeeds } from "./speeds.js";
import type { ConnectionRamp } from "./core/ramp.js";
import { systemClock, type Clock } from "./clock.js";
import { Lane, type FirstResponse, type LaneHost } from "./lane.js";
import type { Pacer } from "./rate-limit.js";
import { lanesWithin } from "./core/rate-limit.js";

/**
 * What a set grants one file's transfer: how many lanes it may run now. The transfer says how
 * many it would use, and hears when its share changes (another file started or finished).
 */
export interface ConnectionGrant {
  /** Lanes the transfer may run now; at least 1. */
  readonly limit: number;
  /** Lanes the set grants now, every file's together (this one's included). */
  readonly total: number;
  /** The transfer runs: `changed` is called whenever `limit` changes. */
  attach(transfer: { changed(): void }): void;
  detach(): void;
  /** Lanes the set would grant now if the transfer wanted `lanes` (the set itself is unchanged). */
  could(lanes: number): number;
  /** Lanes the transfer would use now (its ramp's target, capped by the work left). */
  want(lanes: number): void;
  /** `origin` refused one of its connections: that host's cap falls, for the whole set. */
  refused(origin: string): void;
}

export type { FirstResponse } from "./lane.js";

/**
 * Writes are batched (small writes cost ~1.8x more per byte on ext4 here). Each lane has two batch
 * buffers: one is written while the other fills, so a lone connection keeps receiving during its
 * writes. Many lanes get smaller ones, sized by the lanes running (in the whole set) when each is
 * started: 4 get 512 KiB each, an adaptive ramp's later lanes less, so that however the lanes grow
 * they hold a few times WRITE_BUDGET at most.
 */
const WRITE_BUDGET = 4 * 1024 * 1024;
const batchSize = (lanes: number): number =>
  Math.min(1024 * 1024, Math.max(128 * 1024, WRITE_BUDGET / 2 / lanes));
/** An idle lane looks for a straggler again this often, or as soon as a segment finishes. */
const IDLE_RECHECK_MS = 100;
/** How often the adaptive connection count is fed the bytes received. */
const RAMP_SAMPLE_MS = 50;
/** Lane states in which a lane holds a segment. */
const WORKING: ReadonlySet<LaneState> = new Set(["requesting", "receiving", "backoff", "draining"]);

/** Whether the reader is behind (its event loop's load, a limit's holds) is judged over this long at least. */
const BUSY_WINDOW_MS = 50;
/** How often the lanes' speeds are reviewed for a connection to replace. */
const REVIEW_MS = 250;
/** Weight of the newest request in the smoothed request latency. */
const LATENCY_WEIGHT = 0.3;
/**
 * A checkpoint is due every CHECKPOINT_MS, or sooner after a 32nd of the file (1 to 64 MiB) of
 * new data: what a kill can cost in refetched bytes stays small next to the file. Never sooner
 * than CHECKPOINT_GAP_MS after the last one began, though: each flushes the data to disk, and
 * back-to-back flushes at hundreds of MiB/s hold up the writes they queue behind.
 */
const CHECKPOINT_MS = 1000;
const CHECKPOINT_GAP_MS = 250;
const checkpointBytes = (size: number): number =>
  Math.min(64 * 1024 * 1024, Math.max(1024 * 1024, Math.ceil(size / 32)));

export interface TransferContext {
  transport: Transport;
  planner: RangePlanner;
  file: PartialFile;
  hasher: FrontierHasher;
  /** The URL ranges go to (after the first request's redirects) and the headers that go with it. */
  url: URL;
  headers: Record<string, string>;
  /** The version being fetched: every response must prove it carries the same. */
  version: Version;
  retries: number;
  idleTimeoutMs: number;
  emit: (event: DownloadEvent) => void;
  /** Saves the resume state for the given extents (called after the data is flushed). */
  saveState: (extents: ReturnType<RangePlanner["extents"]>) => Promise<void>;
  /**
   * Whether the server honours ranges. Without them nothing can be resumed later, and a retry
   * reads the whole file again, skipping what is already written.
   */
  ranges: boolean;
  /** Whether each write's CRC32C is computed, for a CRC32C the download expects. */
  crcs: boolean;
  /** Adaptive connections: how many lanes to run, up to run()'s count. Unset: all of them. */
  ramp?: ConnectionRamp;
  /** A set's share of connections for this file (src/set.ts). Unset: no limit but the ramp's. */
  grant?: ConnectionGrant;
  /**
   * The speed limits this file's reads obey (the transport above is already paced by it): the
   * ramp hears how long lanes waited for them, and lanes no limit leaves room for stop.
   */
  pacer?: Pacer;
  /** Called right after each write reaches the file, with what was written and its CRC-32. */
  onWritten?: (offset: number, length: number, crc: number) => void;
  /** Timers and the clock. @default the system's */
  clock?: Clock;
  /** Each lane's every transition, for tests and debugging. */
  trace?: (lane: number, from: LaneState, event: LaneEvent, to: LaneState) => void;
}

/** A lane's latest segment, how it came by it, and how many it stole or raced for. */
interface LaneWork {
  segment: Segment;
  steals: number;
  races: number;
  origin: LaneProgress["origin"];
  originAt: number | null;
}

export class Transfer implements LaneHost {
  readonly #c: TransferContext;
  readonly clock: Clock;
  readonly speeds = new LaneSpeeds();
  readonly #abort = new AbortController();
  #failure: unknown;
  /**
   * Aborted when the server refuses a request for good (a 403 once a signed URL expires): no new
   * request goes out, no retry waits, but the responses already flowing finish their segments,
   * which are kept; then the transfer fails with that refusal.
   */
  readonly #drain = new AbortController();
  readonly stopping = AbortSignal.any([this.#abort.signal, this.#drain.signal]);
  readonly #lanes: Lane[] = [];
  readonly #workers: Promise<void>[] = [];
  /** run()'s lane count, and the first response until lane 0 takes it. */
  #maxLanes = 0;
  #pending: FirstResponse | undefined;
  #sinceCheckpoint = 0;
  #lastCheckpoint = -Infinity;
  /** How long a range request takes to bring its response, smoothed; unknown before the first. */
  #latencyMs: number | undefined;
  /**
   * Set once the server answered a same-version If-Range with the whole file, or tagged the same
   * bytes with another ETag: every 206 is still checked against the version without it.
   */
  #ifRangeDropped = false;
  /** The lane that started each segment: the one a hedge would race. */
  readonly #owners = new Map<Segment, number>();
  /** Lanes reading into each segment, cancelled once the segment is complete. */
  readonly #readers = new Map<Segment, Set<Lane>>();
  /** Resolved (and replaced) whenever a segment finishes or is left: wakes idle lanes. */
  #changed = signal();
  #checkpointing: Promise<void> | null = null;
  /** Bytes received by all lanes, for the adaptive ramp. */
  #received = 0;
  /** How often each lane's connection was replaced for slowness. */
  readonly #replacements = new Map<number, number>();
  /** Each lane's latest segment, and how many it stole or raced for (progress events show them). */
  readonly #laneWork = new Map<number, LaneWork>();
  /** The bytes the steals and races so far may have wasted (core/tail.ts bounds them). */
  #wasted = 0;
  /** Whether the reader was behind every server when last measured, and where that window began. */
  #behind = false;
  #windowStart = { now: 0, busyMs: 0, heldMs: 0 };

  /** The caller's signal, listened to only while run() runs: one signal may serve many downloads. */
  readonly #outer: AbortSignal | undefined;
  readonly #onOuterAbort = (): void => this.#fail(this.#outer?.reason);

  constructor(context: TransferContext, outerSignal: AbortSignal | undefined) {
    this.#c = context;
    this.clock = context.clock ?? systemClock;
    // Every request in flight listens to this signal; many lanes are not a leak.
    setMaxListeners(0, this.#abort.signal, this.stopping);
    this.#outer = outerSignal;
  }

  /** Lanes currently receiving a body: the "active connections" of progress events. */
  get activeConnections(): number {
    return this.#lanes.filter((l) => l.state === "receiving" || l.state === "draining").length;
  }

  /**
   * Runs up to `lanes` lanes until every byte is written (fewer while an adaptive ramp says so).
   * On failure every lane stops, a final checkpoint records what is on disk, and the first error
   * is thrown.
   */
  async run(lanes: number, first: FirstResponse | undefined): Promise<void> {
    this.#maxLanes = lanes;
    this.#windowStart = this.#windowNow();
    this.#pending = first;
    if (this.#outer?.aborted) this.#onOuterAbort();
    this.#outer?.addEventListener("abort", this.#onOuterAbort, { once: true });
    // A state from the start marks the partial file as this download's, even if killed at once.
    void this.#checkpoint();
    const { ramp, grant, pacer } = this.#c;
    grant?.attach(this);
    const stops = [
      ...(pacer ? [pacer.onChange(() => this.#limitChanged())] : []),
      this.clock.every(CHECKPOINT_MS, () => void this.#checkpoint()),
      this.clock.every(REVIEW_MS, () => {
        this.#replaceSlowest();
        this.#tellWant();
      }),
      ...(ramp ? [this.clock.every(RAMP_SAMPLE_MS, () => this.#adjust(ramp))] : []),
    ];
    const workers = this.#workers;
    try {
      if (lanes === 0) first?.response.cancel();
      this.#tellWant();
      this.#startLanes();
      // Lanes may be added while the first ones run.
      for (let i = 0; i < workers.length; i++) await workers[i];
      // A hedge may have brought the refused bytes after all.
      if (this.#drain.signal.aborted && !this.planner.isComplete) {
        this.#fail(this.#drain.signal.reason);
      }
      if (this.#failure === undefined && !this.planner.isComplete) {
        this.#fail(new Error("bug: the lanes stopped with bytes left to fetch"));
      }
    } finally {
      grant?.detach();
      this.#outer?.removeEventListener("abort", this.#onOuterAbort);
      for (const stop of stops) stop();
      // A checkpoint may be under way with an older picture; after it, one records the last writes
      // (so a kill during verification refetches nothing).
      await this.#checkpointing;
      await this.#checkpoint();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** The set changed this file's share of connections: start lanes, or let extra ones stop. */
  changed(): void {
    this.#startLanes();
    this.#notify();
  }

  /**
   * Starts the lanes below the limit that are not running: new ones, or ones that stopped when
   * the limit was lower. A lane the server refused, or one that finished, stays stopped.
   */
  #startLanes(): void {
    if (this.planner.isComplete || this.stopping.aborted) return;
    const running = Math.min(this.laneLimit, this.#maxLanes);
    // Sized for every lane running now, a set's other files' included; never beyond the file.
    const lanes = Math.max(running, this.#c.grant?.total ?? 0);
    const batch = Math.min(batchSize(lanes), Math.max(64 * 1024, this.planner.size));
    for (let index = 0; index < running; index++) {
      const previous = this.#lanes[index];
      if (previous && previous.state !== "left") continue;
      const lane = new Lane(this, index, batch);
      this.#lanes[index] = lane;
      this.speeds.forget(index);
      const initial = index === 0 ? this.#pending : undefined;
      if (index === 0) this.#pending = undefined;
      this.#workers.push(
        lane
          .run(initial)
          .catch((error: unknown) => this.#fail(error))
          .finally(() => {
            // Its connection may serve another file of the set meanwhile (unless a new lane
            // took this index over already, and the connection with it).
            if (this.#lanes[index] === lane) this.#c.transport.release?.(index);
          }),
      );
    }
  }

  // What the lanes read (LaneHost).
  get transport(): Transport {
    return this.#c.transport;
  }
  get planner(): RangePlanner {
    return this.#c.planner;
  }
  get url(): URL {
    return this.#c.url;
  }
  get headers(): Record<string, string> {
    return this.#c.headers;
  }
  get version(): Version {
    return this.#c.version;
  }
  get ranges(): boolean {
    return this.#c.ranges;
  }
  get retries(): number {
    return this.#c.retries;
  }
  get idleTimeoutMs(): number {
    return this.#c.idleTimeoutMs;
  }
  get emit(): (event: DownloadEvent) => void {
    return this.#c.emit;
  }
  get trace(): TransferContext["trace"] {
    return this.#c.trace;
  }
  get stopped(): AbortSignal {
    return this.#abort.signal;
  }
  get draining(): boolean {
    return this.#drain.signal.aborted;
  }
  get laneLimit(): number {
    return Math.min(
      this.#c.ramp?.target ?? Infinity,
      this.#c.grant?.limit ?? Infinity,
      lanesWithin(this.#c.pacer?.rate, this.idleTimeoutMs),
    );
  }

  ifRange(): string | undefined {
    return this.#ifRangeDropped ? undefined : ifRangeValue(this.#c.version.validators);
  }

  dropIfRange(): void {
    this.#ifRangeDropped = true;
  }

  next(lane: Lane): Segment | undefined {
    const ends = new Map(this.planner.active.map((s) => [s, s.end]));
    const segment = this.planner.next(this.#advice(lane.index));
    if (!segment) return undefined;
    this.#count(lane.index, segment, ends);
    this.#stopOvertaken();
    if (!this.#owners.has(segment)) {
      this.#owners.set(segment, lane.index);
      // A new segment is judged by its own response, not by this lane's last one.
      this.speeds.forget(lane.index);
    }
    return segment;
  }

  /**
   * A steal shrinks another segment's end; a race hands out a segment another lane started. Each
   * is counted for progress events, and what it may waste is spent from the budget.
   */
  #count(lane: number, segment: Segment, endsBefore: Map<Segment, number>): void {
    const work: LaneWork = this.#laneWork.get(lane) ?? {
      segment,
      steals: 0,
      races: 0,
      origin: "plan",
      originAt: null,
    };
    work.segment = segment;
    const now = this.clock.now();
    work.origin = "plan";
    work.originAt = null;
    const owner = this.#owners.get(segment);
    const victim = [...endsBefore.keys()].find((s) => s !== segment && s.end < endsBefore.get(s)!);
    if (owner !== undefined && owner !== lane) {
      work.races++;
      this.#wasted += raceWaste(
        this.#soFarOf(segment, now),
        this.speeds.ofOrFastest(lane, now),
        segment.end - segment.claimed,
        this.#latencyMs,
      );
      // A hedge fetches from the first byte nobody has claimed yet.
      work.origin = "race";
      work.originAt = segment.claimed;
    } else if (victim) {
      work.steals++;
      this.#wasted += stealWaste(this.#soFarOf(victim, now), segment.end - segment.start);
      work.origin = "steal";
      work.originAt = segment.start;
    }
    this.#laneWork.set(lane, work);
  }

  /** Each lane now, for progress events. */
  lanes(): LaneProgress[] {
    const now = this.clock.now();
    return this.#lanes.map((lane, index) => {
      const work = this.#laneWork.get(index);
      const busy = work !== undefined && WORKING.has(lane.state);
      return {
        lane: index,
        state: lane.state,
        range: busy ? [work.segment.start, work.segment.end] : null,
        position: busy ? work.segment.claimed : null,
        bytesPerSecond: (this.speeds.of(index, now) ?? 0) * 1000,
        steals: work?.steals ?? 0,
        races: work?.races ?? 0,
        reconnects: this.#replacements.get(index) ?? 0,
        origin: busy ? work.origin : "plan",
        originAt: busy ? work.originAt : null,
      };
    });
  }

  async idle(): Promise<void> {
    const waking = new AbortController();
    const stop = (): void => waking.abort();
    this.stopping.addEventListener("abort", stop, { once: true });
    try {
      await Promise.race([this.#changed.promise, this.clock.sleep(IDLE_RECHECK_MS, waking.signal)]);
    } finally {
      waking.abort();
      this.stopping.removeEventListener("abort", stop);
    }
  }

  leave(segment: Segment): void {
    this.planner.leave(segment);
    this.#notify();
  }

  latency(ms: number): void {
    this.#latencyMs =
      this.#latencyMs === undefined
        ? ms
        : this.#latencyMs + LATENCY_WEIGHT * (ms - this.#latencyMs);
  }

  reading(lane: Lane, segment: Segment, on: boolean): void {
    const readers = this.#readers.get(segment) ?? new Set();
    if (on) this.#readers.set(segment, readers.add(lane));
    else readers.delete(lane);
  }

  received(bytes: number): void {
    this.#received += bytes;
  }

  retire(lane: number, error: PargetError): boolean {
    const { ramp, grant } = this.#c;
    if ((!ramp && !grant) || !isRefusal(error)) return false;
    ramp?.refused(lane);
    if (grant) {
      grant.refused(this.url.origin);
      // While it waits to retry, its connection is not the host's to count: the set's next
      // refusal then sees one fewer, and a burst of them brings the cap down to what was accepted.
      this.#c.transport.release?.(lane);
    }
    return lane >= this.laneLimit;
  }

  drain(error: HttpStatusError): void {
    if (this.draining) return;
    this.#drain.abort(error);
    for (const lane of this.#lanes) lane.drain();
    this.#notify();
  }

  /**
   * The one write path: writes what is still unclaimed of a batch received at `at`, then records
   * it with its CRC. A failed write fails the transfer: the disk will not take the next one either.
   */
  async write(segment: Segment, at: number, batch: Buffer): Promise<void> {
    const { planner, file, hasher } = this.#c;
    const claim = planner.claim(segment, at, batch.length);
    if (!claim) return;
    const data = batch.subarray(claim.skip, claim.skip + claim.length);
    const crc = this.#c.crcs ? crc32c(data) : 0;
    const journalled = this.#c.onWritten ? crc32(data) : 0;
    try {
      await file.write([data], claim.offset);
    } catch (error) {
      this.#fail(error);
      throw error;
    }
    this.#c.onWritten?.(claim.offset, claim.length, journalled);
    planner.written(segment, claim, crc);
    if (hasher.hashing) hasher.advance(planner.frontier);
    if (segment.pos >= segment.end) {
      // Whoever was racing for these bytes lost: stop them now rather than at their next chunk.
      for (const other of this.#readers.get(segment) ?? []) other.cancel("complete");
      this.#readers.delete(segment);
    }
    this.#sinceCheckpoint += claim.length;
    if (
      this.#sinceCheckpoint >= checkpointBytes(planner.size) &&
      this.clock.now() - this.#lastCheckpoint >= CHECKPOINT_GAP_MS
    ) {
      void this.#checkpoint();
    }
  }

  /** Feeds the ramp; starts the lanes it adds, and wakes idle ones so that extra lanes stop. */
  #adjust(ramp: ConnectionRamp): void {
    if (ramp.settled || this.planner.isComplete || this.draining) return;
    // Held below its target by the set, the ramp would measure fewer lanes than it thinks.
    if (ramp.target > (this.#c.grant?.limit ?? Infinity)) {
      ramp.hold(this.clock.now());
      return;
    }
    const before = ramp.target;
    const target = ramp.sample({
      now: this.clock.now(),
      bytes: this.#received,
      receiving: this.activeConnections,
      latencyMs: this.#latencyMs,
      heldMs: this.#c.pacer?.heldMs,
    });
    if (target !== before) this.#tellWant();
    if (target > before) this.#startLanes();
    else if (target < before) this.#notify();
  }

  /**
   * A speed limit changed. Lanes it leaves no room for let their connections go now rather than
   * at the end of their segments (each would wait its turn for longer than the idle timeout);
   * lanes a raised limit makes room for start.
   */
  #limitChanged(): void {
    for (const lane of this.#lanes) {
      if (lane && lane.index >= this.laneLimit && lane.state === "receiving")
        lane.cancel("replace");
    }
    this.#tellWant();
    this.changed();
  }

  /** Tells the set how many lanes this file would use now. */
  #tellWant(): void {
    const grant = this.#c.grant;
    if (!grant) return;
    const lanes = this.#maxLanes;
    const wanted = Math.min(
      lanes,
      this.#c.ramp?.target ?? lanes,
      this.planner.usefulLanes,
      lanesWithin(this.#c.pacer?.rate, this.idleTimeoutMs),
    );
    grant.want(this.planner.isComplete ? 1 : wanted);
  }

  /**
   * Whether the reader is behind every server (core/tail.ts, `readerBehind`): measured over at
   * least BUSY_WINDOW_MS, from the start of the transfer on, so that the first steals know too.
   */
  #isBehind(now: number): boolean {
    const start = this.#windowStart;
    if (now - start.now < BUSY_WINDOW_MS) return this.#behind;
    const end = this.#windowNow();
    this.#behind = readerBehind({
      ms: end.now - start.now,
      busyMs: end.busyMs - start.busyMs,
      heldMs: end.heldMs - start.heldMs,
      lanes: this.activeConnections,
    });
    this.#windowStart = end;
    return this.#behind;
  }

  /** The counters a window of `#isBehind` is the difference of. */
  #windowNow(): { now: number; busyMs: number; heldMs: number } {
    return {
      now: this.clock.now(),
      busyMs: this.clock.busyMs(),
      heldMs: this.#c.pacer?.heldMs ?? 0,
    };
  }

  /**
   * Closes the connection of a lane far slower than the others, if any (one at a time): the lane
   * reconnects for the rest of its segment, and may land on a faster path or server.
   */
  #replaceSlowest(): void {
    // A replaced connection sends a new request, which a drain forbids.
    if (!this.ranges || this.draining) return;
    const lanes = this.speeds.receiving(this.clock.now());
    const [first, ...rest] = lanes;
    if (!first) return;
    const slowest = rest.reduce((a, b) => (b.speed < a.speed ? b : a), first);
    const lane = this.#lanes[slowest.lane];
    const replaced = this.#replacements.get(slowest.lane) ?? 0;
    const others = lanes.filter((l) => l !== slowest).map((l) => l.speed);
    const replace = shouldReplace({
      ...slowest,
      others,
      left: this.planner.size - this.planner.writtenBytes,
      replaced,
    });
    if (!replace || lane?.state !== "receiving") return;
    this.#replacements.set(slowest.lane, replaced + 1);
    lane.cancel("replace");
    this.emit({
      type: "reconnect",
      bytesPerSecond: slowest.speed * 1000,
      othersBytesPerSecond: median(others) * 1000,
    });
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    this.#abort.abort(error);
  }

  #notify(): void {
    this.#changed.resolve();
    this.#changed = signal();
  }

  /** What this lane's speed, and the others', say about stealing and racing at the end. */
  #advice(lane: number): TailAdvice {
    const now = this.clock.now();
    const mine = this.speeds.ofOrFastest(lane, now);
    const theirs = (s: Segment): number | undefined => {
      const owner = this.#owners.get(s);
      return owner === undefined || owner === lane ? undefined : this.speeds.of(owner, now);
    };
    const latency = this.#latencyMs;
    const fits = (waste: number): boolean => affordable(waste, this.#wasted, this.planner.size);
    return {
      share: (s) => stealShare(theirs(s), mine),
      worthStealing: (s) =>
        worthStealing(theirs(s), s.end - s.claimed, latency) &&
        fits(stealWaste(this.#soFarOf(s, now), s.end - s.claimed)),
      isStraggler: (s) =>
        isStraggler(theirs(s), mine, s.end - s.claimed, latency) &&
        fits(raceWaste(this.#soFarOf(s, now), mine, s.end - s.claimed, latency)),
      ...(mine === undefined ? {} : { minSplit: stealMinimum(mine, latency) }),
    };
  }

  /**
   * What the response of the lane that started a segment has shown so far, for what cutting it
   * may waste; nothing while the reader is behind every server, when its waits say nothing of
   * what the buffers hold (tail.ts).
   */
  #soFarOf(segment: Segment, now: number): ResponseSoFar | undefined {
    if (this.#isBehind(now)) return undefined;
    const owner = this.#owners.get(segment);
    return owner === undefined ? undefined : this.speeds.sofar(owner, now);
  }

  /**
   * Cancels the responses of segments left with nothing to read: a steal that took all of a
   * crawling lane's rest. A stalled response would otherwise hold its lane until the idle timeout.
   */
  #stopOvertaken(): void {
    for (const [segment, readers] of this.#readers) {
      if (segment.claimed < segment.end) continue;
      for (const lane of readers) lane.cancel("complete");
      this.#readers.delete(segment);
    }
  }

  /**
   * Flushes the data, then saves a state describing only what was written before the flush, so a
   * state never claims bytes that are not durably on disk. One checkpoint runs at a time.
   */
  #checkpoint(): Promise<void> {
    if (!this.ranges) return Promise.resolve();
    this.#checkpointing ??= (async () => {
      this.#sinceCheckpoint = 0;
      this.#lastCheckpoint = this.clock.now();
      const extents = this.planner.extents();
      await this.#c.file.sync();
      await this.#c.saveState(extents);
    })()
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        this.#checkpointing = null;
      });
    return this.#checkpointing;
  }
}

/** A promise with its resolver (Promise.withResolvers needs Node 22). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Signs that the server will not take more connections: 429, 503, resets, refusals, timeouts. */
export function isRefusal(error: PargetError): boolean {
  if (error instanceof HttpStatusError) return error.status === 429 || error.status === 503;
  return error instanceof NetworkError;
}
