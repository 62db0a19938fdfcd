import type { DigestAlgorithm } from "./options.js";

export interface VerifiedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** Who vouched for it: "user", "x-goog-hash", "content-md5", "x-ms-blob-content-md5", "repr-digest", "digest", "x-amz-checksum". */
  source: string;
}

export interface DownloadResult {
  /** The final, verified file. */
  path: string;
  url: string;
  /** The URL after redirects, where the ranges were fetched. */
  finalUrl: string;
  size: number;
  /**
   * Body bytes received from the server for this file in this run, written or not: bytes fetched
   * twice (a race one connection lost, bytes past where a range was cut, a response cancelled or
   * refused) count each time. At least `size - resumedBytes` for a file fetched now; over it by
   * what was fetched in vain. Bytes the kernel still held when a response was cancelled are not
   * seen, so a server may count a little more as sent.
   */
  bytesReceived: number;
  elapsedMs: number;
  /** Bytes that were already on disk from an earlier run. */
  resumedBytes: number;
  /** Whether the server honoured byte ranges. */
  ranges: boolean;
  verified: VerifiedDigest[];
  /**
   * Already saved and verified by an earlier run (its ledger says so, and the file is unchanged):
   * nothing was fetched, and nothing read back unless a digest was asked that it never had.
   */
  skipped: boolean;
}

/** One connection (lane) of a download, as a progress event shows it. */
export interface LaneProgress {
  lane: number;
  /** Its state in the lane table (docs/architecture.md): idle, requesting, receiving, backoff... */
  state: string;
  /** The segment it works on, [start, end) in file offsets; null between segments. */
  range: [number, number] | null;
  /** How far into `range` bytes have been received and claimed. */
  position: number | null;
  bytesPerSecond: number;
  /** Segments it took from another lane's unfetched tail. */
  steals: number;
  /** Segments it raced a slower lane for (hedges). */
  races: number;
  /** Times its connection was replaced for being far slower than the others. */
  reconnects: number;
  /**
   * How its current segment came to it: a fresh piece of the plan, the tail it stole from another
   * lane's segment, or another lane's segment it races; "plan" between segments.
   */
  origin: "plan" | "steal" | "race";
  /** Where it took over: a steal's cut (its range's start), or the byte a race began at; null for "plan". */
  originAt: number | null;
}

export type DownloadEvent =
  | {
      type: "start";
      url: string;
      finalUrl: string;
      path: string;
      /** null when the server did not say (chunked, no ranges). */
      size: number | null;
      ranges: boolean;
      /** The most connections the download will open. */
      connections: number;
      /** Whether the count adapts: it starts lower and grows while more connections help. */
      adaptive: boolean;
      resumedBytes: number;
    }
  | {
      type: "progress";
      /** Bytes on disk, resumed ones included. */
      bytes: number;
      size: number | null;
      bytesPerSecond: number;
      etaSeconds: number | null;
      activeConnections: number;
      /** Each connection: its range, speed, steals, races and reconnects. */
      lanes?: LaneProgress[];
      /**
       * What is written, as sorted [start, end) spans, at most WRITTEN_SPANS_MAX of them (gaps
       * narrower than the rest are closed first, so a big file's map stays small).
       */
      written?: [number, number][];
      /** Bytes [0, hashedBytes) fed to the in-order digests (SHA-*, MD5, CRC-32); absent when none is computed. */
      hashedBytes?: number;
    }
  | {
      type: "retry";
      attempt: number;
      delayMs: number;
      reason: string;
      range: [number, number] | null;
    }
  | { type: "restart"; reason: string }
  /** A connection far slower than the others was closed; its lane reconnects (bytes/s). */
  | { type: "reconnect"; bytesPerSecond: number; othersBytesPerSecond: number }
  | { type: "verifying"; algorithms: string[] }
  | { type: "done"; result: DownloadResult };

/** How one file of a set ended. */
export type FileStatus =
  /** Fetched (or resumed) now, verified when a digest was known, and at its final path. */
  | "saved"
  /** Already complete and verified by an earlier run: neither fetched nor read again. */
  | "skipped"
  | "failed"
  /** Its AbortSignal (or the set's) fired; its partial data is kept for a rerun. */
  | "cancelled";

export interface FileOutcome {
  id: number;
  url: string;
  status: FileStatus;
  /** The final path, once known. */
  path: string | null;
  /** For "saved" and "skipped". */
  result?: DownloadResult;
  /** For "failed" and "cancelled". */
  error?: unknown;
  /** The CLI exit status this file alone would give (0 when saved or skipped). */
  exitCode: number;
}

export interface SetSummary {
  files: number;
  saved: number;
  /** Saved or skipped files whose bytes were checked against at least one digest. */
  verified: number;
  skipped: number;
  failed: number;
  cancelled: number;
  /** Bytes fetched in this run (resumed and skipped bytes excluded). */
  fetchedBytes: number;
  elapsedMs: number;
  /** The worst exit status among the files: what the CLI exits with. */
  exitCode: number;
}

export interface SetResult {
  outcomes: FileOutcome[];
  summary: SetSummary;
}

/**
 * What a set reports. Every event names its file by `id` (the number `add()` returned); the
 * per-file events are those of download(), in the same order, between "queued" and "done",
 * "skipped", "failed" or "cancelled". The last event is "summary".
 */
export type SetEvent =
  | (DownloadEvent & { id: number })
  | { type: "queued"; id: number; url: string }
  | { type: "skipped"; id: number; result: DownloadResult }
  | { type: "failed"; id: number; url: string; path: string | null; error: unknown }
  | { type: "cancelled"; id: number; url: string; path: string | null }
  | { type: "summary"; summary: SetSummary };
