/** When to try a failed request again: a value computed from the attempt, never a timer. */

const BASE_DELAY_MS = 250;
const MAX_BACKOFF_MS = 15_000;
/** A server asking for a longer pause than this is effectively down for us. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Milliseconds to wait before retry number `attempt` (1 for the first), or "give-up" once the
 * budget of `retries` is spent. Exponential backoff with full jitter, never sooner than the
 * server's Retry-After.
 */
export function retryDelay(input: {
  attempt: number;
  retries: number;
  retryAfterMs?: number | undefined;
  /** Uniform in [0, 1), like Math.random. */
  random: () => number;
}): number | "give-up" {
  const { attempt, retries, retryAfterMs } = input;
  if (attempt > retries) return "give-up";
  if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) return "give-up";
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  // Full jitter: connections that failed together spread out instead of retrying in lockstep.
  const backoff = Math.floor(input.random() * ceiling);
  return Math.max(retryAfterMs ?? 0, backoff);
}

/** Whether a response status may succeed on a later try: 408, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}
