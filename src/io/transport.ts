/**
 * The HTTP transport's interface: the engine sees only this. The default is the fast transport
 * (fast-transport.ts) over undici (undici-transport.ts); tests and wrappers (throttling, fault
 * injection, logging) provide their own.
 */
import { BadResponseError, NetworkError, type PargetError } from "../errors.js";

export interface TransportRequest {
  url: URL;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** Which of the engine's connection slots sends it (0 .. connections-1). */
  lane: number;
  /** Abort the request when no byte arrives for this long. */
  idleTimeoutMs: number;
}

export interface TransportResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", " (set-cookie aside). */
  headers: Record<string, string>;
  /**
   * The body; the engine either drains it or calls `cancel()`. A chunk is the reader's only until
   * it asks for the next one: a transport may then reuse its memory (copy what you keep).
   */
  body: AsyncIterable<Uint8Array>;
  /**
   * Optional, instead of `body`: receives the next bytes of the body into buffer[offset, ...) and
   * resolves with their count, 0 once the body has ended. Until the next call, the transport may
   * already be receiving into that buffer past the bytes it returned: the reader writes nothing
   * there, and asks for those bytes with the same buffer at the following offset (another buffer
   * gets them by a copy).
   */
  readInto?(buffer: Uint8Array, offset: number): Promise<number>;
  /** Stop receiving the body and free the connection. */
  cancel(): void;
}

export interface Transport {
  /** Sends one GET. Redirects are not followed: the engine decides them. */
  get(request: TransportRequest): Promise<TransportResponse>;
  /** Opens a lane's connection ahead of its first request, so the handshake overlaps other work. */
  warm(url: URL, lane: number): void;
  /**
   * The lane stopped: its connection may serve another download (a set's pool). A transport of
   * one download's own keeps it open until close().
   */
  release?(lane: number): void;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** Why no response came: the server was not reached, did not answer, or does not speak HTTP. */
export function beforeResponse(error: unknown, request: TransportRequest): PargetError {
  const { host } = request.url;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "UND_ERR_HEADERS_TIMEOUT") {
    return new NetworkError(
      `${host} accepted the connection but sent no response within ` +
        `${request.idleTimeoutMs / 1000} s (--timeout)`,
      { cause: error, code: "PARGET_TIMEOUT" },
    );
  }
  if ((error as Error | null)?.name === "HTTPParserError") {
    return new BadResponseError(
      `${host} answered, but not in HTTP (${describe(error)}); is it the right port and scheme?`,
    );
  }
  const untrusted = isCertificateError(error);
  return new NetworkError(
    `cannot reach ${host}: ${describe(error)}${untrusted ? " (see --ca-certificate, --insecure)" : ""}`,
    { cause: error, retryable: !untrusted },
  );
}

/** A certificate the client does not trust will not be trusted on a retry either. */
function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === "string" &&
    (code.includes("CERT") ||
      code.includes("SELF_SIGNED") ||
      code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE")
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
