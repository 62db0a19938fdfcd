/**
 * parget's public API: the only import path for users (and for parget's own CLI).
 *
 *   import { download } from "parget";
 *   const result = await download(url, { connections: 8, checksums: [parseChecksumSpec("sha256=...")] });
 */
export { download } from "./download.js";
export { DownloadSet, downloadAll, SET_DEFAULTS } from "./set.js";
export type { SetOptions, EntryOptions, ChecksumLookup } from "./set.js";
export { fetchText, type FetchTextOptions } from "./fetch-text.js";
export { removeDownloadFiles } from "./target.js";
export { createTransport, type OnReceived, type TransportOptions } from "./default-transport.js";
export type { DownloadOptions, ExpectedDigest, DigestAlgorithm } from "./options.js";
export { DIGEST_ALGORITHMS, DEFAULTS, MAX_CONNECTIONS } from "./options.js";
export { RateLimit } from "./rate-limit.js";
export { VERSION } from "./version.js";
export type {
  DownloadEvent,
  DownloadResult,
  VerifiedDigest,
  LaneProgress,
  SetEvent,
  SetResult,
  SetSummary,
  FileOutcome,
  FileStatus,
} from "./events.js";
export {
  PargetError,
  UsageError,
  FileSystemError,
  NetworkError,
  HttpStatusError,
  BadResponseError,
  RemoteChangedError,
  ChecksumMismatchError,
  NotListedError,
  AbortedError,
  ERROR_CODES,
  EXIT,
  exitCodeOf,
  redactUrl,
  redactText,
} from "./errors.js";
export type { ErrorCode, ExitCode, DigestMismatch } from "./errors.js";
export type { Transport, TransportRequest, TransportResponse } from "./io/transport.js";
export { parseSize, formatBytes } from "./core/units.js";
export { parseChecksumSpec } from "./core/checksum-spec.js";
export { parseHttpUrl } from "./core/url.js";
export { parseHeaderLine, withHeader } from "./core/request-headers.js";
export { parseInputFile, type InputEntry } from "./core/input-file.js";
export { parseChecksumList, type ChecksumList } from "./core/checksum-list.js";
