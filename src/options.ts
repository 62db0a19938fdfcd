import type { Transport } from "./io/transport.js";
import type { DownloadEvent } from "./events.js";
import { UsageError } from "./errors.js";
import { parseProxyUrl } from "./core/proxy.js";
import { RateLimit, toRateLimit } from "./rate-limit.js";

export type DigestAlgorithm =
  "sha256" | "sha512" | "sha1" | "md5" | "crc32c" | "crc32" | "crc64nvme";
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = [
  "sha256",
  "sha512",
  "sha1",
  "md5",
  "crc32c",
  "crc32",
  "crc64nvme",
];

/** A digest the finished file must match: given by the user, or announced by the server. */
export interface ExpectedDigest {
  algorithm: DigestAlgorithm;
  /** Lower-case hex; a CRC as its big-endian bytes (8 hex digits, 16 for CRC-64/NVME). */
  hex: string;
  /**
   * Where it came from: "user", "x-goog-hash", "content-md5", "x-ms-blob-content-md5",
   * "repr-digest", "content-digest", "digest", "x-amz-checksum".
   */
  source: string;
}

export interface DownloadOptions {
  /**
   * Where to save the file: the caller's own path, taken relative to `dir` (or absolute), so it
   * may lie outside `dir`. @default Content-Disposition's filename, else the URL's last path
   * segment, both reduced to a safe base name inside `dir`
   */
  output?: string;
  /** Directory that receives the file; a name from the server never leads outside it. @default "." */
  dir?: string;
  /**
   * Most connections open to the server at once. When unset the count adapts: it starts at
   * `DEFAULTS.startConnections` and doubles while the throughput follows, up to
   * `DEFAULTS.maxConnections`, and drops at the first sign that the server refuses more.
   * At most `MAX_CONNECTIONS`.
   * @default adaptive, 4 to 16
   */
  connections?: number;
  /** Fixed range size in bytes. When unset, ranges are split dynamically and stolen. */
  chunkSize?: number;
  /** Smallest piece the dynamic planner will split off. @default 1 MiB */
  minSplitSize?: number;
  /**
   * Largest piece the dynamic planner hands out at a time. Smaller pieces keep the written part
   * contiguous from the start, so sequential hashes are nearly done when the last byte lands.
   * @default 16 MiB
   */
  maxPieceSize?: number;
  /** Digests the result must match. */
  checksums?: ExpectedDigest[];
  /** Failed attempts in a row, without progress, before one range gives up. @default 5 */
  retries?: number;
  /** A connection that receives nothing for this long is aborted and retried. @default 30000 */
  idleTimeoutMs?: number;
  /**
   * The most bytes per second this download reads, all its connections together; undefined or 0
   * for no limit. A `RateLimit` instead of a number can be changed while the download runs
   * (`limit.change(bytesPerSecond)`), and one shared by several downloads limits them together.
   * A limited download starts with one connection and adds more only while the limit is not
   * reached. @default undefined, no limit
   */
  rateLimit?: number | RateLimit;
  /** Replace an existing file at the final path. @default false */
  overwrite?: boolean;
  /**
   * The proxy to use (`http://host:port`, credentials allowed). Unset: from the environment, as
   * curl reads it (`http_proxy`, `https_proxy`/`HTTPS_PROXY`, `all_proxy`, `no_proxy`). `null`:
   * never a proxy. `no_proxy` applies to an explicit proxy too.
   */
  proxy?: string | null;
  /** Skip TLS certificate verification. @default false */
  insecure?: boolean;
  /** Extra CA certificates (PEM text) to trust besides the system's. */
  caCertificates?: string[];
  /** Extra request headers. Authorization and Cookie are dropped when a redirect changes origin. */
  headers?: Record<string, string>;
  /** Cancels the download; the partial data and its state are kept for a resume. */
  signal?: AbortSignal;
  /** Receives progress events. */
  onEvent?: (event: DownloadEvent) => void;
  /** How often a progress event is emitted. @default 250 */
  progressIntervalMs?: number;
  /** The HTTP transport; tests and wrappers (throttling, faults) inject their own. @default createTransport() */
  transport?: Transport;
}

export type NormalizedOptions = Required<
  Omit<
    DownloadOptions,
    "output" | "chunkSize" | "signal" | "onEvent" | "transport" | "proxy" | "rateLimit"
  >
> & {
  /** undefined: from the environment. */
  proxy: string | null | undefined;
  output: string | undefined;
  /** The user set no connection count: `connections` is the adaptive ramp's cap. */
  adaptive: boolean;
  chunkSize: number | undefined;
  signal: AbortSignal | undefined;
  onEvent: (event: DownloadEvent) => void;
  transport: Transport | undefined;
  /** undefined: no limit, and none can be set later. */
  rateLimit: RateLimit | undefined;
};

/** The defaults `normalizeOptions` fills in (the CLI's --help shows them). */
export const DEFAULTS = {
  dir: ".",
  startConnections: 4,
  maxConnections: 16,
  minSplitSize: 1024 * 1024,
  maxPieceSize: 16 * 1024 * 1024,
  retries: 5,
  idleTimeoutMs: 30_000,
  progressIntervalMs: 250,
} as const;

/**
 * The most connections one download may open. Four times the adaptive cap and aria2c's `-x` limit
 * (16): past that a server sees abuse, not a client. Each connection also holds two write batches
 * of at least 128 KiB, so 64 keep those at 16 MiB of the CLI's 100 MiB memory budget.
 */
export const MAX_CONNECTIONS = 64;

export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${name} must be a positive whole number, got ${value}`);
  }
  return value;
}

function connectionCount(value: number): number {
  const count = positiveInteger("connections", value);
  if (count > MAX_CONNECTIONS) {
    throw new UsageError(`connections must be at most ${MAX_CONNECTIONS}, got ${count}`);
  }
  return count;
}

/** Checks options once and fills in every default the engine reads. */
export function normalizeOptions(options: DownloadOptions = {}): NormalizedOptions {
  const retries = options.retries ?? DEFAULTS.retries;
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new UsageError(`retries must be a whole number of at least 0, got ${retries}`);
  }
  return {
    output: options.output,
    dir: options.dir ?? DEFAULTS.dir,
    connections: connectionCount(options.connections ?? DEFAULTS.maxConnections),
    adaptive: options.connections === undefined,
    chunkSize:
      options.chunkSize === undefined
        ? undefined
        : positiveInteger("chunk size", options.chunkSize),
    maxPieceSize: positiveInteger(
      "maximum piece size",
      options.maxPieceSize ?? DEFAULTS.maxPieceSize,
    ),
    minSplitSize: positiveInteger(
      "minimum split size",
      options.minSplitSize ?? DEFAULTS.minSplitSize,
    ),
    checksums: options.checksums ?? [],
    retries,
    idleTimeoutMs: positiveInteger("idle timeout", options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs),
    overwrite: options.overwrite ?? false,
    rateLimit: toRateLimit(options.rateLimit),
    proxy: typeof options.proxy === "string" ? parseProxyUrl(options.proxy).href : options.proxy,
    insecure: options.insecure ?? false,
    caCertificates: options.caCertificates ?? [],
    headers: options.headers ?? {},
    signal: options.signal,
    onEvent: options.onEvent ?? (() => {}),
    progressIntervalMs: positiveInteger(
      "progress interval",
      options.progressIntervalMs ?? DEFAULTS.progressIntervalMs,
    ),
    transport: options.transport,
  };
}
