/**
 * How calls arrive: HTTP POST and WebSocket at /jsonrpc. Every request and upgrade passes the
 * same gate first (core/rpc-guard.ts): a Host allowlist (421 otherwise: DNS rebinding), an
 * Origin check on upgrades and on anything but GET (403: cross-site pages), RPC only as a POST
 * of application/json (415: a cross-site text/plain POST needs no preflight), capped sizes and
 * connections. A wrong secret is answered late, later each time, and counted; the right one is
 * always answered at once.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { WebSocketServer, type WebSocket } from "ws";
import {
  failureDelayMs,
  hostAllowed,
  isJsonContentType,
  originAllowed,
  type OriginPolicy,
} from "../core/rpc-guard.js";
import { UsageError } from "../index.js";
import type { Dispatcher } from "./dispatch.js";
import { secretMatches } from "./secret.js";
import { serveUi, sessionAuthorized, type SecretFailures } from "./assets.js";

export const RPC_PATH = "/jsonrpc";
/** A request body or WebSocket message: addUri with headers and options is a few KiB. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Sockets open at once, HTTP and WebSocket together. */
export const MAX_CONNECTIONS = 64;
/**
 * Wrong-secret answers held back at once. Past this, they are refused at once and their
 * connection closed: slowed guesses never fill the connections the right secret needs.
 */
export const MAX_HELD_FAILURES = 16;
/** A WebSocket that reads no notifications is closed once this much waits for it. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export interface RpcServerOptions {
  host: string;
  port: number;
  secret: string;
  /** Host names allowed besides the loopback ones. */
  allowHosts: readonly string[];
  /** Whole origins allowed besides the daemon's own. */
  allowOrigins: readonly string[];
  dispatcher: Dispatcher;
  log: (line: string) => void;
}

/** Wrong secrets per remote address: in a row (for the delay), and in all (reported). */
class Failures implements SecretFailures {
  readonly #inARow = new Map<string, number>();
  total = 0;
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  #held = 0;

  /**
   * Counts `n` wrong secrets from `address`; resolves when the answer may be sent: "late" after
   * the delay, or "now" with too many answers held already (the caller closes the connection).
   */
  async wrong(address: string, n: number): Promise<"late" | "now"> {
    const count = (this.#inARow.get(address) ?? 0) + n;
    this.#inARow.set(address, count);
    const before = this.total;
    this.total += n;
    // One line at the 1st, 2nd, 4th, 8th... failure: counted, never flooding the log.
    if (
      Math.floor(Math.log2(this.total)) > Math.floor(Math.log2(Math.max(before, 1))) ||
      before === 0
    ) {
      this.#log(`wrong or missing secret from ${address} (${this.total} so far)`);
    }
    if (this.#held >= MAX_HELD_FAILURES) return "now";
    this.#held++;
    try {
      await delay(failureDelayMs(count));
    } finally {
      this.#held--;
    }
    return "late";
  }

  right(address: string): void {
    this.#inARow.delete(address);
  }
}

export class RpcServer {
  readonly #server: http.Server;
  readonly #wss: WebSocketServer;
  readonly #options: RpcServerOptions;
  readonly #failures: Failures;
  /** Sockets that proved the secret: only they hear notifications. */
  readonly #trusted = new Set<WebSocket>();
  readonly #sockets = new Set<Socket>();
  #policy: OriginPolicy;

  private constructor(options: RpcServerOptions) {
    this.#options = options;
    this.#failures = new Failures(options.log);
    this.#policy = { port: options.port, hosts: options.allowHosts, origins: options.allowOrigins };
    this.#server = http.createServer((req, res) => void this.#request(req, res));
    this.#server.maxConnections = MAX_CONNECTIONS;
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
    this.#server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#upgrade(req, socket, head),
    );
  }

  static async listen(options: RpcServerOptions): Promise<RpcServer> {
    const server = new RpcServer(options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once("error", (error: NodeJS.ErrnoException) => {
        const where = `${options.host} port ${options.port}`;
        if (error.code === "EADDRINUSE") {
          reject(new UsageError(`${where} is taken by another program; choose another --port`));
        } else if (error.code === "EACCES" || error.code === "EADDRNOTAVAIL") {
          reject(new UsageError(`cannot listen on ${where}: ${error.code}`));
        } else {
          reject(error);
        }
      });
      server.#server.listen(options.port, options.host, () => {
        server.#server.removeAllListeners("error");
        // Past the start, a server error (out of file descriptors) is said, not fatal.
        server.#server.on("error", (error) => options.log(`server error: ${error.message}`));
        resolve();
      });
    });
    server.#policy = { ...server.#policy, port: server.port };
    return server;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get failedAuthAttempts(): number {
    return this.#failures.total;
  }

  /** Sends a notification to every WebSocket that proved the secret. */
  notify(method: string, params: unknown[]): void {
    const text = JSON.stringify({ jsonrpc: "2.0", method, params });
    for (const socket of this.#trusted) {
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount > MAX_BUFFERED) socket.terminate();
      else socket.send(text);
    }
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const socket of this.#wss.clients) socket.terminate();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** The checks every request and upgrade passes; an HTTP status and reason when it fails. */
  #gate(req: IncomingMessage, checkOrigin: boolean): [number, string] | undefined {
    if (!hostAllowed(req.headers.host, this.#options.allowHosts)) {
      return [421, "this daemon answers only to its own host names"];
    }
    if (checkOrigin && !originAllowed(req.headers.origin, this.#policy)) {
      return [403, "requests from this origin are not allowed"];
    }
    return undefined;
  }

  /** The secret from `Authorization: Bearer`: true if right, false if wrong, undefined if none. */
  #bearer(req: IncomingMessage): boolean | undefined {
    const header = req.headers.authorization;
    // The web interface's session cookie (assets.ts) counts as the secret proved.
    if (header === undefined) return sessionAuthorized(req, this.#options.secret) || undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match !== null && secretMatches(this.#options.secret, match[1]);
  }

  async #request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-content-type-options", "nosniff");
    const refused = this.#gate(req, req.method !== "GET" && req.method !== "HEAD");
    if (refused) return plain(res, ...refused);
    const origin = req.headers.origin;
    if (origin !== undefined) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "Origin");
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path !== RPC_PATH) {
      if (await serveUi(req, res, path ?? "/", this.#options.secret, this.#failures)) return;
      if (path === "/" && (req.method === "GET" || req.method === "HEAD")) return home(res);
      return plain(res, 404, "not found");
    }
    if (req.method === "OPTIONS") {
      res.setHeader("access-control-allow-methods", "POST");
      res.setHeader("access-control-allow-headers", "Content-Type, Authorization");
      res.setHeader("access-control-max-age", "600");
      return plain(res, 204, "");
    }
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return plain(res, 405, "JSON-RPC is a POST of application/json (or a WebSocket)");
    }
    if (!isJsonContentType(req.headers["content-type"])) {
      return plain(res, 415, "JSON-RPC bodies must be sent as application/json");
    }
    const address = req.socket.remoteAddress ?? "unknown";
    const bearer = this.#bearer(req);
    if (bearer === false) {
      req.resume();
      if ((await this.#failures.wrong(address, 1)) === "now") return busy(res);
      res.setHeader("www-authenticate", "Bearer");
      return plain(res, 401, "wrong secret");
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.setHeader("connection", "close");
      return plain(res, 413, `bodies are at most ${MAX_MESSAGE_BYTES} bytes`);
    }
    const answer = await this.#options.dispatcher.answer(body, bearer === true);
    if (answer.unauthorized > 0) {
      if ((await this.#failures.wrong(address, answer.unauthorized)) === "now") return busy(res);
    } else if (answer.authorized > 0) this.#failures.right(address);
    if (answer.text === undefined) return plain(res, 204, "");
    res.writeHead(200, { "content-type": "application/json" }).end(answer.text);
  }

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const refused: [number, string] | undefined =
      (req.url ?? "").split("?")[0] === RPC_PATH ? this.#gate(req, true) : [404, "not found"];
    const bearer = this.#bearer(req);
    if (refused || bearer === false) {
      const [status, reason] = refused ?? [401, "wrong secret"];
      const send = (): void => {
        socket.end(
          `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\n` +
            `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`,
        );
      };
      if (bearer === false && !refused) {
        void this.#failures.wrong(socket.remoteAddress ?? "unknown", 1).then(send);
      } else {
        send();
      }
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws, bearer === true, req));
  }

  #connected(ws: WebSocket, bearer: boolean, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? "unknown";
    if (bearer) this.#trusted.add(ws);
    ws.on("close", () => this.#trusted.delete(ws));
    ws.on("error", () => ws.terminate());
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        ws.close(1003, "JSON-RPC messages are text");
        return;
      }
      void (async () => {
        const answer = await this.#options.dispatcher.answer(data.toString("utf8"), bearer, () =>
          this.#trusted.add(ws),
        );
        if (answer.unauthorized > 0) {
          if ((await this.#failures.wrong(address, answer.unauthorized)) === "now") {
            ws.terminate();
            return;
          }
        } else if (answer.authorized > 0) this.#failures.right(address);
        if (answer.text !== undefined && ws.readyState === ws.OPEN) ws.send(answer.text);
      })();
    });
  }
}

/** Too many wrong secrets waiting already: refused now, and the connection closed. */
function busy(res: ServerResponse): void {
  res.setHeader("connection", "close");
  plain(res, 429, "too many wrong secrets at once; try again later");
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (status === 204 || text === "") {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${text}\n`);
}

/** Until the interface is served here: what this is, with no secret in it. */
function home(res: ServerResponse): void {
  res
    .writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'",
    })
    .end(
      "<!doctype html><title>parget daemon</title><p>parget daemon: an aria2-compatible " +
        "JSON-RPC at <code>/jsonrpc</code> (HTTP POST or WebSocket).</p>\n",
    );
}

/** The body as text, or undefined when it passes the cap (the rest is read and dropped). */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_MESSAGE_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_MESSAGE_BYTES) chunks.push(chunk);
  }
  return size > MAX_MESSAGE_BYTES ? undefined : Buffer.concat(chunks).toString("utf8");
}
