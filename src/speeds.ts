/** Each lane's receiving speed, measured per response from its first byte. */

/** A response is judged only after this long; a finished one however short it was. */
const WARMUP_MS = 300;

interface Measure {
  since: number;
  bytes: number;
  until?: number;
}

export class LaneSpeeds {
  readonly #lanes = new Map<number, Measure>();

  /** A lane's new response: returns the measure to feed as bytes arrive. */
  start(lane: number, now: number): Measure {
    const measure: Measure = { since: now, bytes: 0 };
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

  /** What the lane's current or last response brought so far, and in how long (from its first byte). */
  sofar(lane: number, now: number): { bytes: number; ms: number } | undefined {
    const m = this.#lanes.get(lane);
    if (!m || m.bytes === 0) return undefined;
    return { bytes: m.bytes, ms: (m.until ?? now) - m.since };
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

/** Counts a chunk; the first one restarts the clock (the request's round trip is not speed). */
export function received(measure: Measure, bytes: number, now: number): void {
  if (measure.bytes === 0) measure.since = now;
  measure.bytes += bytes;
}

/** The response ended: its speed stays as measured. */
export function ended(measure: Measure, now: number): void {
  measure.until = now;
}
