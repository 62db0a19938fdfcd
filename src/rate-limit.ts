/**
 * Speed limits. A `RateLimit` is one limit, in bytes per second, that may change at any moment;
 * a `Pacer` makes one download's reads obey the limits over it (its own, then its set's), as a
 * wrapper around its transport: before each read from a response body a lane reserves what it
 * expects to read in every limit, waits until each allows it (core/rate-limit.ts decides how
 * long), and only then reads. While it waits no reader waits on the response, so the transport
 * holds the socket's reads (io/response.ts at once, the fast transport once its ring is nearly
 * full) and TCP slows the server: nothing is buffered beyond that, and no byte is dropped.
 */
import type { Transport, TransportResponse } from "./io/transport.js";
import { systemClock, type Clock } from "./clock.js";
import { UsageError } from "./errors.js";
import { FIRST_READ, TokenBucket, idleTimeoutWithin, isLimited } from "./core/rate-limit.js";

/** What the pacer reaches inside a limit, kept off its public face. */
interface Internals {
  bucket: TokenBucket;
  clock: Pick<Clock, "now">;
  /** Called on every change: waiting lanes look again. */
  listeners: Set<() => void>;
  /** Responses being read under this limit. */
  readers: number;
}
const internals = new WeakMap<RateLimit, Internals>();

function checkRate(bytesPerSecond: number | undefined): number | undefined {
  if (bytesPerSecond === undefined) return undefined;
  if (
    typeof bytesPerSecond !== "number" ||
    !Number.isFinite(bytesPerSecond) ||
    bytesPerSecond < 0
  ) {
    throw new UsageError(
      `a rate limit must be a number of bytes per second (0 for none), got ${String(bytesPerSecond)}`,
    );
  }
  return bytesPerSecond === 0 ? undefined : bytesPerSecond;
}

/**
 * A speed limit in bytes per second that can be changed while downloads run under it; a change
 * takes effect at once. Pass it as `DownloadOptions.rateLimit` to change a single download's
 * limit later (a plain number is fixed for the download's life):
 *
 *   const limit = new RateLimit(1024 * 1024);
 *   const done = download(url, { rateLimit: limit });
 *   limit.change(256 * 1024); // slower from now on
 *   limit.change(undefined);  // no limit
 *
 * One RateLimit given to several downloads is shared by them: together they stay under it.
 */
export class RateLimit {
  /** @param bytesPerSecond undefined or 0: no limit (for now). */
  constructor(bytesPerSecond?: number, clock: Pick<Clock, "now"> = systemClock) {
    const rate = checkRate(bytesPerSecond);
    internals.set(this, {
      bucket: new TokenBucket(rate, clock.now()),
      clock,
      listeners: new Set(),
      readers: 0,
    });
  }

  /** The limit in force, or undefined for none. */
  get bytesPerSecond(): number | undefined {
    return internals.get(this)!.bucket.rate;
  }

  /** Sets a new limit from now on; undefined or 0 removes it. */
  change(bytesPerSecond: number | undefined): void {
    const rate = checkRate(bytesPerSecond);
    const inside = internals.get(this)!;
    inside.bucket.setRate(rate, inside.clock.now());
    for (const listener of [...inside.listeners]) listener();
  }
}

/** A limit given as a number or as a RateLimit: the RateLimit the engine reads, if any. */
export function toRateLimit(value: number | RateLimit | undefined): RateLimit | undefined {
  if (value instanceof RateLimit) return value;
  const rate = checkRate(value);
  return rate === undefined ? undefined : new RateLimit(rate);
}

/** A response body being read under limits, and what its last read brought beyond its share. */
interface Source {
  inner: AsyncIterator<Uint8Array>;
  rest: Uint8Array | undefined;
}

/** A reservation in one limit, settled once the read is done. */
interface Held {
  limit: Internals;
  bytes: number;
}

/** One download's reads under its limits. */
export class Pacer {
  readonly #limits: Internals[];
  readonly #clock: Clock;
  /** Milliseconds lanes spent waiting for a limit, all lanes together, in waits that ended. */
  #heldMs = 0;
  /** Waits under way, and the sum of when they began. */
  #waits = 0;
  #waitsSince = 0;

  /** `limits` in the order a read asks them: the download's own first, then its set's. */
  constructor(limits: readonly (RateLimit | undefined)[], clock: Clock = systemClock) {
    this.#limits = limits.filter((l) => l !== undefined).map((l) => internals.get(l)!);
    this.#clock = clock;
  }

  /** The lowest limit in force now, or undefined when none is. */
  get rate(): number | undefined {
    const rates = this.#limits.map((l) => l.bucket.rate).filter(isLimited);
    return rates.length ? Math.min(...rates) : undefined;
  }

  /**
   * Milliseconds lanes spent held by a limit so far, all lanes together, waits under way
   * included (the ramp reads it: a wait longer than its window must still count in it).
   */
  get heldMs(): number {
    return this.#heldMs + this.#waits * this.#clock.now() - this.#waitsSince;
  }

  /** Calls `fn` after any of the limits changes; returns the function that stops it. */
  onChange(fn: () => void): () => void {
    for (const limit of this.#limits) limit.listeners.add(fn);
    return () => {
      for (const limit of this.#limits) limit.listeners.delete(fn);
    };
  }

  /** The transport whose response bodies are read under the limits. */
  wrap(transport: Transport): Transport {
    if (this.#limits.length === 0) return transport;
    const release = transport.release?.bind(transport);
    return {
      get: async (request) => {
        const readers = Math.max(0, ...this.#limits.map((l) => l.readers)) + 1;
        const idleTimeoutMs = idleTimeoutWithin(this.rate, readers, request.idleTimeoutMs);
        const response = await transport.get({ ...request, idleTimeoutMs });
        return this.#paced(response, request.signal);
      },
      warm: (url, lane) => transport.warm(url, lane),
      ...(release ? { release } : {}),
      close: () => transport.close(),
    };
  }

  #paced(response: TransportResponse, signal: AbortSignal): TransportResponse {
    const cancelled = new AbortController();
    const cancel = (): void => cancelled.abort(new Error("response cancelled"));
    const stops = [signal, cancelled.signal];
    for (const limit of this.#limits) limit.readers++;
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      for (const limit of this.#limits) limit.readers--;
    };
    const body = response.body;
    const readInto = response.readInto?.bind(response);
    return {
      status: response.status,
      headers: response.headers,
      ...(readInto
        ? {
            readInto: async (buffer: Uint8Array, offset: number) => {
              try {
                const n = await this.#readInto(readInto, buffer, offset, stops);
                if (n === 0) close();
                return n;
              } catch (error) {
                close();
                throw error;
              }
            },
          }
        : {}),
      body: {
        [Symbol.asyncIterator]: () => {
          const source: Source = { inner: body[Symbol.asyncIterator](), rest: undefined };
          return {
            next: async () => {
              const result = await this.#read(source, stops).catch((error: unknown) => {
                close();
                throw error;
              });
              if (result.done) close();
              return result;
            },
            return: async () => {
              close();
              return (await source.inner.return?.()) ?? { done: true, value: undefined };
            },
          };
        },
      },
      cancel: () => {
        close();
        cancel();
        response.cancel();
      },
    };
  }

  /**
   * One read of at most a socket read's size: reserved in every limit, waited for, then taken
   * from what the last read left over, or read.
   */
  async #read(source: Source, stops: AbortSignal[]): Promise<IteratorResult<Uint8Array>> {
    const { inner } = source;
    // No limit in force: nothing to wait for, and nothing to count.
    if (this.#limits.every((l) => l.bucket.rate === undefined)) {
      const rest = source.rest;
      source.rest = undefined;
      return rest ? { done: false, value: rest } : inner.next();
    }
    // A read may bring more than a socket read (undici hands over all the socket holds): what
    // goes beyond the reservation waits for the next one, so no byte is handed over unreserved.
    const expected = Math.min(FIRST_READ, source.rest?.length ?? FIRST_READ);
    return this.#reserved<IteratorResult<Uint8Array>>(expected, stops, async () => {
      let chunk = source.rest;
      source.rest = undefined;
      if (!chunk) {
        const result = await inner.next();
        if (result.done) return { result, got: 0 };
        chunk = result.value;
      }
      if (chunk.length > expected) {
        source.rest = chunk.subarray(expected);
        chunk = chunk.subarray(0, expected);
      }
      return { result: { done: false, value: chunk }, got: chunk.length };
    });
  }

  /**
   * One readInto under the limits, as `#read`: the buffer is handed on cut short after what was
   * reserved, so that a transport receiving into it reads no further.
   */
  #readInto(
    readInto: NonNullable<TransportResponse["readInto"]>,
    buffer: Uint8Array,
    offset: number,
    stops: AbortSignal[],
  ): Promise<number> {
    if (this.#limits.every((l) => l.bucket.rate === undefined)) return readInto(buffer, offset);
    const expected = Math.min(FIRST_READ, buffer.length - offset);
    return this.#reserved(expected, stops, async () => {
      const got = await readInto(buffer.subarray(0, offset + expected), offset);
      return { result: got, got };
    });
  }

  /**
   * Reserves `expected` bytes in every limit in force, waits until each allows them, then reads;
   * each reservation is settled with what the read brought.
   */
  async #reserved<T>(
    expected: number,
    stops: AbortSignal[],
    read: () => Promise<{ result: T; got: number }>,
  ): Promise<T> {
    const held: Held[] = [];
    let got = 0;
    try {
      // One limit after the other: a lane holds its place in a set's limit only once its own
      // lets it read, so the set's budget goes to lanes that can use it.
      for (const limit of this.#limits) {
        if (limit.bucket.rate === undefined) continue;
        const ticket = limit.bucket.reserve(expected, this.#clock.now());
        held.push({ limit, bytes: expected });
        await this.#until(limit, ticket, stops);
      }
      // Cancelled while it waited: whatever the connection holds is not wanted any more.
      const stopped = stops.find((s) => s.aborted);
      if (stopped) throw stopped.reason ?? new Error("response cancelled");
      const done = await read();
      got = done.got;
      return done.result;
    } finally {
      const now = this.#clock.now();
      for (const { limit, bytes } of held) limit.bucket.settle(got - bytes, now);
    }
  }

  /** Waits until `limit` lets `ticket` read, looking again whenever a limit changes. */
  async #until(limit: Internals, ticket: number, stops: AbortSignal[]): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      const ms = limit.bucket.waitMs(ticket, now);
      if (ms <= 0 || stops.some((s) => s.aborted)) return;
      const waking = new AbortController();
      const wake = (): void => waking.abort();
      const stopListening = this.onChange(wake);
      for (const stop of stops) stop.addEventListener("abort", wake, { once: true });
      this.#waits++;
      this.#waitsSince += now;
      try {
        await this.#clock.sleep(ms, waking.signal);
      } finally {
        stopListening();
        for (const stop of stops) stop.removeEventListener("abort", wake);
        this.#waits--;
        this.#waitsSince -= now;
        this.#heldMs += this.#clock.now() - now;
      }
    }
  }
}
