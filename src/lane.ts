/**
 * A lane: one connection's loop. It asks the coordinator for a segment, requests it, checks the
 * answer, streams the body into the coordinator's one write path, and retries on its own. Its
 * states and their transitions are the table in core/lane-states.ts; why its response was
 * cancelled is a value set by whoever cancelled it.
 */
import type { TransportResponse } from "./io/transport.js";
import type { Segment, RangePlanner } from "./core/planner.js";
import type { Clock } from "./clock.js";
import { BadResponseError, HttpStatusError, NetworkError, type PargetError } from "./errors.js";
import { formatRange } from "./core/headers.js";
import { checkResponse, type Version } from "./core/response-check.js";
import { parseServerDigests } from "./core/digest-headers.js";
import {
  afterBody,
  isFinal,
  laneTransition,
  type CancelReason,
  type LaneEvent,
  type LaneState,
} from "./core/lane-states.js";
import { send } from "./http.js";
import { LaneRetired, RemoteChanged, withRetries } from "./retrying.js";
import { asking, ended, received, type LaneSpeeds } from "./speeds.js";
import type { Transport } from "./io/transport.js";
import type { DownloadEvent } from "./events.js";

/**
 * A batch is written once its first byte is this old, full or not, and at once when its chunk came
 * after a pause this long: a kill loses what a lane holds unwritten (the journal records only
 * writes), and a slow connection would hold a batch for seconds. Fast lanes fill theirs sooner.
 */
const BATCH_AGE_MS = 20;

/** A response on its way to a segment (the first request's becomes lane 0's first segment). */
export interface FirstResponse {
  response: TransportResponse;
  /** Byte offset of the body's first byte (0 for a 200). */
  offset: number;
  /** Where the body ends (exclusive): reading stops early only if the segment ends before. */
  end: number;
}

/** What a lane needs from the coordinator: the shared decisions, and the one write path. */
export interface LaneHost {
  readonly transport: Transport;
  readonly planner: RangePlanner;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly version: Version;
  readonly ranges: boolean;
  readonly retries: number;
  readonly idleTimeoutMs: number;
  readonly emit: (event: DownloadEvent) => void;
  readonly clock: Clock;
  readonly speeds: LaneSpeeds;
  /** Aborted when the transfer fails or is aborted: requests and bodies stop. */
  readonly stopped: AbortSignal;
  /** Aborted as well when the transfer drains: no new request goes out, no retry waits. */
  readonly stopping: AbortSignal;
  readonly draining: boolean;
  /** Lanes at or above this index finish what they hold and stop (adaptive connections). */
  readonly laneLimit: number;
  /** The If-Range to send, unless the server showed it cannot honour it. */
  ifRange(): string | undefined;
  dropIfRange(): void;
  /** A segment for this lane, or none for now. */
  next(lane: Lane): Segment | undefined;
  /** Waits until a segment finishes or is left, the transfer stops, or a little while. */
  idle(): Promise<void>;
  /** The lane stopped working on the segment; the rest goes back to the planner. */
  leave(segment: Segment): void;
  latency(ms: number): void;
  /** This lane's response starts or stops reading into the segment. */
  reading(lane: Lane, segment: Segment, on: boolean): void;
  received(bytes: number): void;
  /** Writes what is still unclaimed of a batch received at `at`, and records it. */
  write(segment: Segment, at: number, batch: Buffer): Promise<void>;
  /** A refusal no retry can change: drain the transfer, then fail with it. */
  drain(error: HttpStatusError): void;
  /** Whether the ramp lets this lane go after the server refused it. */
  retire(lane: number, error: PargetError): boolean;
  trace?: ((lane: number, from: LaneState, event: LaneEvent, to: LaneState) => void) | undefined;
}

export class Lane {
  readonly index: number;
  readonly #host: LaneHost;
  readonly #buffers: [Buffer, Buffer];
  #state: LaneState = "idle";
  /** The response being read, and why it was cancelled if it was. */
  #response: TransportResponse | undefined;
  #cancelled: CancelReason | undefined;

  constructor(host: LaneHost, index: number, batchSize: number) {
    this.#host = host;
    this.index = index;
    // Two batch buffers: one is written while the other fills.
    this.#buffers = [Buffer.allocUnsafeSlow(batchSize), Buffer.allocUnsafeSlow(batchSize)];
  }

  get state(): LaneState {
    return this.#state;
  }

  /** Cancels the response being read, if any, saying why; the first reason given stands. */
  cancel(reason: CancelReason): void {
    if (!this.#response) return;
    this.#cancelled ??= reason;
    this.#response.cancel();
  }

  /** The transfer drains: a response being read may finish its segment, then the lane stops. */
  drain(): void {
    if (this.#state === "receiving") this.#go("drain");
  }

  #go(event: LaneEvent): void {
    const from = this.#state;
    this.#state = laneTransition(from, event);
    this.#host.trace?.(this.index, from, event, this.#state);
  }

  /** Runs until every byte is written, or the lane stops; throws what should fail the transfer. */
  async run(first: FirstResponse | undefined): Promise<void> {
    const host = this.#host;
    let initial = first;
    try {
      while (!isFinal(this.#state)) {
        if (host.planner.isComplete) this.#go("complete");
        else if (host.stopping.aborted || this.index >= host.laneLimit) this.#go("stop");
        else {
          const segment = host.next(this);
          if (!segment) {
            initial?.response.cancel();
            initial = undefined;
            await host.idle();
            continue;
          }
          try {
            await this.#fetchSegment(segment, initial);
          } finally {
            initial = undefined;
            host.leave(segment);
          }
        }
      }
    } catch (error) {
      if (error instanceof LaneRetired) {
        // Let go after the server refused it: its segment goes back to the others.
        this.#go("refused");
        return;
      }
      if (!isFinal(this.#state)) this.#go("stop");
      if (error instanceof HttpStatusError && !error.retryable) {
        host.drain(error);
        return;
      }
      // Failing or draining already: the error that began it is the one reported.
      if (host.stopping.aborted) return;
      throw error;
    } finally {
      initial?.response.cancel();
    }
  }

  /** Fetches a segment until every byte of it is claimed (here or by a lane racing this one). */
  async #fetchSegment(segment: Segment, first: FirstResponse | undefined): Promise<void> {
    const host = this.#host;
    let pending = first;
    const scope = {
      retries: host.retries,
      signal: host.stopping,
      url: host.url,
      emit: host.emit,
      range: (): [number, number] => [segment.claimed, segment.end - 1],
      progress: () => segment.claimed,
      retire: (error: PargetError): boolean => host.retire(this.index, error),
      sleep: (ms: number, signal: AbortSignal) => host.clock.sleep(ms, signal),
    };
    /** Where the server last closed a body short of its end. */
    let closedAt: number | undefined;
    try {
      await withRetries(scope, async () => {
        if (this.#state === "backoff") {
          if (segment.claimed >= segment.end) return this.#go("finished");
          this.#go("retry");
        } else {
          this.#go(pending ? "first" : "assigned");
        }
        const answer = pending ?? (await this.#request(segment));
        pending = undefined;
        const reached = { at: answer.offset };
        try {
          await this.#receive(segment, answer, reached);
        } catch (error) {
          if (this.#state === "backoff" && closedEarly(error)) {
            closedAt = this.#closedShort(answer.offset, reached.at, closedAt);
          }
          throw error;
        }
      });
    } finally {
      pending?.response.cancel();
    }
    // A replaced connection's lane leaves the rest of the segment and asks again.
    if (this.#state === "replaced") this.#go("reconnect");
  }

  /**
   * Asked from where the server closed last time, it closed there again with nothing new: its
   * length is a lie, and no retry will change that. (Without ranges every answer starts at 0, so
   * the same end is the sign.) Returns where it closed this time.
   */
  #closedShort(from: number, at: number, closedAt: number | undefined): number {
    const ranges = this.#host.ranges;
    if (at === closedAt && (from === at || !ranges)) {
      throw new BadResponseError(
        `server announced ${this.#host.planner.size} bytes but closed the connection at byte ` +
          `${at} twice; its ${ranges ? "Content-Range" : "Content-Length"} is wrong`,
      );
    }
    return at;
  }

  /** Asks for the rest of the segment, and accepts the answer only if it may be written. */
  async #request(segment: Segment): Promise<FirstResponse> {
    const host = this.#host;
    // The segment may be stolen from while the request is out: judge the answer by what was asked.
    const asked = { start: segment.claimed, end: segment.end };
    // Without ranges, ask exactly as the first request did (it got the whole file): a Range could
    // draw a multipart answer, never written.
    const headers: Record<string, string> = host.ranges
      ? { ...host.headers, range: formatRange(asked.start, asked.end) }
      : { ...host.headers };
    const ifRange = host.ranges ? host.ifRange() : undefined;
    if (ifRange !== undefined) headers["if-range"] = ifRange;
    const sent = host.clock.now();
    let response: TransportResponse;
    try {
      ({ response } = await send(host.transport, {
        url: host.url,
        headers,
        lane: this.index,
        signal: host.stopped,
        idleTimeoutMs: host.idleTimeoutMs,
      }));
    } catch (error) {
      this.#go("failed");
      throw error;
    }
    host.latency(host.clock.now() - sent);
    const verdict = checkResponse({
      status: response.status,
      headers: response.headers,
      digests: parseServerDigests(response.headers, response.status),
      asked,
      version: host.version,
      // Reading up to where the segment starts would cost more than asking again.
      wholeFile: asked.start === 0 || !host.ranges,
    });
    if (verdict.kind === "write") {
      if (verdict.otherTag) host.dropIfRange();
      this.#go("answered");
      return verdict.status === 200
        ? { response, offset: 0, end: verdict.size ?? asked.end }
        : { response, offset: asked.start, end: asked.end };
    }
    response.cancel();
    this.#go("failed");
    switch (verdict.kind) {
      case "bad":
        throw new BadResponseError(`server sent the wrong range: ${verdict.reason}`, {
          retryable: true,
        });
      case "changed":
        throw new RemoteChanged(`${verdict.reason} during the download`, verdict.etags);
      case "unsatisfiable":
        throw new RemoteChanged(`the file is now shorter than byte ${asked.start}`);
      case "whole-file":
        if (ifRange === undefined) {
          throw new BadResponseError("server answered a range request with the whole file", {
            retryable: true,
          });
        }
        // Same version, yet If-Range failed: servers may judge a recent Last-Modified too weak
        // (Apache, for a minute).
        host.dropIfRange();
        throw new BadResponseError(`server refused If-Range: ${ifRange}`, { retryable: true });
    }
  }

  /**
   * Streams a body into the segment, through the lane's two batch buffers: one is being written
   * while the other fills, so receiving and writing overlap. A transport that can receives
   * straight into them (`readInto`); from any other, chunks are copied in, and the socket's own
   * buffers are dropped at once instead of waiting for a write. Then the body's end decides the
   * lane's next state; a segment left short throws, for the retry loop.
   */
  async #receive(
    segment: Segment,
    { response, offset, end }: FirstResponse,
    reached: { at: number },
  ): Promise<void> {
    const host = this.#host;
    const buffers = this.#buffers;
    const speed = host.speeds.start(this.index, host.clock.now());
    this.#response = response;
    this.#cancelled = undefined;
    host.reading(this, segment, true);
    if (host.draining) this.#go("drain");
    /** File offset of the next byte this response delivers, and of the batch being filled. */
    let at = offset;
    let batchAt = at;
    /** When the batch being filled got its first byte, and when the last bytes arrived. */
    let batchSince = 0;
    let previousChunk = host.clock.now();
    let filling = 0;
    let filled = 0;
    let writing: Promise<void> | undefined;
    let failure: unknown;
    const readInto = response.readInto?.bind(response) ?? copyingReader(response.body);
    try {
      try {
        for (;;) {
          const buffer = buffers[filling]!;
          asking(speed, host.clock.now());
          const n = await readInto(buffer, filled);
          if (n === 0) break;
          const now = host.clock.now();
          const afterPause = now - previousChunk >= BATCH_AGE_MS;
          previousChunk = now;
          received(speed, n, now);
          host.received(n);
          reached.at += n;
          if (filled === 0) [batchAt, batchSince] = [at, now];
          filled += n;
          at += n;
          const young = !afterPause && now - batchSince < BATCH_AGE_MS;
          if (batchAt + filled <= segment.claimed) {
            // All claimed already (by a lane racing this one, or before a resent 200): no write.
            [filled, batchAt] = [0, at];
          } else if (filled === buffer.length || at >= segment.end || !young) {
            await writing;
            writing = host.write(segment, batchAt, buffer.subarray(0, filled));
            // A failed write is reported by the next await; until then it must not go unhandled.
            writing.catch(() => {});
            filling = 1 - filling;
            filled = 0;
            [batchAt, batchSince] = [at, now];
          }
          // Complete, stolen below where this response runs, or overtaken: stop reading.
          if (segment.claimed >= segment.end && at < end) break;
        }
      } finally {
        // However the body ended (a reset, a stall, a cancel), what arrived intact is written
        // before anyone retries: the next request then asks from where this one stopped.
        await writing;
        if (filled > 0) await host.write(segment, batchAt, buffers[filling]!.subarray(0, filled));
      }
    } catch (error) {
      failure = error;
    } finally {
      ended(speed, host.clock.now());
      host.reading(this, segment, false);
      this.#response = undefined;
      response.cancel();
      // Whatever happened, the segment's last write has settled before anyone looks at it again.
      await writing?.catch(() => {});
    }
    const next = afterBody({
      cancelled: this.#cancelled,
      stopped: host.stopped.aborted,
      unfinished: segment.claimed < segment.end,
    });
    this.#go(next);
    if (next === "finished" || next === "replaced") return;
    throw (
      failure ??
      (next === "stop"
        ? host.stopped.reason
        : new ClosedShort(`connection closed at byte ${segment.claimed}, short of ${segment.end}`))
    );
  }
}

/** A body that ended cleanly before its length. */
class ClosedShort extends NetworkError {}

/** A body that ended before its length: a clean close short of it, or the connection lost. */
function closedEarly(error: unknown): boolean {
  return (
    error instanceof ClosedShort || (error as { code?: unknown } | null)?.code === "UND_ERR_SOCKET"
  );
}

/**
 * Reads a body of chunks as `readInto` would: copies each into the buffer given, keeping what
 * does not fit for the next call (a chunk is ours until we ask for the next one).
 */
function copyingReader(
  body: AsyncIterable<Uint8Array>,
): (buffer: Uint8Array, offset: number) => Promise<number> {
  const chunks = body[Symbol.asyncIterator]();
  let rest: Uint8Array = new Uint8Array(0);
  return async (buffer, offset) => {
    while (rest.length === 0) {
      const next = await chunks.next();
      if (next.done) return 0;
      rest = next.value;
    }
    const n = Math.min(rest.length, buffer.length - offset);
    buffer.set(rest.subarray(0, n), offset);
    rest = rest.subarray(n);
    return n;
  };
}
