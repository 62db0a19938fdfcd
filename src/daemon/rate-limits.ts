/**
 * Speed limits, per download (`max-download-limit`) and for all of them
 * (`max-overall-download-limit`), in bytes per second; 0 or undefined is no limit.
 *
 * The engine's limiter (DownloadOptions.rateLimit, SetOptions.totalRateLimit,
 * DownloadSet#changeRateLimit and #changeTotalRateLimit) is not part of this build yet. Until it
 * is, `RATE_LIMITS_ENFORCED` is false and the daemon refuses a non-zero limit with an error
 * rather than accept one it would not hold. Wiring it is this file alone: set the flag, pass
 * the limit in `entryRateLimit`, and call the set's methods below.
 */
import type { DownloadSet, EntryOptions } from "../index.js";

export const RATE_LIMITS_ENFORCED = false;

/** What a new download of the set is given for its own limit. */
export function entryRateLimit(_bytesPerSecond: number | undefined): Partial<EntryOptions> {
  return {};
}

/** Changes one running download's limit (the set's id for it). */
export function changeEntryRateLimit(
  _set: DownloadSet,
  _id: number,
  _bytesPerSecond: number | undefined,
): void {}

/** Changes the limit of all downloads together. */
export function changeTotalRateLimit(
  _set: DownloadSet,
  _bytesPerSecond: number | undefined,
): void {}
