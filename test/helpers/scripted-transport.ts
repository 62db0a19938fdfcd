/**
 * Test doubles at the transfer's seams: a transport whose every request the test answers by hand,
 * with bodies fed chunk by chunk, and a clock that moves only when told. Races between lanes then
 * happen in the order a test writes, without sockets or real time.
 *
 *   const fake = new ScriptedTransport();
 *   const request = await fake.nextRequest();
 *   assert.equal(request.headers["if-range"], '"v1"');
 *   const body = request.respondWith({ status: 206, headers: { "content-range": "bytes 0-9/10" } });
 *   body.push(Buffer.alloc(10));
 *   body.end();
 */
import assert from "node:assert/strict";
import type { Transport, TransportRequest, TransportResponse } from "../../src/io/transport.js";
import type { Clock } from "../../src/clock.js";

/** A body the test feeds: chunks, then an end or a failure. Records whether it was cancelled. */
export class ScriptedBody implements AsyncIterable<Uint8Array> {
  #queue: Uint8Array[] = [];
  #ended = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #cancelled = false;
  /** Chunks the reader has taken. */
  taken = 0;

  get cancelled(): boolean {
    return this.#cancelled;
  }

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
    this.#poke();
  }

  end(): void {
    this.#ended = true;
    this.#poke();
  }

  fail(error: Error = Object.assign(new Error("socket reset"), { code: "ECONNRESET" })): void {
    this.#failure ??= error;
    this.#poke();
  }

  /** What the transport's response.cancel() does: the reader's next read fails. */
  cancel(): void {
    if (this.#ended || this.#failure) return;
    this.#cancelled = true;
    this.fail(new Error("response cancelled"));
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk) {
        this.taken++;
        yield chunk;
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

export interface ScriptedRequest extends TransportRequest {
  /** Answers with these headers; the body is fed through the returned ScriptedBody. */
  respondWith(response: { status: number; headers?: Record<string, string> }): ScriptedBody;
  /** The request fails before any answer (a refused connection). */
  fail(error?: Error): void;
}

/** The range a request asks for, end exclusive; fails the test unless it is a closed range. */
export function rangeOf(request: ScriptedRequest): { start: number; end: number } {
  const match = /^bytes=(\d+)-(\d+)$/.exec(request.headers["range"] ?? "");
  assert.ok(match, `a closed range: ${request.headers["range"]}`);
  return { start: Number(match[1]), end: Number(match[2]) + 1 };
}

export class ScriptedTransport implements Transport {
  /** Every request, in the order sent. */
  readonly requests: ScriptedRequest[] = [];
  #waiting: ((request: ScriptedRequest) => void)[] = [];
  #unclaimed: ScriptedRequest[] = [];

  /** The next request not yet returned by nextRequest(), waiting for it if need be. */
  nextRequest(): Promise<ScriptedRequest> {
    const ready = this.#unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  get(request: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(request.signal.reason as Error);
      if (request.signal.aborted) return onAbort();
      request.signal.addEventListener("abort", onAbort, { once: true });
      const scripted: ScriptedRequest = {
        ...request,
        respondWith: ({ status, headers = {} }) => {
          request.signal.removeEventListener("abort", onAbort);
          const body = new ScriptedBody();
          // As the real transport: aborting the request stops its body too.
          request.signal.addEventListener("abort", () => body.cancel(), { once: true });
          resolve({ status, headers, body, cancel: () => body.cancel() });
          return body;
        },
        fail: (error = new Error("connection refused")) => {
          request.signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.requests.push(scripted);
      const waiter = this.#waiting.shift();
      if (waiter) waiter(scripted);
      else this.#unclaimed.push(scripted);
    });
  }

  warm(): void {}

  async close(): Promise<void> {}
}

/** A clock that moves only when advance() says; timers and sleeps fire in time order. */
export class ManualClock implements Clock {
  #now = 0;
  #timers: { at: number; every: number | undefined; fire: () => void }[] = [];

  now = (): number => this.#now;

  /** The event loop's working time: only what a test says (`busy`). */
  busy = 0;
  busyMs = (): number => this.busy;

  every = (ms: number, fn: () => void): (() => void) => {
    const timer = { at: this.#now + ms, every: ms, fire: fn };
    this.#timers.push(timer);
    return () => this.#remove(timer);
  };

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = {
        at: this.#now + ms,
        every: undefined,
        fire: () => {
          signal.removeEventListener("abort", stop);
          resolve();
        },
      };
      const stop = (): void => {
        this.#remove(timer);
        resolve();
      };
      signal.addEventListener("abort", stop, { once: true });
      this.#timers.push(timer);
    });

  /** Moves time forward by `ms`, firing what falls due on the way, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#now = due.at;
      if (due.every === undefined) this.#remove(due);
      else due.at += due.every;
      due.fire();
    }
    this.#now = until;
  }

  #remove(timer: { at: number }): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
  }
}

/** Lets every promise callback and I/O callback already queued run (no timers involved). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
