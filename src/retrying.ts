/** The one retry loop: backoff from core/retry, events for each retry, and what is never retried. */
import { setTimeout as sleep } from "node:timers/promises";
import type { DownloadEvent } from "./events.js";
import { HttpStatusError, PargetError } from "./errors.js";
import { retryDelay } from "./core/retry.js";
import { asNetworkError } from "./http.js";

/** The remote file changed under us: never retried; the download starts over with the new version. */
export class RemoteChanged extends Error {
  /** Set when only the ETag changed (same length and Last-Modified): the two tags. */
  readonly etags: { held: string; seen: string } | undefined;

  constructor(message: string, etags?: { held: string; seen: string }) {
    super(message);
    this.etags = etags;
  }
}

/** A lane that the server refused was let go (adaptive connections): its work goes to others. */
export class LaneRetired extends Error {}

export interface RetryScope {
  retries: number;
  signal: AbortSignal;
  url: URL;
  emit: (event: DownloadEvent) => void;
  /** The bytes at stake, for the retry event (null for the first request). */
  range: () => [number, number] | null;
  /** Bytes done so far: an attempt that moved it forward does not count as a failure in a row. */
  progress?: () => number;
  /** Whether to stop retrying and let this lane go (throws LaneRetired) instead. */
  retire?: (error: PargetError) => boolean;
  /** Waits before a retry, ending early when `signal` aborts. @default a real timer */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export async function withRetries<T>(scope: RetryScope, work: () => Promise<T>): Promise<T> {
  let attempt = 0;
  for (;;) {
    const before = scope.progress?.() ?? 0;
    try {
      return await work();
    } catch (caught) {
      if (scope.signal.aborted || caught instanceof RemoteChanged) throw caught;
      const error = caught instanceof PargetError ? caught : asNetworkError(caught, scope.url);
      if (!error.retryable) throw error;
      if (scope.retire?.(error)) throw new LaneRetired(error.message, { cause: error });
      attempt = (scope.progress?.() ?? 0) > before ? 1 : attempt + 1;
      const delayMs = retryDelay({
        attempt,
        retries: scope.retries,
        retryAfterMs: error instanceof HttpStatusError ? error.retryAfterMs : undefined,
        random: Math.random,
      });
      if (delayMs === "give-up") throw error;
      scope.emit({ type: "retry", attempt, delayMs, reason: error.message, range: scope.range() });
      if (scope.sleep) {
        await scope.sleep(delayMs, scope.signal);
        scope.signal.throwIfAborted();
      } else {
        await sleep(delayMs, undefined, { signal: scope.signal });
      }
    }
  }
}
