/**
 * A speed limit's arithmetic: a token bucket counted in bytes, with reservations. Pure: the
 * clock (ms) is passed in, and nothing here waits; src/rate-limit.ts does the waiting.
 *
 * A lane reserves its next read *before* reading (a socket read's worth, 64 KiB, and it is handed
 * no more than it reserved), waits until the limit allows that much, reads, then gives back what
 * the read left unused. Reserving first is what keeps bursts small: a lane never reads bytes the
 * limit has not yet allowed, so over any window the bytes read stay within `rate × window +
 * burst`. Each reservation is a ticket, a level on one running count of bytes, so the lanes
 * sharing a limit are let through one after another, in the order they asked, rather than all
 * at once whenever the bucket refills.
 *
 *   allowed ──grows at `rate`, at most `burst` ahead of `used`──►
 *   used ──+ each reservation, + each read beyond it (what a read leaves unused is allowed again)──►
 *   a ticket (the level of `used` just after its reservation) may read once allowed ≥ ticket
 */

/** The burst a limit allows after a pause: this long at its rate. */
export const BURST_MS = 100;

/** What a lane reserves before each read, and the most it is then handed: a socket read. */
export const FIRST_READ = 64 * 1024;

/** Whether `rate` limits anything: undefined and 0 mean no limit. */
export function isLimited(rate: number | undefined): rate is number {
  return rate !== undefined && rate > 0;
}

export class TokenBucket {
  #rate: number | undefined;
  /** Bytes the limit has allowed so far, as of `#at`. */
  #allowed: number;
  /** Bytes reserved so far, settled reads included. */
  #used = 0;
  #at: number;

  constructor(rate: number | undefined, now: number) {
    this.#rate = isLimited(rate) ? rate : undefined;
    this.#at = now;
    // A new limit starts full: the first reads go at once.
    this.#allowed = this.burst;
  }

  /** Bytes per second, or undefined for no limit. */
  get rate(): number | undefined {
    return this.#rate;
  }

  /** How far the allowance may run ahead of what was used: BURST_MS at the rate. */
  get burst(): number {
    return this.#rate === undefined ? 0 : (this.#rate * BURST_MS) / 1000;
  }

  /**
   * Changes the rate from `now` on: what was allowed until now stands, and lanes already waiting
   * wait for the new rate (they must ask `waitMs` again). Undefined or 0 removes the limit.
   */
  setRate(rate: number | undefined, now: number): void {
    this.#refill(now);
    this.#rate = isLimited(rate) ? rate : undefined;
    // From no limit to one, nothing is saved up, and what was read meanwhile is not owed.
    if (this.#rate === undefined) this.#allowed = this.#used;
    // A lower rate has a smaller burst: an allowance saved up at the old one is cut to it.
    this.#allowed = Math.min(this.#allowed, this.#used + this.burst);
  }

  /** Reserves `bytes` for a read; returns its ticket, for `waitMs`. */
  reserve(bytes: number, now: number): number {
    this.#refill(now);
    this.#used += bytes;
    if (this.#rate === undefined) this.#allowed = this.#used;
    return this.#used;
  }

  /** A read brought `delta` bytes more than it reserved (fewer when negative). */
  settle(delta: number, now: number): void {
    this.#refill(now);
    // What a read did not use is given back as allowance, never taken off `used`: tickets
    // already handed out stay at or below `used`, so the allowance can always reach them.
    if (delta >= 0) this.#used += delta;
    else this.#allowed -= delta;
    if (this.#rate === undefined) this.#allowed = this.#used;
  }

  /** How long (ms) the holder of `ticket` must wait before reading; 0: read now. */
  waitMs(ticket: number, now: number): number {
    this.#refill(now);
    if (this.#rate === undefined || this.#allowed >= ticket) return 0;
    return ((ticket - this.#allowed) * 1000) / this.#rate;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at);
    this.#at = Math.max(this.#at, now);
    if (this.#rate === undefined) {
      this.#allowed = this.#used;
      return;
    }
    // An allowance left unused beyond the burst is lost: a long pause earns no long burst. What a
    // read gave back may leave it further ahead; that stays.
    const grown = this.#allowed + (elapsed * this.#rate) / 1000;
    this.#allowed = Math.min(grown, Math.max(this.#allowed, this.#used + this.burst));
  }
}

/**
 * The most lanes worth running under `rate`: every lane waits its turn for a read of up to 64
 * KiB, and a lane that waits longer than the idle timeout has its response fail. A quarter of the
 * timeout keeps a margin for the lanes of other downloads sharing a set's limit.
 */
export function lanesWithin(rate: number | undefined, idleTimeoutMs: number): number {
  if (!isLimited(rate)) return Infinity;
  return Math.max(1, Math.floor((rate * idleTimeoutMs) / 1000 / 4 / FIRST_READ));
}

/**
 * The idle timeout a request under `rate` needs: long enough for `readers` lanes to take one read
 * each ahead of it, twice over. Only very low limits raise it.
 */
export function idleTimeoutWithin(
  rate: number | undefined,
  readers: number,
  idleTimeoutMs: number,
): number {
  if (!isLimited(rate)) return idleTimeoutMs;
  return Math.max(idleTimeoutMs, Math.ceil((2 * Math.max(1, readers) * FIRST_READ * 1000) / rate));
}
