/**
 * The fast transport: requests over plain `net`/`tls` sockets, one per lane, kept alive. The
 * request is written by hand; socket reads land where net's `onread` is told (a caller buffer:
 * no allocation per read). The head is parsed by core/response-head.ts, strictly; the body is
 * framed by Content-Length or decoded from the chunked coding (core/chunked.ts), whatever the
 * status (a redirect or an error is answered here too: sending it again would double the
 * server's requests). Anything outside that subset (a proxy, no length, an odd head) goes to
 * `fallback` (undici), the reference: an odd head's request is sent again there, and its origin
 * is undici's from then on, as is that of a chunked body the strict decoder refuses. The engine
 * sees one Transport. A connection is closed whenever in doubt: a body cut short or cancelled,
 * bytes beyond the body, data while idle.
 *
 * Where a read lands: a reader of a Content-Length body that uses `readInto` (a lane) gets its
 * bytes in its own buffer: the next read goes straight there, after what is queued, when that
 * can be known to be where the reader will ask for it (no copy at all); otherwise a read lands
 * in the connection's small ring buffer and is copied out on request. A reader of `body` gets
 * views of the ring, each its own until it asks for the next one (transport.ts): then its bytes
 * may be read over. While no reader waits, chunks queue in the ring until it is nearly full,
 * then the socket is paused; TLS still delivers the records it has already decrypted after a
 * pause, so they queue too (the backlog, in buffers of their own once the ring is full) instead
 * of being dropped.
 */
import { createRequire } from "node:module";
import { connect as netConnect, isIP, type Socket } from "node:net";
import { MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from "../core/response-head.js";
import { ChunkedDecoder } from "../core/chunked.js";
import type { Transport, TransportRequest, TransportResponse } from "./transport.js";
import { beforeResponse } from "./transport.js";

export interface FastTransportOptions {
  /** Everything outside the fast subset goes here; it stays the reference. */
  fallback: Transport & { retire?(lane: number): Promise<void> };
  /** Extra CA certificates (PEM), trusted besides the system's. */
  ca?: string[];
  /** Skip certificate verification (--insecure). @default false */
  insecure?: boolean;
  /** The proxy for a URL, or null to connect directly: proxied requests go to the fallback. */
  proxyFor?: (url: URL) => URL | null;
  /** Sees the size of every chunk received, and whether it was read into memory of its own. */
  onReceived?: (bytes: number, allocated: boolean) => void;
  /** Bytes of each connection's ring buffer. @default ringBytesFor(lanes known) */
  ringBytes?: number;
}

/**
 * node:tls, loaded by the first https connection: with the crypto modules it brings, it touches
 * 1-4 MiB of Node's own code and data that a plain-HTTP download never needs.
 */
let tls: typeof import("node:tls") | undefined;
const loadTls = (): typeof import("node:tls") =>
  (tls ??= createRequire(import.meta.url)("node:tls") as typeof import("node:tls"));

/**
 * The rings' memory: a connection's ring is sized when its first read needs it, by the lanes
 * known then (the download warms all it opens before its first answer comes): 512 KiB each for up
 * to 8, less for more, so that 16 connections hold 4 MiB of rings, not 8. The ring holds what
 * arrives while its lane waits for a write; a smaller one pauses the socket sooner and reads less
 * at a time, which costs CPU: 2 MiB for 16 (128 KiB each) cost ~6% more CPU per GiB, 4 MiB none
 * measurable.
 */
const RING_BUDGET = 4 * 1024 * 1024;
export const ringBytesFor = (lanes: number): number =>
  Math.min(512 * 1024, Math.max(64 * 1024, Math.floor(RING_BUDGET / Math.max(1, lanes))));

/** A read is given at least this much room in the ring, or a buffer of its own. */
const MIN_READ = 16 * 1024;
const OVERFLOW_READ = 64 * 1024;

/** An error shaped as undici's, so the engine reads it the same way (http.ts, lane.ts). */
function undiciError(message: string, code: string, name: string): Error {
  return Object.assign(new Error(message), { code, name });
}

interface Span {
  start: number;
  end: number;
}

interface Entry {
  chunk: Uint8Array;
  /** Its place in the ring, or null for a buffer of its own or the reader's. */
  span: Span | null;
  /** It was received straight into the reader's buffer (readInto). */
  direct: boolean;
}

/** Where a read lands when not in the ring: a buffer of its own, or the reader's. */
const OWN_BUFFER = -1;
const READER_BUFFER = -2;

/** Whether `chunk` lies at buffer[offset] already. */
function inPlace(chunk: Uint8Array, buffer: Uint8Array, offset: number): boolean {
  return chunk.buffer === buffer.buffer && chunk.byteOffset === buffer.byteOffset + offset;
}

class Connection {
  readonly origin: string;
  readonly socket: Socket;
  /** Allocated by the first read (see RING_BUDGET); its size then is `#ringBytes()`. */
  #ringBuffer: Buffer | null = null;
  readonly #ringBytes: () => number;
  /** A quarter of the ring: one read as large as the ring would leave no room for the next. */
  #maxRingRead = 0;
  /** Ring spans handed out (queued or held by the reader), oldest first. */
  readonly #live: Span[] = [];
  /** Where the pending read lands: in the ring at `#regionStart`, or a buffer of its own. */
  #region: Uint8Array = new Uint8Array(0);
  #regionStart = 0;
  readonly #head = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  #headLength = 0;

  /** What the connection is doing; "dead" is final. */
  state: "idle" | "head" | "body" | "dead" = "idle";
  /** Whether the connection ever carried a response (a reused one may have been closed idle). */
  used = false;
  #keepAlive = false;
  /** Bytes of a Content-Length body still to come. */
  #remaining = 0;
  /** The decoder of a chunked body, or null when Content-Length frames it. */
  #chunked: ChunkedDecoder | null = null;
  /** The chunked framing was refused: the origin's next requests go to the fallback. */
  framingRefused = false;
  #queue: Entry[] = [];
  #held: Entry | null = null;
  #paused = false;
  #failure: Error | undefined;
  #reader: { read: (r: IteratorResult<Uint8Array>) => void; fail: (e: Error) => void } | null =
    null;
  /** A readInto that waits for bytes. */
  #into: {
    buffer: Uint8Array;
    offset: number;
    read: (n: number) => void;
    fail: (e: Error) => void;
  } | null = null;
  /**
   * The buffer of the last readInto and where its next bytes go: reads may land there, after
   * whatever is queued, before the reader asks for them (transport.ts, readInto).
   */
  #ahead: { buffer: Uint8Array; next: number } | null = null;
  #onHead: ((verdict: { head: ResponseHead } | { odd: string } | { error: Error }) => void) | null =
    null;
  #phase: "head" | "body" = "head";

  /** Settles once the socket has closed. */
  readonly closed: Promise<void>;
  readonly #onReceived: (bytes: number, allocated: boolean) => void;

  constructor(
    url: URL,
    tlsOptions: { ca?: string[]; insecure?: boolean },
    ringBytes: () => number,
    onReceived: (bytes: number, allocated: boolean) => void,
  ) {
    this.origin = url.origin;
    this.#onReceived = onReceived;
    this.#ringBytes = ringBytes;
    const onread = {
      buffer: () => this.#nextRegion(),
      callback: (n: number, buffer: Uint8Array) => this.#onRead(n, buffer),
    };
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const https = url.protocol === "https:";
    const port = Number(url.port || (https ? 443 : 80));
    this.socket = https
      ? loadTls().connect({
          host: hostname,
          port,
          // Node passes `onread` on to the TLS socket it makes (its types omit it).
          ...({ onread } as object),
          ALPNProtocols: ["http/1.1"],
          ...(isIP(hostname) ? {} : { servername: hostname }),
          ...(tlsOptions.ca?.length
            ? { ca: [...loadTls().rootCertificates, ...tlsOptions.ca] }
            : {}),
          ...(tlsOptions.insecure ? { rejectUnauthorized: false } : {}),
        })
      : netConnect({ host: hostname, port, onread, noDelay: true });
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    // Mid-body, as undici reports a connection lost (the engine reads a body cut short by this
    // code); before, as it is (a certificate refused must say so).
    this.socket.on("error", (error) =>
      this.#die(
        this.#phase === "body"
          ? Object.assign(undiciError(error.message, "UND_ERR_SOCKET", "SocketError"), {
              cause: error,
            })
          : error,
      ),
    );
    this.socket.on("close", () =>
      this.#die(undiciError("other side closed", "UND_ERR_SOCKET", "SocketError")),
    );
    this.socket.on("end", () =>
      this.#die(undiciError("other side closed", "UND_ERR_SOCKET", "SocketError")),
    );
    this.socket.on("timeout", () => {
      const head = this.#phase === "head";
      this.#die(
        head
          ? undiciError("Headers Timeout Error", "UND_ERR_HEADERS_TIMEOUT", "HeadersTimeoutError")
          : undiciError("Body Timeout Error", "UND_ERR_BODY_TIMEOUT", "BodyTimeoutError"),
      );
    });
  }

  /** Sends a request; resolves with its head, or says why the fast path does not apply. */
  send(
    text: string,
    idleTimeoutMs: number,
  ): Promise<{ head: ResponseHead } | { odd: string } | { error: Error }> {
    this.state = "head";
    this.#phase = "head";
    this.#headLength = 0;
    this.#chunked = null;
    this.#ahead = null;
    this.#failure = undefined;
    this.socket.setTimeout(idleTimeoutMs);
    return new Promise((resolve) => {
      this.#onHead = resolve;
      this.socket.write(text, "latin1");
    });
  }

  /** The body of the response whose head came. */
  body(): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => this.#next(),
        return: async () => {
          this.cancel();
          return { done: true, value: undefined };
        },
      }),
    };
  }

  /** Receives the next bytes of a Content-Length body into buffer[offset, ...): transport.ts. */
  readInto(buffer: Uint8Array, offset: number): Promise<number> {
    const entry = this.#queue[0];
    if (entry) {
      const n = Math.min(entry.chunk.length, buffer.length - offset);
      if (!inPlace(entry.chunk, buffer, offset)) buffer.set(entry.chunk.subarray(0, n), offset);
      if (n === entry.chunk.length) {
        this.#queue.shift();
        if (entry.span) this.#live.shift();
      } else {
        entry.chunk = entry.chunk.subarray(n);
        if (entry.span) entry.span.start += n;
      }
      this.#ahead = { buffer, next: offset + n };
      return Promise.resolve(n);
    }
    if (this.#complete) return Promise.resolve(0);
    if (this.#failure) return Promise.reject(this.#failure);
    this.#ahead = { buffer, next: offset };
    if (this.#paused && this.state !== "dead") {
      this.#paused = false;
      this.socket.resume();
    }
    return new Promise((read, fail) => {
      this.#into = { buffer, offset, read, fail };
    });
  }

  /** Stops the body; the connection goes unless the body was complete. */
  cancel(): void {
    if (this.#complete && this.state !== "dead") {
      // Complete: what is queued is the reader's no more.
      this.#queue = [];
      this.#held = null;
      this.#live.length = 0;
      return;
    }
    this.#die(new Error("response cancelled"));
  }

  /** Idle, with nothing of a previous body left unread. */
  get reusable(): boolean {
    return this.state === "idle" && this.#queue.length === 0 && this.#held === null;
  }

  destroy(): void {
    this.#die(new Error("connection closed"));
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    this.#release();
    const entry = this.#queue.shift();
    if (entry) {
      this.#held = entry;
      return Promise.resolve({ done: false, value: entry.chunk });
    }
    if (this.#complete) {
      return Promise.resolve({ done: true, value: undefined });
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#paused && this.state !== "dead") {
      this.#paused = false;
      this.socket.resume();
    }
    return new Promise((read, fail) => {
      this.#reader = { read, fail };
    });
  }

  /** The whole body has arrived (though the reader may not have taken it all yet). */
  get #complete(): boolean {
    if (this.#phase !== "body") return false;
    return this.#chunked ? this.#chunked.done : this.#remaining === 0;
  }

  /** The reader asks again: the chunk it held may be read over. */
  #release(): void {
    const held = this.#held;
    this.#held = null;
    if (held?.span) this.#live.shift();
  }

  #deliver(chunk: Uint8Array, span: Span | null, direct: boolean): void {
    this.#onReceived(chunk.length, span === null && !direct);
    const into = this.#into;
    if (into) {
      this.#into = null;
      const { buffer, offset } = into;
      const n = Math.min(chunk.length, buffer.length - offset);
      if (!inPlace(chunk, buffer, offset)) buffer.set(chunk.subarray(0, n), offset);
      this.#ahead = { buffer, next: offset + n };
      into.read(n);
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
      if (span) span.start += n;
    }
    const entry = { chunk, span, direct };
    if (span) this.#live.push(span);
    const reader = this.#reader;
    if (reader) {
      this.#reader = null;
      this.#held = entry;
      reader.read({ done: false, value: chunk });
      return;
    }
    this.#queue.push(entry);
    // The ring is the backlog: reading on costs nothing until it is nearly full (pausing and
    // resuming a socket are system calls); then the socket pauses and TCP slows the server.
    // It pauses while one more read still fits: the read after a pause lands where the region
    // chosen now says, and a full ring would make it a buffer of its own (garbage).
    const [start, end] = this.#freeRun();
    if (end - start < this.#maxRingRead + MIN_READ) this.#paused = true;
  }

  /**
   * Where the next read lands: the reader's buffer when it may, else the larger free run of the
   * ring, or a buffer of its own.
   */
  #nextRegion(): Uint8Array {
    const ahead = this.#readerRegion();
    if (ahead) {
      this.#regionStart = READER_BUFFER;
      this.#region = ahead;
      return ahead;
    }
    const [start, end] = this.#freeRun();
    if (end - start < MIN_READ) {
      this.#regionStart = OWN_BUFFER;
      this.#region = Buffer.allocUnsafe(OVERFLOW_READ);
    } else {
      this.#regionStart = start;
      this.#region = this.#ring().subarray(start, Math.min(end, start + this.#maxRingRead));
    }
    return this.#region;
  }

  /**
   * The part of the reader's buffer (readInto) the next bytes of the body will be asked into, if
   * a read may land there: after what is queued, which must then be in place already (bytes
   * queued elsewhere are copied there later, and nothing may land where they go), and no further
   * than the body (a kept-alive connection's next response is not the reader's). Not while the
   * socket pauses: the reader may be back at the start of that buffer before the read lands.
   */
  #readerRegion(): Uint8Array | null {
    const ahead = this.#ahead;
    if (!ahead || this.state !== "body" || this.#chunked || this.#paused) return null;
    let at = ahead.next;
    for (const entry of this.#queue) {
      if (entry.direct && !inPlace(entry.chunk, ahead.buffer, at)) return null;
      at += entry.chunk.length;
    }
    const room = Math.min(ahead.buffer.length - at, this.#remaining);
    if (room < Math.min(MIN_READ, this.#remaining)) return null;
    return ahead.buffer.subarray(at, at + room);
  }

  #ring(): Buffer {
    if (this.#ringBuffer === null) {
      const bytes = this.#ringBytes();
      this.#ringBuffer = Buffer.allocUnsafeSlow(bytes);
      this.#maxRingRead = Math.max(MIN_READ, Math.floor(bytes / 4));
    }
    return this.#ringBuffer;
  }

  /** The larger free run of the ring: after the newest span, or before the oldest. */
  #freeRun(): [number, number] {
    const ring = this.#ring();
    const first = this.#live[0];
    const last = this.#live[this.#live.length - 1];
    let start = 0;
    let end = ring.length;
    if (first && last) {
      if (last.start >= first.start) {
        // Not wrapped: room after the newest span, or before the oldest.
        const after = ring.length - last.end;
        [start, end] = after >= first.start ? [last.end, ring.length] : [0, first.start];
      } else [start, end] = [last.end, first.start];
    }
    return [start, end];
  }

  /** Returns false to pause the socket: a chunk waits with no reader. */
  #onRead(n: number, buffer: Uint8Array): boolean {
    const start = this.#regionStart;
    if (this.state === "head") {
      const before = this.#headLength;
      const copied = Math.min(n, MAX_HEAD_BYTES - before);
      this.#head.set(buffer.subarray(0, copied), before);
      this.#headLength += copied;
      const verdict = parseResponseHead(this.#head, this.#headLength);
      if (verdict.kind === "incomplete") return true;
      const onHead = this.#onHead!;
      this.#onHead = null;
      if (verdict.kind === "odd") {
        this.#die(new Error(verdict.reason));
        onHead({ odd: verdict.reason });
        return false;
      }
      const head = verdict.head;
      this.used = true;
      this.#keepAlive = head.keepAlive;
      this.#remaining = head.contentLength ?? 0;
      if (head.contentLength === null) this.#chunked = new ChunkedDecoder();
      this.#phase = "body";
      this.state = "body";
      const bodyAt = head.headLength - before;
      onHead({ head });
      if (this.#complete) this.#finish(bodyAt < n);
      else if (bodyAt < n) this.#body(buffer, bodyAt, n, start);
    } else if (this.state === "body") {
      this.#body(buffer, 0, n, start);
    } else {
      // Bytes nobody asked for: this connection cannot be trusted with another request.
      this.#die(new Error("data on an idle connection"));
    }
    return !this.#paused && this.state !== "dead";
  }

  #body(buffer: Uint8Array, from: number, n: number, regionStart: number): void {
    if (this.#chunked) {
      // Never in the reader's buffer: chunk sizes would land among its bytes.
      const span = (start: number, end: number): Span | null =>
        regionStart < 0 ? null : { start: regionStart + start, end: regionStart + end };
      const stop = this.#chunked.feed(buffer, from, n, (start, end) =>
        this.#deliver(buffer.subarray(start, end), span(start, end), false),
      );
      if (stop < 0) {
        this.framingRefused = true;
        this.#die(undiciError("invalid chunked body", "HPE_INVALID_CHUNK_SIZE", "HTTPParserError"));
      } else if (this.#chunked.done) this.#finish(stop < n);
      return;
    }
    const take = Math.min(n - from, this.#remaining);
    this.#remaining -= take;
    const span =
      regionStart < 0 ? null : { start: regionStart + from, end: regionStart + from + take };
    this.#deliver(buffer.subarray(from, from + take), span, regionStart === READER_BUFFER);
    if (this.#remaining === 0) this.#finish(from + take < n);
  }

  /** The body is complete: the connection serves the next request, or goes. */
  #finish(extra: boolean): void {
    this.socket.setTimeout(0);
    if (this.#reader && this.#queue.length === 0) {
      const reader = this.#reader;
      this.#reader = null;
      reader.read({ done: true, value: undefined });
    }
    const into = this.#into;
    this.#into = null;
    into?.read(0);
    if (extra || !this.#keepAlive) {
      this.state = "dead";
      this.socket.destroy();
    } else {
      // Idle, it reads on, to see the server close it.
      this.state = "idle";
      if (this.#paused) {
        this.#paused = false;
        this.socket.resume();
      }
    }
  }

  #die(error: Error): void {
    const complete = this.#complete;
    if (this.state !== "dead") {
      this.state = "dead";
      this.socket.destroy();
    }
    if (this.#onHead) {
      const onHead = this.#onHead;
      this.#onHead = null;
      // Part of a head, then the end: undici, the reference, says what it was.
      onHead(this.#headLength > 0 ? { odd: "a head cut short" } : { error });
    }
    if (complete || this.#failure) return;
    // A body up to the close that stopped short: undici names its length as the culprit.
    this.#failure =
      this.#phase === "body" &&
      !this.#chunked &&
      !this.#keepAlive &&
      error.message !== "response cancelled"
        ? undiciError(
            "Response body length does not match content-length header",
            "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
            "ResponseContentLengthMismatchError",
          )
        : error;
    error = this.#failure;
    const reader = this.#reader;
    this.#reader = null;
    reader?.fail(error);
    const into = this.#into;
    this.#into = null;
    into?.fail(error);
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const VALUE = /^[^\x00\r\n]*$/;

/** The request as undici would send it, or null when a header cannot be written as is. */
function requestText(request: TransportRequest): string | null {
  const { url, headers } = request;
  let host = url.host;
  let lines = "";
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || !VALUE.test(value)) return null;
    if (name.toLowerCase() === "host") host = value;
    else lines += `${name}: ${value}\r\n`;
  }
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${host}\r\n${lines}\r\n`;
}

export function createFastTransport(options: FastTransportOptions): Transport {
  const { fallback } = options;
  const proxyFor = options.proxyFor ?? (() => null);
  /** One more than the highest lane warmed or asked for: the lanes the rings are sized for. */
  let lanes = 0;
  const ringBytes = (): number => options.ringBytes ?? ringBytesFor(lanes);
  const tlsOptions = {
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.insecure ? { insecure: true } : {}),
  };
  const onReceived = options.onReceived ?? (() => {});
  const connections = new Map<number, Connection>();
  /** Lanes whose last request went to the fallback: its connection closes before ours opens. */
  const delegated = new Set<number>();
  /** Origins that sent a head outside the subset: they talk to the fallback from then on. */
  const odd = new Set<string>();
  /** Warm-ups wait for the first connection to an origin (see transport.ts). */
  const firstConnections = new Map<string, Promise<void>>();
  let closed = false;

  function fast(url: URL): boolean {
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      !odd.has(url.origin) &&
      proxyFor(url) === null
    );
  }

  function open(url: URL, lane: number): Connection {
    const connection = new Connection(url, tlsOptions, ringBytes, onReceived);
    connections.set(lane, connection);
    if (!firstConnections.has(url.origin)) {
      firstConnections.set(
        url.origin,
        new Promise((resolve) => {
          connection.socket.once(url.protocol === "https:" ? "secureConnect" : "connect", resolve);
          connection.socket.once("close", resolve);
        }),
      );
    }
    return connection;
  }

  async function leaveFallback(lane: number): Promise<void> {
    if (!delegated.delete(lane)) return;
    await fallback.retire?.(lane);
  }

  async function delegate(request: TransportRequest): Promise<TransportResponse> {
    const connection = connections.get(request.lane);
    connections.delete(request.lane);
    connection?.destroy();
    await connection?.closed;
    delegated.add(request.lane);
    return fallback.get(request);
  }

  async function attempt(
    request: TransportRequest,
    text: string,
  ): Promise<TransportResponse | "odd" | "retry"> {
    const { url, lane, signal } = request;
    let connection = connections.get(lane);
    if (!connection?.reusable || connection.origin !== url.origin) {
      // A lane never holds two connections, not even while the old one closes.
      connection?.destroy();
      await connection?.closed;
      connection = connections.get(lane);
      if (!connection?.reusable || connection.origin !== url.origin) connection = open(url, lane);
    }
    const reused = connection.used;
    const onAbort = (): void => connection.destroy();
    signal.addEventListener("abort", onAbort, { once: true });
    let outcome;
    try {
      outcome = await connection.send(text, request.idleTimeoutMs);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    signal.throwIfAborted();
    if ("odd" in outcome) {
      odd.add(url.origin);
      return "odd";
    }
    if ("error" in outcome) {
      // A kept-alive connection the server closed while idle: the request never reached it.
      if (reused) return "retry";
      throw beforeResponse(outcome.error, request);
    }
    const conn = connection;
    const stop = (): void => conn.destroy();
    signal.addEventListener("abort", stop, { once: true });
    const { head } = outcome;
    const body = conn.body();
    /** A read of the body; its end, or its failure, stops watching the signal. */
    const watched = async <T>(read: Promise<T>, ended: (result: T) => boolean): Promise<T> => {
      try {
        const result = await read;
        if (ended(result)) signal.removeEventListener("abort", stop);
        return result;
      } catch (error) {
        signal.removeEventListener("abort", stop);
        if (conn.framingRefused) odd.add(url.origin);
        if (signal.aborted) throw signal.reason;
        throw error;
      }
    };
    return {
      status: head.status,
      headers: head.headers,
      body: {
        [Symbol.asyncIterator]: () => {
          const inner = body[Symbol.asyncIterator]();
          return {
            next: () => watched(inner.next(), (result) => result.done === true),
            return: async () => {
              signal.removeEventListener("abort", stop);
              conn.cancel();
              return { done: true, value: undefined };
            },
          };
        },
      },
      // A chunked body is only ever read through the ring (its chunk sizes are among the bytes).
      ...(head.contentLength === null
        ? {}
        : {
            readInto: (buffer: Uint8Array, offset: number) =>
              watched(conn.readInto(buffer, offset), (n) => n === 0),
          }),
      cancel: () => {
        signal.removeEventListener("abort", stop);
        conn.cancel();
      },
    };
  }

  return {
    async get(request) {
      request.signal.throwIfAborted();
      lanes = Math.max(lanes, request.lane + 1);
      const text = requestText(request);
      if (!fast(request.url) || text === null) return delegate(request);
      await leaveFallback(request.lane);
      for (let tries = 0; ; tries++) {
        const result = await attempt(request, text);
        if (result === "odd") return delegate(request);
        if (result !== "retry") return result;
        if (tries > 0) return delegate(request);
      }
    },

    warm(url, lane) {
      lanes = Math.max(lanes, lane + 1);
      if (!fast(url)) return fallback.warm(url, lane);
      if (delegated.has(lane) || connections.has(lane)) return;
      const first = firstConnections.get(url.origin);
      if (!first) return void open(url, lane);
      void first.then(() => {
        if (!closed && !connections.has(lane)) open(url, lane);
      });
    },

    async close() {
      closed = true;
      for (const connection of connections.values()) connection.destroy();
      connections.clear();
      await fallback.close();
    },
  };
}
