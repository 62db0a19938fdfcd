/**
 * The HTTP transport: the only code that speaks HTTP. The engine sees this small interface;
 * tests and wrappers (throttling, fault injection, logging) provide their own.
 */

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
  /** The body; the engine either drains it or calls `cancel()`. */
  body: AsyncIterable<Uint8Array>;
  /** Stop receiving the body and free the connection. */
  cancel(): void;
}

export interface Transport {
  /** Sends one GET. Redirects are not followed: the engine decides them. */
  get(request: TransportRequest): Promise<TransportResponse>;
  /** Opens a lane's connection ahead of its first request, so the handshake overlaps other work. */
  warm(url: URL, lane: number): void;
  /** Closes every connection. */
  close(): Promise<void>;
}
