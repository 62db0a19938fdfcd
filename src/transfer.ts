/**
 * The transfer: one async worker per lane (connection), each asking the planner for a segment,
 * fetching it with a range request, and writing it in place. Retries, stealing, checkpoints of
 * the resume state and progress live here; decisions come from core/, bytes go through io/.
 */
import { setMaxListeners } from "node:events";
import type { Transport, TransportResponse } from "./io/transport.js";
import type { PartialFile } from "./io/files.js";
import type { DownloadEvent } from "./events.js";
import type { RangePlanner, Segment } from "./core/planner.js";
import type { FrontierHasher } from "./integrity/frontier-hasher.js";
import { BadResponseError, NetworkError } from "./errors.js";
import { formatRange } from "./core/headers.js";
import {
  compareValidators,
  ifRangeValue,
  interpretRangeResponse,
  validatorsOf,
  type Validators,
} from "./core/validators.js";
import { crc32c } from "./integrity/crc32c.js";
import { send } from "./http.js";
import { RemoteChanged, withRetries } from "./retrying.js";

/**
 * Writes are batched (small writes cost ~1.8x more per byte on ext4 here). Each lane holds up to
 * two batches, so many lanes get smaller ones: the lanes' buffers stay near WRITE_BUDGET in all.
 */
const WRITE_BUDGET = 4 * 1024 * 1024;
const batchSize = (lanes: number): number =>
  Math.min(1024 * 1024, Math.max(256 * 1024, WRITE_BUDGET / lanes));
/**
 * Every socket read is a fresh 64 KiB buffer, and V8 frees them only when a collection runs,
 * which it may put off for tens of megabytes. Where the host exposes gc (the CLI does), a
 * young-generation collection every GC_EVERY bytes keeps that garbage small and cheap to sweep.
 */
const GC_EVERY = 16 * 1024 * 1024;
/** A checkpoint is due after this much new data, or CHECKPOINT_MS, whichever comes first. */
const CHECKPOINT_BYTES = 64 * 1024 * 1024;
const CHECKPOINT_MS = 1000;

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
}

const collectYoungGarbage = (globalThis as { gc?: (options: { type: "minor" }) => void }).gc;

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
  #sinceCollection = 0;
  #batch = batchSize(1);
  /** Each lane's two batch buffers, reused for every segment it fetches. */
  readonly #buffers = new Map<number, [Buffer, Buffer]>();
  #checkpointing: Promise<void> | null = null;

  constructor(context: TransferContext, outerSignal: AbortSignal | undefined) {
    this.#c = context;
    // Every request in flight listens to this signal; many lanes are not a leak.
    setMaxListeners(0, this.#abort.signal);
    outerSignal?.addEventListener("abort", () => this.#fail(outerSignal.reason), { once: true });
  }

  /** Lanes currently receiving a body: the "active connections" of progress events. */
  get activeConnections(): number {
    return this.#receiving;
  }

  /**
   * Runs `lanes` workers until every byte is written. On failure every lane stops, a final
   * checkpoint records what is on disk, and the first error is thrown.
   */
  async run(lanes: number, first: FirstResponse | undefined): Promise<void> {
    this.#batch = batchSize(lanes);
    // A state from the start marks the partial file as this download's, even if killed at once.
    void this.#checkpoint();
    const timer = setInterval(() => void this.#checkpoint(), CHECKPOINT_MS);
    try {
      const workers = Array.from({ length: lanes }, (_, lane) =>
        this.#lane(lane, lane === 0 ? first : undefined).catch((error: unknown) =>
          this.#fail(error),
        ),
      );
      if (lanes === 0) first?.response.cancel();
      await Promise.all(workers);
      if (this.#failure === undefined && !this.#c.planner.isComplete) {
        this.#fail(new Error("bug: the lanes stopped with bytes left to fetch"));
      }
    } finally {
      clearInterval(timer);
      for (const segment of this.#c.planner.active) this.#c.planner.release(segment);
      // A checkpoint may be under way with an older picture; after it, one records the last writes.
      await this.#checkpointing;
      if (this.#failure !== undefined) await this.#checkpoint();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    this.#abort.abort(error);
  }

  async #lane(lane: number, first: FirstResponse | undefined): Promise<void> {
    let initial = first;
    for (let segment = this.#c.planner.next(lane); segment; segment = this.#c.planner.next(lane)) {
      if (this.#abort.signal.aborted) return;
      await this.#fetchSegment(segment, initial);
      initial = undefined;
    }
    initial?.response.cancel();
  }

  /** Fetches one segment to its (possibly shrinking) end, retrying on its own. */
  async #fetchSegment(segment: Segment, first: FirstResponse | undefined): Promise<void> {
    let pending = first;
    const scope = {
      retries: this.#c.retries,
      signal: this.#abort.signal,
      url: this.#c.url,
      emit: this.#c.emit,
      range: (): [number, number] => [segment.pos, segment.end - 1],
      progress: () => segment.pos,
    };
    await withRetries(scope, async () => {
      const answer = pending ?? (await this.#request(segment));
      pending = undefined;
      await this.#receive(segment, answer);
      if (segment.pos < segment.end) {
        throw new NetworkError(`connection closed at byte ${segment.pos}, short of ${segment.end}`);
      }
    }).finally(() => pending?.response.cancel());
  }

  /** Asks for the rest of the segment, and accepts the answer only if it is the same version. */
  async #request(segment: Segment): Promise<FirstResponse> {
    const c = this.#c;
    // The segment may be stolen from while the request is out: judge the answer by what was asked.
    const asked = { start: segment.pos, end: segment.end };
    const headers: Record<string, string> = {
      ...c.headers,
      range: formatRange(asked.start, asked.end),
    };
    const ifRange = ifRangeValue(c.validators);
    if (ifRange !== undefined) headers["if-range"] = ifRange;
    const { response } = await send(c.transport, {
      url: c.url,
      headers,
      lane: segment.lane,
      signal: this.#abort.signal,
      idleTimeoutMs: c.idleTimeoutMs,
    });
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
      // Same version, but the server ignored the range: retry rather than read up to `pos`.
      response.cancel();
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
  async #receive(segment: Segment, { response, offset, end }: FirstResponse): Promise<void> {
    let skip = segment.pos - offset;
    const buffers = this.#buffersOf(segment.lane);
    let filling = 0;
    let filled = 0;
    let writing: Promise<void> | undefined;
    this.#receiving++;
    try {
      for await (const chunk of response.body) {
        let data = chunk;
        if (skip > 0) {
          const dropped = Math.min(skip, data.length);
          skip -= dropped;
          data = data.subarray(dropped);
        }
        while (data.length > 0) {
          const buffer = buffers[filling]!;
          const copied = Math.min(data.length, buffer.length - filled);
          buffer.set(data.subarray(0, copied), filled);
          filled += copied;
          data = data.subarray(copied);
          if (filled < buffer.length && filled < segment.end - segment.claimed) continue;
          await writing;
          writing = this.#flush(segment, buffer.subarray(0, filled));
          // A failed write is reported by the next await; until then it must not go unhandled.
          writing.catch(() => {});
          filling = 1 - filling;
          filled = 0;
          // The segment is complete or was stolen: whatever else this response carries is not ours.
          if (segment.claimed >= segment.end) break;
        }
        // Stolen below where this response runs: stop reading, the connection goes with it.
        if (segment.claimed >= segment.end && segment.end < end) break;
      }
      await writing;
      if (filled > 0) await this.#flush(segment, buffers[filling]!.subarray(0, filled));
    } finally {
      this.#receiving--;
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

  /** Writes what the planner still allows of a batch, then records it (with its CRC). */
  async #flush(segment: Segment, batch: Buffer): Promise<void> {
    const { planner, file, hasher } = this.#c;
    const allowed = planner.claim(segment, batch.length);
    if (allowed === 0) return;
    const data = batch.subarray(0, allowed);
    const crc = crc32c(data, segment.crc);
    await file.write([data], segment.claimed - allowed);
    planner.advance(segment, allowed, crc);
    hasher.advance(planner.frontier);
    this.#sinceCheckpoint += allowed;
    if (this.#sinceCheckpoint >= CHECKPOINT_BYTES) void this.#checkpoint();
    this.#sinceCollection += allowed;
    if (this.#sinceCollection >= GC_EVERY) {
      this.#sinceCollection = 0;
      collectYoungGarbage?.({ type: "minor" });
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
