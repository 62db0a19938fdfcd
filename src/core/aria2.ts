/**
 * aria2's wire types, as its RPC clients (AriaNg, Motrix, webui-aria2, scripts) expect them:
 * 16-hex GIDs, numbers as decimal strings, its error codes, and its option names for what
 * parget supports. Pure: no I/O; randomness is passed in.
 */
import { UsageError } from "../errors.js";
import type { ErrorCode } from "../errors.js";
import { MAX_CONNECTIONS, type ExpectedDigest } from "../options.js";
import { parseChecksumSpec } from "./checksum-spec.js";
import { parseHeaderLine, withHeader } from "./request-headers.js";

/** A download's id on the wire: 16 lower-case hex digits (aria2's 64-bit GID). */
export type Gid = string;

const GID = /^[0-9a-f]{16}$/;

/** A GID from 8 random bytes; all zeros is aria2's "no GID", so it is never one. */
export function gidFromBytes(bytes: Uint8Array): Gid | undefined {
  if (bytes.length !== 8) throw new RangeError(`a GID takes 8 bytes, got ${bytes.length}`);
  const hex = Buffer.from(bytes).toString("hex");
  return /^0+$/.test(hex) ? undefined : hex;
}

export function isGid(text: unknown): text is Gid {
  return typeof text === "string" && GID.test(text);
}

/**
 * The one GID that `text` names: the whole GID, or a prefix of it that no other GID shares
 * (aria2 accepts both). Undefined when none or several match, or when `text` is not hex.
 */
export function findGid(text: unknown, gids: Iterable<Gid>): Gid | undefined {
  if (typeof text !== "string" || !/^[0-9a-f]{1,16}$/i.test(text)) return undefined;
  const prefix = text.toLowerCase();
  let found: Gid | undefined;
  for (const gid of gids) {
    if (!gid.startsWith(prefix)) continue;
    if (gid === prefix) return gid;
    if (found !== undefined) return undefined;
    found = gid;
  }
  return found;
}

/** aria2 sends every number as a decimal string. */
export function wireNumber(n: number): string {
  return String(Math.max(0, Math.floor(n)));
}

/**
 * aria2's download error codes (its exit statuses, `errorCode` in a status struct), for the
 * failures parget can have.
 */
export const ARIA2_ERROR = {
  finished: 0,
  unknown: 1,
  timeout: 2,
  resourceNotFound: 3,
  networkProblem: 6,
  fileAlreadyExists: 13,
  fileIoError: 17,
  httpProtocolError: 22,
  tooManyRedirects: 23,
  httpAuthFailed: 24,
  optionError: 28,
  serviceUnavailable: 29,
  removed: 31,
  checksumError: 32,
} as const;

/** The aria2 error code for a parget failure: its error code, and the HTTP status if any. */
export function aria2ErrorCode(code: ErrorCode | undefined, httpStatus?: number): number {
  switch (code) {
    case "PARGET_USAGE":
    case "PARGET_BAD_URL":
      return ARIA2_ERROR.optionError;
    case "PARGET_FILE_EXISTS":
      return ARIA2_ERROR.fileAlreadyExists;
    case "PARGET_FILESYSTEM":
      return ARIA2_ERROR.fileIoError;
    case "PARGET_NETWORK":
      return ARIA2_ERROR.networkProblem;
    case "PARGET_TIMEOUT":
      return ARIA2_ERROR.timeout;
    case "PARGET_HTTP_STATUS":
      if (httpStatus === 404 || httpStatus === 410) return ARIA2_ERROR.resourceNotFound;
      if (httpStatus === 401 || httpStatus === 403) return ARIA2_ERROR.httpAuthFailed;
      if (httpStatus === 503) return ARIA2_ERROR.serviceUnavailable;
      return ARIA2_ERROR.httpProtocolError;
    case "PARGET_BAD_RESPONSE":
      return ARIA2_ERROR.httpProtocolError;
    case "PARGET_TOO_MANY_REDIRECTS":
      return ARIA2_ERROR.tooManyRedirects;
    case "PARGET_CHECKSUM_MISMATCH":
    case "PARGET_NOT_LISTED":
      return ARIA2_ERROR.checksumError;
    default:
      return ARIA2_ERROR.unknown;
  }
}

/** aria2's options as they travel: a name, and a string (a list of strings for `header`). */
export type Aria2Options = Record<string, string | string[]>;

/** What parget applies to one download, read from aria2's per-download options. */
export interface EntrySettings {
  /** Relative to the root or absolute; confined to the root by the daemon (realpath). */
  dir?: string;
  /** A relative path under `dir`. */
  out?: string;
  connections?: number;
  checksums?: ExpectedDigest[];
  headers?: Record<string, string>;
  overwrite?: boolean;
  /** Bytes per second; 0 is unlimited (aria2's `max-download-limit=0`). */
  rateLimit?: number;
}

/** The per-download options parget reads; any of them may also be changed while it waits. */
export const ENTRY_OPTIONS = [
  "dir",
  "out",
  "split",
  "max-connection-per-server",
  "checksum",
  "header",
  "allow-overwrite",
  "max-download-limit",
] as const;

/** The global options parget reads (besides the per-download defaults above). */
export const GLOBAL_OPTIONS = ["max-concurrent-downloads", "max-overall-download-limit"] as const;

/**
 * Options no RPC may set: each names a file the daemon would write, read or run (the 2016
 * attack on aria2 set `dir` and `on-download-complete`; `log` and `save-session` write where
 * they are told). Refused loudly rather than ignored.
 */
const PATH_OPTIONS = new Set([
  "log",
  "save-session",
  "input-file",
  "conf-path",
  "dht-file-path",
  "dht-file-path6",
  "server-stat-of",
  "server-stat-if",
  "netrc-path",
  "load-cookies",
  "save-cookies",
  "ca-certificate",
  "certificate",
  "private-key",
  "rpc-certificate",
  "rpc-private-key",
  "rpc-secret",
  "rpc-listen-all",
  "rpc-allow-origin-all",
  "on-download-start",
  "on-download-pause",
  "on-download-stop",
  "on-download-complete",
  "on-download-error",
  "on-bt-download-complete",
  "torrent-file",
  "metalink-file",
  "index-out",
]);

/** Reads an option's value as aria2 clients send it: a string, or a number some send bare. */
function scalar(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  throw new UsageError(`option ${name} must be a string`);
}

/**
 * Checks the options of an RPC call and keeps those parget reads, as strings (what getOption
 * answers). Unknown options are dropped, as aria2 ignores what it does not know; options that
 * set a path outside downloads are refused.
 */
export function readOptions(input: unknown, allowed: readonly string[]): Aria2Options {
  if (input === undefined || input === null) return {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new UsageError("options must be an object of option names and values");
  }
  const kept: Aria2Options = {};
  for (const [name, value] of Object.entries(input)) {
    if (PATH_OPTIONS.has(name)) {
      throw new UsageError(`option ${name} cannot be set over RPC`);
    }
    if (!allowed.includes(name)) continue;
    if (name === "header") {
      const lines = Array.isArray(value) ? value : [value];
      kept[name] = lines.map((line) => scalar(name, line));
    } else {
      kept[name] = scalar(name, value);
    }
  }
  // Parsed once here so that a bad value fails the call, not the download later.
  entrySettings(kept);
  return kept;
}

function wholeNumber(name: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(`option ${name} must be a whole number, got "${value}"`);
  }
  return n;
}

/**
 * A speed as aria2 writes it: bytes per second, with an optional K or M suffix (binary, as in
 * aria2); 0 means no limit.
 */
export function parseSpeed(name: string, value: string): number {
  const match = /^(\d+)([KkMm]?)$/.exec(value.trim());
  if (!match)
    throw new UsageError(`option ${name} must be bytes per second (e.g. 512K), got "${value}"`);
  const factor = match[2] === "" ? 1 : /k/i.test(match[2]!) ? 1024 : 1024 * 1024;
  const n = Number(match[1]) * factor;
  if (!Number.isSafeInteger(n)) throw new UsageError(`option ${name} is too large`);
  return n;
}

function connections(name: string, value: string): number {
  const n = wholeNumber(name, value);
  if (n < 1 || n > MAX_CONNECTIONS) {
    throw new UsageError(`option ${name} must be between 1 and ${MAX_CONNECTIONS}, got ${n}`);
  }
  return n;
}

function one(options: Aria2Options, name: string): string | undefined {
  const value = options[name];
  return Array.isArray(value) ? value.at(-1) : value;
}

/** What parget applies, from aria2's per-download options (already kept by `readOptions`). */
export function entrySettings(options: Aria2Options): EntrySettings {
  const settings: EntrySettings = {};
  const dir = one(options, "dir");
  if (dir !== undefined && dir !== "") settings.dir = dir;
  const out = one(options, "out");
  if (out !== undefined && out !== "") settings.out = out;
  // aria2 has two limits for what parget counts as one: the stricter one holds. With neither,
  // parget's adaptive count (aria2's defaults would mean a single connection).
  const split = one(options, "split");
  const perServer = one(options, "max-connection-per-server");
  for (const [name, value] of [
    ["split", split],
    ["max-connection-per-server", perServer],
  ] as const) {
    if (value === undefined) continue;
    const n = connections(name, value);
    settings.connections = Math.min(n, settings.connections ?? n);
  }
  const checksum = one(options, "checksum");
  if (checksum !== undefined && checksum !== "") {
    settings.checksums = [parseChecksumSpec(checksum)];
  }
  const header = options.header;
  if (header !== undefined) {
    let headers: Record<string, string> | undefined;
    for (const line of Array.isArray(header) ? header : [header]) {
      const { name, value } = parseHeaderLine(line);
      headers = withHeader(headers, name, value);
    }
    if (headers) settings.headers = headers;
  }
  const overwrite = one(options, "allow-overwrite");
  if (overwrite !== undefined) {
    if (overwrite !== "true" && overwrite !== "false") {
      throw new UsageError(`option allow-overwrite must be true or false, got "${overwrite}"`);
    }
    settings.overwrite = overwrite === "true";
  }
  const limit = one(options, "max-download-limit");
  if (limit !== undefined) settings.rateLimit = parseSpeed("max-download-limit", limit);
  return settings;
}

/** The global settings parget reads. */
export interface GlobalSettings {
  maxConcurrentDownloads: number;
  /** Bytes per second, all downloads together; 0 is unlimited. */
  maxOverallDownloadLimit: number;
}

export function globalSettings(options: Aria2Options, defaults: GlobalSettings): GlobalSettings {
  const jobs = one(options, "max-concurrent-downloads");
  const limit = one(options, "max-overall-download-limit");
  const settings = { ...defaults };
  if (jobs !== undefined) {
    const n = wholeNumber("max-concurrent-downloads", jobs);
    if (n < 1) throw new UsageError("option max-concurrent-downloads must be at least 1");
    settings.maxConcurrentDownloads = n;
  }
  if (limit !== undefined) {
    settings.maxOverallDownloadLimit = parseSpeed("max-overall-download-limit", limit);
  }
  return settings;
}

/** A header list as aria2 answers it in getOption: the lines, joined by newlines. */
export function optionsForWire(options: Aria2Options): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join("\n") : value,
    ]),
  );
}
