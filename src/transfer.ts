/**
 * The transfer: one async worker per lane (connection), each asking the planner for a segment,
 * fetching it with a range request, and writing it in place. Retries, stealing, checkpoints of
 * the resume state and progress live here; decisions come from core/, bytes go through io/.
 */
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import type { Transport, TransportResponse } from "./io/transport.js";
import type { PartialFile } from "./io/files.js";
import type { DownloadEvent } from "./events.js";
import type { RangePlanner, Segment, TailAdvice } from "./core/planner.js";
import type { FrontierHasher } from "./integrity/frontier-hasher.js";
import { BadResponseError, HttpStatusError, NetworkError, type PargetError } from "./errors.js";
import { formatRange } from "./core/headers.js";
import {
  compareValidators,
  ifRangeValue,
  interpretRangeResponse,
  validatorsOf,
  type Validators,
} from "./core/validators.js";
import {
  isStraggler,
  median,
  shouldReplace,
  stealMinimum,
  stealShare,
  worthStealing,
} from "./core/tail.js";
import { crc32c } from "./integrity/crc32c.js";
import { send } from "./http.js";
import { LaneRetired, RemoteChanged, withRetries } from "./retrying.js";
import { LaneSpeeds, ended, received } from "./speeds.js";
import type { ConnectionRamp } from "./core/ramp.js";

/**
 * Writes are batched (small writes cost ~1.8x more per byte on ext4 here). Each lane has two batch
 * buffers: one is written while the other fills, so a lone connection keeps receiving during its
 * writes. Many lanes get smaller ones, keeping all of them near WRITE_BUDGET.
 */
const WRITE_BUDGET = 4 * 1024 * 1024;
const batchSize = (lanes: number): number =>
  Math.min(1024 * 1024, Math.max(128 * 1024, WRITE_BUDGET / 2 / lanes));
/**
 * A batch is written once its first byte is this old, full or not, and at once when its chunk came
 * after a pause this long: a kill loses what a lane holds unwritten, and a slow connection would
 * hold a batch for seconds. Fast lanes fill theirs sooner.
 */
const BATCH_AGE_MS = 20;
/** An idle lane looks for a straggler again this often, or as soon as a segment finishes. */
const IDLE_RECHECK_MS = 100;
/** How often the adaptive connection count is fed the bytes received. */
const RAMP_SAMPLE_MS = 50;
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
  validators: Validators;
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
  /** Called after each write lands, with its CRC32C (computed whenever this is set). */
  onWritten?: (offset: number, length: number, crc: number) => void;
  /** Adaptive connections: how many lanes to run, up to run()'s count. Unset: all of them. */
  ramp?: ConnectionRamp;
}

/** A response on its way to a segment (the first request's becomes lane 0's first segment). */
export interface FirstResponse {
  response: TransportResponse;
  /** Byte offset of the body's first byte (0 for a 200). */
  offset: number;
  /** Where the body ends (exclusive): reading stops early only if the segment ends before. */
  end: number;
}

export class Transfer {
  readonly #c: TransferContext;
  readonly #abort = new AbortController();
  #failure: unknown;
  #receiving = 0;
  #sinceCheckpoint = 0;
  #lastCheckpoint = -Infinity;
  #batch = batchSize(1);
  /** How long a range request takes to bring its response, smoothed; unknown before the first. */
  #latencyMs: number | undefined;
  /** Set once the server answered a same-version If-Range with the whole file. */
  #ifRangeRefused = false;
  readonly #speeds = new LaneSpeeds();
  /** The lane that started each segment: the one a hedge would race. */
  readonly #owners = new Map<Segment, number>();
  /** Responses reading into each segment, cancelled once the segment is complete. */
  readonly #readers = new Map<Segment, Set<TransportResponse>>();
  /** Resolved (and replaced) whenever a segment finishes or is left: wakes idle lanes. */
  #changed = signal();
  /** Each lane's two batch buffers, reused for every segment it fetches. */
  readonly #buffers = new Map<number, [Buffer, Buffer]>();
  #checkpointing: Promise<void> | null = null;
  /** Bytes received by all lanes, for the adaptive ramp. */
  #received = 0;
  /** Each lane's response being read, and how often its connection was replaced for slowness. */
  readonly #reading = new Map<number, TransportResponse>();
  readonly #replacements = new Map<number, number>();
  /** Lanes whose response was cancelled to replace their connection, not for a failure. */
  readonly #replacing = new Set<number>();

  /** The caller's signal, listened to only while run() runs: one signal may serve many downloads. */
  readonly #outer: AbortSignal | undefined;
  readonly #onOuterAbort = (): void => this.#fail(this.#outer?.reason);

  constructor(context: TransferContext, outerSignal: AbortSignal | undefined) {
    this.#c = context;
    // Every request in flight listens to this signal; many lanes are not a leak.
    setMaxListeners(0, this.#abort.signal);
    this.#outer = outerSignal;
  }

  /** Lanes currently receiving a body: the "active connections" of progress events. */
  get activeConnections(): number {
    return this.#receiving;
  }

  /** Lanes at or above this index finish what they hold and stop (adaptive connections). */
  get #laneLimit(): number {
    return this.#c.ramp?.target ?? Infinity;
  }

  /**
   * Runs up to `lanes` workers until every byte is written (fewer while an adaptive ramp says so).
   * On failure every lane stops, a final checkpoint records what is on disk, and the first error
   * is thrown.
   */
  async run(lanes: number, first: FirstResponse | undefined): Promise<void> {
    this.#batch = batchSize(lanes);
    if (this.#outer?.aborted) this.#onOuterAbort();
    this.#outer?.addEventListener("abort", this.#onOuterAbort, { once: true });
    // A state from the start marks the partial file as this download's, even if killed at once.
    void this.#checkpoint();
    const timer = setInterval(() => void this.#checkpoint(), CHECKPOINT_MS);
    const workers: Promise<void>[] = [];
    const startLanes = (count: number): void => {
      for (let lane = workers.length; lane < Math.min(count, lanes); lane++) {
        workers.push(
          this.#lane(lane, lane === 0 ? first : undefined).catch((error: unknown) =>
            this.#fail(error),
          ),
        );
      }
    };
    const ramp = this.#c.ramp;
    const rampTimer = ramp && setInterval(() => this.#adjust(ramp, startLanes), RAMP_SAMPLE_MS);
    const reviewTimer = setInterval(() => this.#replaceSlowest(), REVIEW_MS);
    try {
      if (lanes === 0) first?.response.cancel();
      startLanes(ramp?.target ?? lanes);
      // Lanes may be added while the first ones run.
      for (let i = 0; i < workers.length; i++) await workers[i];
      if (this.#failure === undefined && !this.#c.planner.isComplete) {
        this.#fail(new Error("bug: the lanes stopped with bytes left to fetch"));
      }
    } finally {
      this.#outer?.removeEventListener("abort", this.#onOuterAbort);
      clearInterval(timer);
      clearInterval(rampTimer);
      clearInterval(reviewTimer);
      // A checkpoint may be under way with an older picture; after it, one records the last writes
      // (so a kill during verification refetches nothing).
      await this.#checkpointing;
      await this.#checkpoint();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Feeds the ramp; starts the lanes it adds, and wakes idle ones so that extra lanes stop. */
  #adjust(ramp: ConnectionRamp, startLanes: (count: number) => void): void {
    if (ramp.settled || this.#c.planner.isComplete) return;
    const before = ramp.target;
    const target = ramp.sample({
      now: performance.now(),
      bytes: this.#received,
      receiving: this.#receiving,
      latencyMs: this.#latencyMs,
    });
    if (target > before) startLanes(target);
    else if (target < before) this.#notify();
  }

  /**
   * Closes the connection of a lane far slower than the others, if any (one at a time): the lane
   * reconnects for the rest of its segment, and may land on a faster path or server.
   */
  #replaceSlowest(): void {
    const { planner, ranges } = this.#c;
    if (!ranges) return;
    const lanes = this.#speeds.receiving(performance.now());
    const [first, ...rest] = lanes;
    if (!first) return;
    const slowest = rest.reduce((a, b) => (b.speed < a.speed ? b : a), first);
    const response = this.#reading.get(slowest.lane);
    const replaced = this.#replacements.get(slowest.lane) ?? 0;
    const others = lanes.filter((l) => l !== slowest).map((l) => l.speed);
    const replace = shouldReplace({
      ...slowest,
      others,
      left: planner.size - planner.writtenBytes,
      replaced,
    });
    if (!replace || !response) return;
    this.#replacements.set(slowest.lane, replaced + 1);
    this.#replacing.add(slowest.lane);
    response.cancel();
    this.#c.emit({
      type: "reconnect",
      bytesPerSecond: slowest.speed * 1000,
      othersBytesPerSecond: median(others) * 1000,
    });
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    this.#abort.abort(error);
  }

  async #lane(lane: number, first: FirstResponse | undefined): Promise<void> {
    const { planner } = this.#c;
    let initial = first;
    try {
      while (!this.#abort.signal.aborted && !planner.isComplete && lane < this.#laneLimit) {
        const segment = planner.next(this.#advice(lane));
        if (!segment) {
          initial?.response.cancel();
          initial = undefined;
          await this.#idle();
          continue;
        }
        this.#stopOvertaken();
        if (!this.#owners.has(segment)) {
          this.#owners.set(segment, lane);
          // A new segment is judged by its own response, not by this lane's last one.
          this.#speeds.forget(lane);
        }
        try {
          await this.#fetchSegment(lane, segment, initial);
        } catch (error) {
          // Let go after the server refused it: its segment goes back to the others.
          if (error instanceof LaneRetired) return;
          throw error;
        } finally {
          planner.leave(segment);
          this.#notify();
        }
        initial = undefined;
      }
    } finally {
      initial?.response.cancel();
    }
  }

  /**
   * Waits until a segment finishes, the transfer stops, or a little while, whichever comes first.
   * The timer is cleared on the way out: left running, the last idle lanes' timers would keep the
   * process alive for up to IDLE_RECHECK_MS after the download ends.
   */
  async #idle(): Promise<void> {
    const { promise: woken, resolve: wake } = signal();
    const timer = setTimeout(wake, IDLE_RECHECK_MS);
    const stopped = this.#abort.signal;
    stopped.addEventListener("abort", wake, { once: true });
    try {
      await Promise.race([this.#changed.promise, woken]);
    } finally {
      clearTimeout(timer);
      stopped.removeEventListener("abort", wake);
    }
  }

  #notify(): void {
    this.#changed.resolve();
    this.#changed = signal();
  }

  /** What this lane's speed, and the others', say about stealing and racing at the end. */
  #advice(lane: number): TailAdvice {
    const now = performance.now();
    const mine = this.#speeds.ofOrFastest(lane, now);
    const theirs = (s: Segment): number | undefined => {
      const owner = this.#owners.get(s);
      return owner === undefined || owner === lane ? undefined : this.#speeds.of(owner, now);
    };
    const latency = this.#latencyMs;
    return {
      share: (s) => stealShare(theirs(s), mine),
      worthStealing: (s) => worthStealing(theirs(s), s.end - s.claimed, latency),
      isStraggler: (s) => isStraggler(theirs(s), mine, s.end - s.claimed, latency),
      ...(mine === undefined ? {} : { minSplit: stealMinimum(mine, latency) }),
    };
  }

  /**
   * Fetches a segment until every byte of it is claimed (by this lane, or by a lane racing it),
   * retrying on its own.
   */
  async #fetchSegment(
    lane: number,
    segment: Segment,
    first: FirstResponse | undefined,
  ): Promise<void> {
    let pending = first;
    const scope = {
      retries: this.#c.retries,
      signal: this.#abort.signal,
      url: this.#c.url,
      emit: this.#c.emit,
      range: (): [number, number] => [segment.claimed, segment.end - 1],
      progress: () => segment.claimed,
      retire: (error: PargetError): boolean => {
        const ramp = this.#c.ramp;
        if (!ramp || !isRefusal(error)) return false;
        return lane >= ramp.refused(lane);
      },
    };
    await withRetries(scope, async () => {
      if (segment.claimed >= segment.end) return;
      const answer = pending ?? (await this.#request(lane, segment));
      pending = undefined;
      try {
        await this.#receive(lane, segment, answer);
      } catch (error) {
        // Cancelled because another lane completed the segment, or to replace a slow connection:
        // nothing went wrong.
        if (segment.claimed < segment.end && !this.#replacing.has(lane)) throw error;
      }
      // A replaced connection's lane leaves the rest of the segment and asks again.
      if (this.#replacing.delete(lane) || segment.claimed >= segment.end) return;
      throw new NetworkError(
        `connection closed at byte ${segment.claimed}, short of ${segment.end}`,
      );
    }).finally(() => pending?.response.cancel());
  }

  /** Asks for the rest of the segment, and accepts the answer only if it is the same version. */
  async #request(lane: number, segment: Segment): Promise<FirstResponse> {
    const c = this.#c;
    // The segment may be stolen from while the request is out: judge the answer by what was asked.
    const asked = { start: segment.claimed, end: segment.end };
    const headers: Record<string, string> = {
      ...c.headers,
      range: formatRange(asked.start, asked.end),
    };
    const ifRange = this.#ifRangeRefused ? undefined : ifRangeValue(c.validators);
    if (ifRange !== undefined) headers["if-range"] = ifRange;
    const sent = performance.now();
    const { response } = await send(c.transport, {
      url: c.url,
      headers,
      lane,
      signal: this.#abort.signal,
      idleTimeoutMs: c.idleTimeoutMs,
    });
    const latency = performance.now() - sent;
    this.#latencyMs =
      this.#latencyMs === undefined
        ? latency
        : this.#latencyMs + LATENCY_WEIGHT * (latency - this.#latencyMs);
    const answer = interpretRangeResponse(response.status, response.headers, asked);
    if (answer.kind === "bad") {
      response.cancel();
      throw new BadResponseError(`server sent the wrong range: ${answer.reason}`, {
        retryable: true,
      });
    }
    if (answer.kind === "unsatisfiable") {
      response.cancel();
      throw new RemoteChanged(`the file is now shorter than byte ${asked.start}`);
    }
    const comparison = compareValidators(c.validators, validatorsOf(response.headers, answer.size));
    if (comparison === "changed") {
      response.cancel();
      throw new RemoteChanged("the file changed on the server during the download");
    }
    if (comparison === "etag-flipped") {
      // Same length and date, another ETag: a CDN edge with its own tags. Trust the date instead.
      c.validators.etag = null;
      if (answer.kind === "full") {
        response.cancel();
        throw new BadResponseError("If-Range failed on an ETag that differs between servers", {
          retryable: true,
        });
      }
    }
    if (answer.kind === "full" && asked.start > 0 && c.ranges) {
      response.cancel();
      if (ifRange !== undefined && comparison === "same") {
        // Same version, yet If-Range failed: servers may judge a recent Last-Modified too weak
        // (Apache, for a minute). Every 206 is still checked against the validators without it.
        this.#ifRangeRefused = true;
        throw new BadResponseError(`server refused If-Range: ${ifRange}`, { retryable: true });
      }
      // The server ignored the range: retry rather than read up to where the segment starts.
      throw new BadResponseError("server answered a range request with the whole file", {
        retryable: true,
      });
    }
    return answer.kind === "full"
      ? { response, offset: 0, end: answer.size ?? asked.end }
      : { response, offset: asked.start, end: asked.end };
  }

  /**
   * Streams a body into the segment. Bytes are copied into the lane's two batch buffers: one is
   * being written while the other fills, so receiving and writing overlap, and the socket's own
   * buffers are dropped at once instead of waiting for a write.
   */
  async #receive(
    lane: number,
    segment: Segment,
    { response, offset, end }: FirstResponse,
  ): Promise<void> {
    const buffers = this.#buffersOf(lane);
    const readers = this.#readers.get(segment) ?? new Set();
    this.#readers.set(segment, readers.add(response));
    const speed = this.#speeds.start(lane, performance.now());
    this.#reading.set(lane, response);
    /** File offset of the next byte this response delivers, and of the batch being filled. */
    let at = offset;
    let batchAt = at;
    let batchSince = 0;
    let previousChunk = -Infinity;
    let filling = 0;
    let filled = 0;
    let writing: Promise<void> | undefined;
    this.#receiving++;
    try {
      for await (const chunk of response.body) {
        const now = performance.now();
        const slow = now - previousChunk >= BATCH_AGE_MS;
        previousChunk = now;
        received(speed, chunk.length, now);
        this.#received += chunk.length;
        let data = chunk;
        // Bytes already claimed (by a lane racing this one, or before a resent 200) need no copy.
        if (filled === 0 && at < segment.claimed) {
          const stale = Math.min(data.length, segment.claimed - at);
          data = data.subarray(stale);
          at += stale;
        }
        if (filled === 0) [batchAt, batchSince] = [at, now];
        while (data.length > 0) {
          const buffer = buffers[filling]!;
          const copied = Math.min(data.length, buffer.length - filled);
          buffer.set(data.subarray(0, copied), filled);
          filled += copied;
          at += copied;
          data = data.subarray(copied);
          const young = !slow && now - batchSince < BATCH_AGE_MS;
          if (filled < buffer.length && at < segment.end && young) continue;
          await writing;
          writing = this.#flush(segment, batchAt, buffer.subarray(0, filled));
          // A failed write is reported by the next await; until then it must not go unhandled.
          writing.catch(() => {});
          filling = 1 - filling;
          filled = 0;
          [batchAt, batchSince] = [at, now];
          if (at >= segment.end) break;
        }
        // Complete, stolen below where this response runs, or overtaken: stop reading.
        if (segment.claimed >= segment.end && at < end) break;
      }
      await writing;
      if (filled > 0) await this.#flush(segment, batchAt, buffers[filling]!.subarray(0, filled));
    } finally {
      ended(speed, performance.now());
      this.#reading.delete(lane);
      this.#receiving--;
      readers.delete(response);
      response.cancel();
      // Whatever happened, the segment's last write has settled before anyone looks at it again.
      await writing?.catch(() => {});
    }
  }

  #buffersOf(lane: number): [Buffer, Buffer] {
    let pair = this.#buffers.get(lane);
    if (!pair) {
      pair = [Buffer.allocUnsafeSlow(this.#batch), Buffer.allocUnsafeSlow(this.#batch)];
      this.#buffers.set(lane, pair);
    }
    return pair;
  }

  /**
   * Cancels the responses of segments left with nothing to read: a steal that took all of a
   * crawling lane's rest. A stalled response would otherwise hold its lane until the idle timeout.
   */
  #stopOvertaken(): void {
    for (const [segment, readers] of this.#readers) {
      if (segment.claimed < segment.end) continue;
      for (const response of readers) response.cancel();
      this.#readers.delete(segment);
    }
  }

  /** Writes what is still unclaimed of a batch received at `at`, then records it with its CRC. */
  async #flush(segment: Segment, at: number, batch: Buffer): Promise<void> {
    const { planner, file, hasher } = this.#c;
    const claim = planner.claim(segment, at, batch.length);
    if (!claim) return;
    const data = batch.subarray(claim.skip, claim.skip + claim.length);
    const crc = this.#c.crcs || this.#c.onWritten ? crc32c(data) : 0;
    await file.write([data], claim.offset);
    this.#c.onWritten?.(claim.offset, claim.length, crc);
    planner.written(segment, claim, crc);
    if (hasher.hashing) hasher.advance(planner.frontier);
    if (segment.pos >= segment.end) {
      // Whoever was racing for these bytes lost: stop them now rather than at their next chunk.
      for (const other of this.#readers.get(segment) ?? []) other.cancel();
      this.#readers.delete(segment);
    }
    this.#sinceCheckpoint += claim.length;
    if (
      this.#sinceCheckpoint >= checkpointBytes(planner.size) &&
      performance.now() - this.#lastCheckpoint >= CHECKPOINT_GAP_MS
    ) {
      void this.#checkpoint();
    }
  }

  /**
   * Flushes the data, then saves a state describing only what was written before the flush, so a
   * state never claims bytes that are not durably on disk. One checkpoint runs at a time.
   */
  #checkpoint(): Promise<void> {
    if (!this.#c.ranges) return Promise.resolve();
    this.#checkpointing ??= (async () => {
      this.#sinceCheckpoint = 0;
      this.#lastCheckpoint = performance.now();
      const extents = this.#c.planner.extents();
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
function isRefusal(error: PargetError): boolean {
  if (error instanceof HttpStatusError) return error.status === 429 || error.status === 503;
  return error instanceof NetworkError;
}
