/**
 * Time as the transfer sees it: a monotonic clock, repeating timers and waits. Injected, so tests
 * drive races step by step (test/helpers/scripted-transport.ts has a manual clock).
 */
import { performance } from "node:perf_hooks";

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Milliseconds the event loop has spent working so far (not waiting for I/O or timers). */
  busyMs(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  busyMs: () => performance.eventLoopUtilization().active,
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  },
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      // Cleared on the way out: left running, the last idle lanes' timers would keep the process
      // alive after the download ends.
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  },
};
