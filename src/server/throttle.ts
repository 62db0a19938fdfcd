/**
 * Pacing response bodies. A bucket belongs to a connection, as a CDN edge throttles a TCP
 * connection rather than a request: many small range requests on one socket share its budget.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";

const MAX_PIECE = 64 * 1024;

/** Bytes per write at `rate`: about 16 writes a second, so slow rates still flow smoothly. */
export function pieceSize(rate: number): number {
  return rate > 0 ? Math.max(1, Math.min(MAX_PIECE, Math.floor(rate / 16))) : MAX_PIECE;
}

/** A token bucket whose burst is one piece; the clock (ms) is passed in. */
export class TokenBucket {
  readonly piece: number;
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    now: number,
  ) {
    this.piece = pieceSize(rate);
    this.#tokens = this.piece;
    this.#last = now;
  }

  /** Takes `bytes` from the bucket and returns how long (ms) to wait before sending them. */
  reserve(bytes: number, now: number): number {
    this.#tokens = Math.min(this.piece, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.rate;
  }
}

export interface Pacing {
  buckets: TokenBucket[];
  signal: AbortSignal;
  onSent(bytes: number): void;
}

/**
 * Writes `length` bytes from `read` in pieces, waiting for the buckets and for 'drain', so a
 * slow reader never makes the server buffer more than a piece.
 */
export async function writePaced(
  res: ServerResponse,
  read: (length: number) => Buffer,
  length: number,
  pacing: Pacing,
): Promise<void> {
  const piece = Math.min(MAX_PIECE, ...pacing.buckets.map((b) => b.piece));
  for (let left = length; left > 0;) {
    const n = Math.min(piece, left);
    const now = performance.now();
    const wait = Math.max(0, ...pacing.buckets.map((b) => b.reserve(n, now)));
    if (wait > 0) await delay(wait, undefined, { signal: pacing.signal });
    pacing.signal.throwIfAborted();
    const ok = res.write(read(n));
    pacing.onSent(n);
    left -= n;
    if (!ok) await once(res, "drain", { signal: pacing.signal });
  }
}

/** Resolves once everything written so far, headers included, has left Node for the kernel. */
export async function flushed(res: ServerResponse, signal: AbortSignal): Promise<void> {
  const socket = res.socket;
  signal.throwIfAborted();
  if (!socket) throw new Error("the connection is gone");
  res.flushHeaders();
  // A socket runs its writes in order, so an empty write completes after all before it.
  const done = new Promise<void>((resolve, reject) =>
    socket.write(Buffer.alloc(0), (error) => (error ? reject(error) : resolve())),
  );
  await Promise.race([done, once(signal, "abort").then(() => signal.throwIfAborted())]);
}
