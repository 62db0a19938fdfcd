/** Periodic progress events: bytes on disk, a smoothed speed, and the time left. */
import type { DownloadEvent, LaneProgress } from "./events.js";

interface Sample {
  bytes: number;
  size: number | null;
  activeConnections: number;
  lanes?: LaneProgress[];
  written?: [number, number][];
  hashedBytes?: number;
}

/** Weight of the newest interval in the smoothed speed: responsive, yet steady enough to read. */
const SMOOTHING = 0.3;

export class Progress {
  readonly #intervalMs: number;
  readonly #emit: (event: DownloadEvent) => void;
  readonly #sample: () => Sample;
  #timer: NodeJS.Timeout | undefined;
  #lastBytes = 0;
  #lastAt = 0;
  #speed = 0;
  #base = 0;

  constructor(intervalMs: number, emit: (event: DownloadEvent) => void, sample: () => Sample) {
    this.#intervalMs = intervalMs;
    this.#emit = emit;
    this.#sample = sample;
  }

  /** `resumedBytes` were on disk before this run: they count as progress, not as speed. */
  start(resumedBytes: number): void {
    this.#base = resumedBytes;
    this.#lastBytes = resumedBytes;
    this.#lastAt = performance.now();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#tick();
  }

  #tick(): void {
    const { bytes, size, activeConnections, lanes, written, hashedBytes } = this.#sample();
    const now = performance.now();
    const seconds = (now - this.#lastAt) / 1000;
    if (seconds > 0) {
      const current = (bytes - this.#lastBytes) / seconds;
      this.#speed =
        this.#lastBytes === this.#base
          ? current
          : SMOOTHING * current + (1 - SMOOTHING) * this.#speed;
    }
    this.#lastBytes = bytes;
    this.#lastAt = now;
    const etaSeconds =
      size !== null && this.#speed > 0 ? Math.max(0, (size - bytes) / this.#speed) : null;
    this.#emit({
      type: "progress",
      bytes,
      size,
      bytesPerSecond: this.#speed,
      etaSeconds,
      activeConnections,
      ...(lanes === undefined ? {} : { lanes }),
      ...(written === undefined ? {} : { written }),
      ...(hashedBytes === undefined ? {} : { hashedBytes }),
    });
  }
}
