/** Each lane's receiving speed, measured per response from its first byte. */
import type { ResponseSoFar } from "./core/tail.js";

/** A response is judged only after this long; a finished one however short it was. */
const WARMUP_MS = 300;

interface Measure {
  since: number;
  bytes: number;
  until?: number;
  /** Of the time since the first byte, how long the reader waited for the bytes that followed. */
  waitedMs: number;
  /** When the reader asked for bytes it is still waiting for. */
  askedAt: number | null;
}

export class LaneSpeeds {
  readonly #lanes = new Map<number, Measure>();

  /** A lane's new response: returns the measure to feed as bytes arrive. */
  start(lane: number, now: number): Measure {
    const measure: Measure = { since: now, bytes: 0, waitedMs: 0, askedAt: null };
    this.#lanes.set(lane, measure);
    return measure;
  }

  /** The lane starts on new work: its last response no longer speaks for it. */
  forget(lane: number): void {
    this.#lanes.delete(lane);
  }

  /** Bytes per millisecond of the lane's current or last response, if known. */
  of(lane: number, now: number): number | undefined {
    const m = this.#lanes.get(lane);
    if (!m || m.bytes === 0) return undefined;
    if (m.until !== undefined) return m.bytes / Math.max(1, m.until - m.since);
    return now - m.since < WARMUP_MS ? undefined : m.bytes / (now - m.since);
  }

  /**
   * What the lane's current or last response brought so far, in how long (from its first byte),
   * and how much of that time its reader spent waiting for bytes.
   */
  sofar(lane: number, now: number): ResponseSoFar | undefined {
    const m = this.#lanes.get(lane);
    if (!m || m.bytes === 0) return undefined;
    const until = m.until ?? now;
    const waiting = m.askedAt === null ? 0 : until - Math.max(m.askedAt, m.since);
    return { bytes: m.bytes, ms: until - m.since, waitedMs: m.waitedMs + waiting };
  }

  /** Lanes receiving now, with their speed and for how long it was measured (from the first byte). */
  receiving(now: number): { lane: number; speed: number; measuredMs: number }[] {
    const all = [];
    for (const [lane, m] of this.#lanes) {
      if (m.until !== undefined || m.bytes === 0 || now - m.since < WARMUP_MS) continue;
      all.push({ lane, speed: m.bytes / (now - m.since), measuredMs: now - m.since });
    }
    return all;
  }

  /** A lane that has not measured itself yet is taken to be as fast as the fastest. */
  ofOrFastest(lane: number, now: number): number | undefined {
    const all = [...this.#lanes.keys()].map((l) => this.of(l, now) ?? 0);
    return this.of(lane, now) ?? (all.length > 0 ? Math.max(...all) : undefined);
  }
}

/** The reader asks for the next bytes: until they come, it waits for the server. */
export function asking(measure: Measure, now: number): void {
  measure.askedAt = now;
}

/**
 * Counts a chunk; the first one restarts the clock (the request's round trip is neither speed nor
 * waiting for the server).
 */
export function received(measure: Measure, bytes: number, now: number): void {
  if (measure.bytes === 0) measure.since = now;
  else if (measure.askedAt !== null) measure.waitedMs += now - measure.askedAt;
  measure.askedAt = null;
  measure.bytes += bytes;
}

/** The response ended: its speed stays as measured. */
export function ended(measure: Measure, now: number): void {
  measure.until = now;
  measure.askedAt = null;
}
