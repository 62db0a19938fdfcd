/**
 * One GET, redirects followed by the rules in core/redirect, statuses turned into errors.
 * Shared by the first request and every range request.
 */
import type { Transport, TransportResponse } from "./io/transport.js";
import { HttpStatusError, NetworkError, redactUrl } from "./errors.js";
import { isRedirect, nextHop } from "./core/redirect.js";
import { parseRetryAfter } from "./core/headers.js";
import { isSignedUrl } from "./core/secrets.js";
import { MAX_REASON_BODY, mayExplain, serverReason } from "./core/server-reason.js";

/** How long an error body may take to arrive before the error is reported without it. */
const REASON_TIMEOUT_MS = 2_000;

export interface Sent {
  response: TransportResponse;
  /** The URL that answered, after redirects. */
  url: URL;
  /** The request headers that survived the redirects (credentials are dropped across origins). */
  headers: Record<string, string>;
}

export async function send(
  transport: Transport,
  request: {
    url: URL;
    headers: Record<string, string>;
    lane: number;
    signal: AbortSignal;
    idleTimeoutMs: number;
  },
): Promise<Sent> {
  let { url, headers } = request;
  for (let hops = 0; ; hops++) {
    const response = await transport.get({ ...request, url, headers });
    if (isRedirect(response.status)) {
      response.cancel();
      ({ url, headers } = nextHop(url, response.headers["location"], headers, hops));
      continue;
    }
    // A 416 is an answer about the file's length, which the caller reads; other errors end here.
    if (response.status >= 400 && response.status !== 416) {
      const reason = await reasonOf(response, request.idleTimeoutMs);
      const expired = response.status === 403 && isSignedUrl(url);
      throw new HttpStatusError(
        response.status,
        redactUrl(url),
        parseRetryAfter(response.headers["retry-after"], Date.now()),
        {
          reason,
          hint: expired ? "the URL may have expired; rerun with a fresh URL to resume" : undefined,
        },
      );
    }
    return { response, url, headers };
  }
}

/**
 * Reads the start of an error body for the server's reason (S3 says why it refused a presigned
 * URL only there), briefly: a body that is slow, huge or not text is left unread.
 */
async function reasonOf(
  response: TransportResponse,
  idleTimeoutMs: number,
): Promise<string | undefined> {
  if (!mayExplain(response.headers["content-type"])) {
    response.cancel();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Cancelling ends the body, and with it the loop below.
  const timer = setTimeout(() => response.cancel(), Math.min(REASON_TIMEOUT_MS, idleTimeoutMs));
  try {
    for await (const chunk of response.body) {
      chunks.push(Buffer.from(chunk));
      size += chunk.length;
      if (size >= MAX_REASON_BODY) break;
    }
  } catch {
    // Cut short: what arrived may still say why.
  } finally {
    clearTimeout(timer);
    response.cancel();
  }
  const body = Buffer.concat(chunks).subarray(0, MAX_REASON_BODY);
  return serverReason(new TextDecoder().decode(body));
}

/** Anything a transport or body stream throws that is not ours is a network failure. */
export function asNetworkError(error: unknown, url: URL): NetworkError {
  if (error instanceof NetworkError) return error;
  const code = (error as { code?: string } | null)?.code;
  const timeout = code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT";
  const message = error instanceof Error ? error.message : String(error);
  return new NetworkError(
    timeout
      ? `no data from ${url.host} within the idle timeout`
      : `connection to ${url.host} failed: ${message}`,
    { cause: error, code: timeout ? "PARGET_TIMEOUT" : "PARGET_NETWORK" },
  );
}
