/**
 * Every failure parget reports is a PargetError: a stable `code`, the CLI exit status it maps to,
 * whether retrying the same request could help, and the underlying `cause`.
 */
import { isRetryableStatus } from "./core/retry.js";

export const EXIT = {
  ok: 0,
  other: 1,
  usage: 2,
  filesystem: 3,
  network: 4,
  http: 5,
  integrity: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The one table from error codes to exit statuses; the README shows the same table. */
export const ERROR_CODES = {
  PARGET_USAGE: EXIT.usage,
  PARGET_BAD_URL: EXIT.usage,
  PARGET_FILE_EXISTS: EXIT.filesystem,
  PARGET_FILESYSTEM: EXIT.filesystem,
  PARGET_NETWORK: EXIT.network,
  PARGET_TIMEOUT: EXIT.network,
  PARGET_HTTP_STATUS: EXIT.http,
  PARGET_BAD_RESPONSE: EXIT.http,
  PARGET_TOO_MANY_REDIRECTS: EXIT.http,
  PARGET_CHECKSUM_MISMATCH: EXIT.integrity,
  PARGET_NOT_LISTED: EXIT.integrity,
  PARGET_REMOTE_CHANGED: EXIT.other,
  PARGET_ABORTED: EXIT.other,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PargetError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code];
  }
}

/** Bad options or arguments; nothing was fetched. */
export class UsageError extends PargetError {
  constructor(message: string, code: "PARGET_USAGE" | "PARGET_BAD_URL" = "PARGET_USAGE") {
    super(code, message);
  }
}

/** A local file-system failure (unwritable directory, disk full, existing file). */
export class FileSystemError extends PargetError {
  constructor(
    message: string,
    options: { cause?: unknown; code?: "PARGET_FILESYSTEM" | "PARGET_FILE_EXISTS" } = {},
  ) {
    super(options.code ?? "PARGET_FILESYSTEM", message, { cause: options.cause });
  }
}

/** The connection failed, stalled or was reset. Retryable until the retry budget is spent. */
export class NetworkError extends PargetError {
  constructor(
    message: string,
    options: {
      cause?: unknown;
      code?: "PARGET_NETWORK" | "PARGET_TIMEOUT";
      retryable?: boolean;
    } = {},
  ) {
    super(options.code ?? "PARGET_NETWORK", message, {
      cause: options.cause,
      retryable: options.retryable ?? true,
    });
  }
}

/** The server answered with a status that is not a success. */
export class HttpStatusError extends PargetError {
  readonly status: number;
  /** Milliseconds the server asked us to wait (Retry-After), if it said. */
  readonly retryAfterMs: number | undefined;
  /** The server's own reason, from its error body (one printable line, secrets redacted). */
  readonly reason: string | undefined;

  /** `url` is shown as given: redact it first. `hint` says what the user can do about it. */
  constructor(
    status: number,
    url: string,
    retryAfterMs?: number,
    details: { reason?: string | undefined; hint?: string | undefined } = {},
  ) {
    const reason = details.reason ? `: ${details.reason}` : "";
    const hint = details.hint ? ` (${details.hint})` : "";
    super("PARGET_HTTP_STATUS", `HTTP ${status} from ${url}${reason}${hint}`, {
      retryable: isRetryableStatus(status),
    });
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.reason = details.reason;
  }
}

/** The server broke the protocol: a wrong Content-Range, a short body, a redirect we refuse. */
export class BadResponseError extends PargetError {
  constructor(
    message: string,
    options: {
      retryable?: boolean;
      code?: "PARGET_BAD_RESPONSE" | "PARGET_TOO_MANY_REDIRECTS";
    } = {},
  ) {
    super(options.code ?? "PARGET_BAD_RESPONSE", message, {
      retryable: options.retryable ?? false,
    });
  }
}

/** The file changed on the server while we were fetching it and a restart did not settle it. */
export class RemoteChangedError extends PargetError {
  constructor(message: string) {
    super("PARGET_REMOTE_CHANGED", message);
  }
}

export interface DigestMismatch {
  algorithm: string;
  source: string;
  expected: string;
  actual: string;
}

/** The bytes on disk do not match a digest we were given; the data is kept beside the target. */
export class ChecksumMismatchError extends PargetError {
  readonly mismatches: DigestMismatch[];
  readonly partialPath: string;

  constructor(mismatches: DigestMismatch[], partialPath: string) {
    const what = mismatches
      .map((m) => `${m.algorithm} (${m.source}) expected ${m.expected}, got ${m.actual}`)
      .join("; ");
    super(
      "PARGET_CHECKSUM_MISMATCH",
      `integrity check failed: ${what}; data kept in ${partialPath}`,
    );
    this.mismatches = mismatches;
    this.partialPath = partialPath;
  }
}

/** A checksum list that must cover every file of the set (--checksums) does not name this one. */
export class NotListedError extends PargetError {
  constructor(path: string, list: string) {
    super("PARGET_NOT_LISTED", `${path} is not listed in ${list}, so it cannot be verified`);
  }
}

export class AbortedError extends PargetError {
  constructor() {
    super("PARGET_ABORTED", "download aborted; rerun to resume");
  }
}

/** URLs fit for a message: no userinfo, and no credential parameter's value (core/secrets). */
export { redactText, redactUrl } from "./core/secrets.js";

/** Maps anything thrown to the exit status the CLI reports. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof PargetError ? error.exitCode : EXIT.other;
}
