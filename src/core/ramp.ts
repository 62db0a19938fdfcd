/**
 * The adaptive connection count, used when the user sets none. It starts with a few connections
 * and doubles them while the aggregate throughput follows: a CDN that throttles each connection
 * rewards every new one, while a shared bottleneck or a busy CPU rewards none, and connections
 * that do not help are closed again. The first sign that the server refuses more (429, 503, a
 * reset or refused connection) brings the count back down for good.
 *
 *   growing ──(a window's rate kept up with the added lanes)──► growing (doubled)
 *      │──(the gain fell short, or the cap is reached)──────► settled
 *      ├──(a speed limit held the lanes back)───────────────► growing, same level, measured again
 *      └──(the server refused a lane)──────────────────────► settled, at fewer lanes
 *
 * Under a speed limit (src/rate-limit.ts) the throughput follows the limit, not the connections:
 * a level whose lanes spent a tenth of their time waiting for the limit is neither grown from
 * nor used as the baseline of the next, so a limited download keeps the connections it has, and
 * grows again once the limit is raised or removed.
 *
 * Pure: the clock and the byte counts are passed in.
 */

export interface RampOptions {
  /** Lanes to begin with. */
  start: number;
  /** Never more than this many. */
  cap: number;
  /**
   * How long a level is measured once all its lanes are receiving, at least: longer when requests
   * take long, since a new connection needs a few round trips to reach its speed. @default 100
   */
  windowMs?: number;
  /** The most a level waits for its new lanes to start receiving before it is measured anyway. */
  settleMs?: number;
}

export interface RampSample {
  /** Milliseconds, on any monotonic clock. */
  now: number;
  /** Bytes received so far, all lanes together. */
  bytes: number;
  /** Lanes receiving a body right now. */
  receiving: number;
  /** How long a request takes to bring its response, if known. */
  latencyMs?: number | undefined;
  /** Milliseconds the lanes waited for a speed limit so far, all lanes together. */
  heldMs?: number | undefined;
}

/** A level is measured over at least this many request latencies. */
const WINDOW_LATENCIES = 3;

/**
 * The share of the proportional gain a step must bring to be kept: doubling the lanes must add
 * at least this share of the rate again. Below KEEP the new lanes are closed; below GROW they stay
 * but no more are added.
 */
const KEEP = 0.25;
const GROW = 0.5;

/** A level whose lanes waited this share of their time for a speed limit is limited by it. */
const HELD = 0.1;

export class ConnectionRamp {
  readonly cap: number;
  readonly #windowMs: number;
  readonly #settleMs: number;
  #target: number;
  #settled: boolean;
  /** The last measured level: its lane count and aggregate rate (bytes/s). */
  #previous: { lanes: number; rate: number } | undefined;
  #changedAt: number | undefined;
  #window: { now: number; bytes: number; heldMs: number } | undefined;

  constructor(options: RampOptions) {
    this.cap = Math.max(1, options.cap);
    this.#target = Math.min(this.cap, Math.max(1, options.start));
    this.#settled = this.#target >= this.cap;
    this.#windowMs = options.windowMs ?? 100;
    this.#settleMs = options.settleMs ?? 250;
  }

  /** Lanes wanted now: lanes at or above it finish their segment and stop. */
  get target(): number {
    return this.#target;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Feeds a periodic sample; returns the (possibly new) target. */
  sample(s: RampSample): number {
    if (this.#settled) return this.#target;
    this.#changedAt ??= s.now;
    if (this.#window === undefined) {
      if (s.receiving >= this.#target || s.now - this.#changedAt >= this.#settleMs) {
        this.#window = { now: s.now, bytes: s.bytes, heldMs: s.heldMs ?? 0 };
      }
      return this.#target;
    }
    const elapsed = s.now - this.#window.now;
    if (elapsed < Math.max(this.#windowMs, WINDOW_LATENCIES * (s.latencyMs ?? 0))) {
      return this.#target;
    }
    const held = ((s.heldMs ?? 0) - this.#window.heldMs) / (elapsed * this.#target);
    if (held >= HELD) {
      // More connections cannot beat the limit, and this rate says nothing about them.
      this.#previous = undefined;
      this.#window = { now: s.now, bytes: s.bytes, heldMs: s.heldMs ?? 0 };
      return this.#target;
    }
    const rate = ((s.bytes - this.#window.bytes) * 1000) / elapsed;
    this.#decide(rate, s.now);
    return this.#target;
  }

  /**
   * Its lanes cannot all run for now (a set gives the file fewer connections): what would be
   * measured is not this level, so the measurement starts again once they can.
   */
  hold(now: number): void {
    this.#window = undefined;
    this.#changedAt = now;
  }

  /**
   * The server pushed back on `lane` (0-based): keep only the lanes below it (at least one), and
   * no more than the last level measured. No more growth after this.
   */
  refused(lane: number): number {
    const measured = this.#previous?.lanes ?? this.#target;
    this.#target = Math.max(1, Math.min(this.#target, lane, measured));
    this.#settled = true;
    return this.#target;
  }

  #decide(rate: number, now: number): void {
    const lanes = this.#target;
    const previous = this.#previous;
    this.#previous = { lanes, rate };
    if (previous !== undefined && previous.rate > 0) {
      const gain = (rate / previous.rate - 1) / (lanes / previous.lanes - 1);
      if (gain < KEEP) {
        this.#target = previous.lanes;
        this.#settled = true;
        return;
      }
      if (gain < GROW) {
        this.#settled = true;
        return;
      }
    }
    if (lanes >= this.cap) {
      this.#settled = true;
      return;
    }
    this.#target = Math.min(this.cap, lanes * 2);
    this.#changedAt = now;
    this.#window = undefined;
  }
}
