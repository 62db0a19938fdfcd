/**
 * A plain node:http client for tests that need what fetch hides: a body cut short, the exact
 * headers, a fresh connection per request.
 */
import dc from "node:diagnostics_channel";
import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import net, { type Socket } from "node:net";
import type { TestContext } from "node:test";
import { setTimeout as delay } from "node:timers/promises";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Whether the whole message arrived (false when the connection was cut mid-body). */
  complete: boolean;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Defaults to no agent: a new connection, closed after the response. */
  agent?: http.Agent;
  ca?: string;
}

/** Sends one request and resolves when the response ends, completely or not. */
export function request(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const send = url.startsWith("https:") ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        agent: options.agent ?? false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        // A cut body also emits 'error'; `complete` reports it.
        res.on("error", () => {});
        res.on("close", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            complete: res.complete,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

export interface WireExchange {
  /** The status line and headers, as sent. */
  head: string;
  body: Buffer;
  /** How the server ended the connection: a clean close (FIN) or a reset (RST). */
  end: "fin" | "reset";
}

/** One GET over a bare TCP socket, to see the bytes and how the connection ends. */
export function wireGet(url: string, headers: Record<string, string> = {}): Promise<WireExchange> {
  const { hostname, port, pathname } = new URL(url);
  const lines = [`GET ${pathname} HTTP/1.1`, `host: ${hostname}:${port}`, "connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () =>
      socket.write(`${lines.join("\r\n")}\r\n\r\n`),
    );
    const chunks: Buffer[] = [];
    let end: WireExchange["end"] = "fin";
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET") end = "reset";
      else reject(error);
    });
    socket.on("close", () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      resolve({
        head: all.subarray(0, split).toString("latin1"),
        body: all.subarray(split + 4),
        end,
      });
    });
  });
}

/**
 * The server's side of each TCP connection accepted on `port` from now on, in order, seen through
 * node's `net.server.socket` diagnostics channel: a test can wait on those sockets' own events
 * instead of polling a server's counters for them to settle.
 */
export class AcceptedSockets {
  readonly all: Socket[] = [];
  #waiters: { n: number; resolve: (socket: Socket) => void }[] = [];

  constructor(t: TestContext, port: number) {
    const onSocket = (message: unknown): void => {
      const socket = (message as { socket: Socket }).socket;
      if (socket.localPort !== port) return;
      this.all.push(socket);
      for (const waiter of this.#waiters.filter((w) => w.n < this.all.length)) {
        waiter.resolve(this.all[waiter.n]!);
      }
      this.#waiters = this.#waiters.filter((w) => w.n >= this.all.length);
    };
    dc.subscribe("net.server.socket", onSocket);
    t.after(() => dc.unsubscribe("net.server.socket", onSocket));
  }

  /** The `n`-th connection accepted (0-based), once it is. */
  nth(n: number): Promise<Socket> {
    const socket = this.all[n];
    if (socket) return Promise.resolve(socket);
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /**
   * Resolves once every connection accepted so far has closed. These listeners were added before
   * the server's own, so its counters have caught up by the time this resolves.
   */
  async allClosed(): Promise<void> {
    await Promise.all(
      this.all.map((socket) => (socket.closed ? undefined : once(socket, "close"))),
    );
  }
}

/**
 * Polls `condition` until it holds: for a state no event announces (never for "nothing changed
 * for a while", which a busy machine can fake). The deadline only ends a wait that would hang.
 */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  for (const deadline = performance.now() + timeoutMs; !condition();) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(1);
  }
}
