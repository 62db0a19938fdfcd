/** The one retry loop: backoff from core/retry, events for each retry, and what is never retried. */
import { setTimeout as sleep } from "node:timers/promises";
import type { DownloadEvent } from "./events.js";
import { HttpStatusError, PargetError } from "./errors.js";
import { retryDelay } from "./core/retry.js";
import { asNetworkError } from "./http.js";

/** The remote file changed under us: never retried; the download starts over with the new version. */
export class RemoteChanged extends Error {}

export interface RetryScope {
  retries: number;
  signal: AbortSignal;
  url: URL;
  emit: (event: DownloadEvent) => void;
  /** The bytes at stake, for the retry event (null for the first request). */
  range: () => [number, number] | null;
  /** Bytes done so far: an attempt that moved it forward does not count as a failure in a row. */
  progress?: () => number;
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
      attempt = (scope.progress?.() ?? 0) > before ? 1 : attempt + 1;
      const delayMs = retryDelay({
        attempt,
        retries: scope.retries,
        retryAfterMs: error instanceof HttpStatusError ? error.retryAfterMs : undefined,
        random: Math.random,
      });
      if (delayMs === "give-up") throw error;
      scope.emit({ type: "retry", attempt, delayMs, reason: error.message, range: scope.range() });
      await sleep(delayMs, undefined, { signal: scope.signal });
    }
  }
}
