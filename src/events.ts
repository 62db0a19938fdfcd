import type { DigestAlgorithm } from "./options.js";

export interface VerifiedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** Who vouched for it: "user", "x-goog-hash", "content-md5", "repr-digest", "digest", "x-amz-checksum". */
  source: string;
}

export interface DownloadResult {
  /** The final, verified file. */
  path: string;
  url: string;
  /** The URL after redirects, where the ranges were fetched. */
  finalUrl: string;
  size: number;
  elapsedMs: number;
  /** Bytes that were already on disk from an earlier run. */
  resumedBytes: number;
  /** Whether the server honoured byte ranges. */
  ranges: boolean;
  verified: VerifiedDigest[];
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
