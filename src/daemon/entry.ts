/**
 * A download as the daemon keeps it: what the client asked (URI, aria2's options), what came of
 * it, and, while it runs, its live figures. Converted here to and from the store's record, and
 * from a run's outcome.
 */
import {
  ChecksumMismatchError,
  HttpStatusError,
  PargetError,
  redactUrl,
  type DownloadResult,
  type LaneProgress,
} from "../index.js";
import { aria2ErrorCode, type Aria2Options, type Gid } from "../core/aria2.js";
import type { Verification } from "../core/aria2-status.js";
import type { Status } from "../core/queue.js";
import type { StoredEntry } from "./store.js";

export interface Entry {
  gid: Gid;
  uris: string[];
  options: Aria2Options;
  path: string | null;
  totalLength: number | null;
  completedLength: number;
  speed: number;
  connections: number;
  errorCode?: number;
  errorMessage?: string;
  verification?: Verification;
  /** Its connections, from the last progress event of the run in progress. */
  lanes: LaneProgress[];
  /** What is written, from the same event (coarsened spans). */
  written: [number, number][];
  /** The prefix fed to the in-order digests, from the same event; undefined when none runs. */
  hashedBytes?: number;
  /** The set's id for the run in progress, from add() until it has ended. */
  run?: number;
}

export function newEntry(gid: Gid, url: string, options: Aria2Options): Entry {
  return {
    gid,
    uris: [url],
    options,
    path: null,
    totalLength: null,
    completedLength: 0,
    speed: 0,
    connections: 0,
    lanes: [],
    written: [],
  };
}

export function entryOf(stored: StoredEntry): Entry {
  const entry: Entry = {
    ...newEntry(stored.gid, stored.uris[0]!, stored.options),
    uris: stored.uris,
    path: stored.path,
    totalLength: stored.totalLength,
    completedLength: stored.completedLength,
  };
  if (stored.errorCode !== undefined) entry.errorCode = stored.errorCode;
  if (stored.errorMessage !== undefined) entry.errorMessage = stored.errorMessage;
  if (stored.verification !== undefined) entry.verification = stored.verification;
  return entry;
}

export function storedOf(e: Entry, status: Status): StoredEntry {
  const stored: StoredEntry = {
    gid: e.gid,
    uris: e.uris,
    options: e.options,
    status,
    path: e.path,
    totalLength: e.totalLength,
    completedLength: e.completedLength,
  };
  if (e.errorCode !== undefined) stored.errorCode = e.errorCode;
  if (e.errorMessage !== undefined) stored.errorMessage = e.errorMessage;
  if (e.verification !== undefined) stored.verification = e.verification;
  return stored;
}

/** A saved (or already saved) file: its size, and which digests vouched for it. */
export function completedWith(entry: Entry, result: DownloadResult): void {
  entry.path = result.path;
  entry.totalLength = result.size;
  entry.completedLength = result.size;
  entry.verification = {
    status: result.verified.length > 0 ? "verified" : "unverified",
    digests: result.verified.map((d) => ({
      algorithm: d.algorithm,
      source: d.source,
      expected: d.hex,
      actual: d.hex,
    })),
  };
}

/** A failure as aria2 reports it (code and one line), and a mismatch as parget's report. */
export function failedWith(entry: Entry, error: unknown): void {
  const code = error instanceof PargetError ? error.code : undefined;
  const status = error instanceof HttpStatusError ? error.status : undefined;
  entry.errorCode = aria2ErrorCode(code, status);
  // parget's messages already hide credentials; anything else is shown as a URL would be.
  entry.errorMessage =
    error instanceof Error ? error.message.split("\n")[0]! : redactUrl(String(error));
  if (error instanceof ChecksumMismatchError) {
    entry.verification = {
      status: "mismatch",
      digests: error.mismatches.map((m) => ({
        algorithm: m.algorithm,
        source: m.source,
        expected: m.expected,
        actual: m.actual,
      })),
    };
  }
}
