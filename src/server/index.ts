/**
 * parget's own range server: generated files served over real sockets, with per-connection
 * throttling and scripted faults. The demo, the benchmarks and the tests use it.
 *
 *   const server = await startServer({ files: { "/file.bin": { content: { seed: "a", size: 1 << 20 } } } });
 *   await download(server.url("/file.bin"), ...);
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { FileRegistry, normalizePath, type FileSpec } from "./files.js";
import type { FaultRule } from "./faults.js";
import { createHandler, type Redirect } from "./handler.js";
import { createStats, resetStats, type ServerStats } from "./stats.js";
import { TokenBucket } from "./throttle.js";

export { generateContent, digestOfContent } from "./content.js";
export type { Content, ContentDigestAlgorithm } from "./content.js";
export type { FileSpec } from "./files.js";
export type { FaultRule, FaultMatch, FaultAction } from "./faults.js";
export type { Redirect } from "./handler.js";
export type { ServerStats, RequestLogEntry } from "./stats.js";

export interface ServerOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Keyed by path ("/file.bin"; a missing leading slash is added). */
  files?: Record<string, FileSpec>;
  /** Bytes/s for each connection's response bodies; 0 is unthrottled. @default 0 */
  ratePerConnection?: number;
  /**
   * Uneven edges: the n-th accepted connection gets `rates[n % rates.length]` (0 = unthrottled).
   * Overrides `ratePerConnection`.
   */
  rates?: number[];
  /** Added before each response's headers. @default 0 */
  latencyMs?: number;
  /**
   * A server that caps each client, as nginx's `limit_conn` does: a request that arrives while
   * this many are being answered gets 503 (with `Connection: close`).
   */
  requestLimit?: number;
  /** Keyed by path; answered before files are looked up. */
  redirects?: Record<string, Redirect>;
  /** Makes fault `probability` draws repeatable. @default "parget" */
  seed?: string;
  /** Serve HTTPS instead. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface RangeServer {
  /** The absolute URL of `path` on this server. @default path "/" */
  url(path?: string): string;
  readonly port: number;
  /** Live counters, updated in place. */
  readonly stats: ServerStats;
  resetStats(): void;
  /** Makes `spec` the file's next version (new ETag, Last-Modified and rules), or adds the file. */
  replaceFile(name: string, spec: FileSpec): void;
  /** Replaces the file's fault rules and restarts their counters. */
  setFaults(name: string, faults: FaultRule[]): void;
  /** Stops listening and destroys every connection, stalled or not. Safe to call twice. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RangeServer> {
  const host = options.host ?? "127.0.0.1";
  const files = new FileRegistry(options.seed ?? "parget");
  for (const [name, spec] of Object.entries(options.files ?? {})) files.replace(name, spec);
  const redirects = new Map(
    Object.entries(options.redirects ?? {}).map(([path, to]) => [normalizePath(path), to]),
  );
  const stats = createStats();
  const buckets = new WeakMap<Socket, TokenBucket>();
  const connections = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();
  let accepted = 0;

  const handler = createHandler({
    files,
    stats,
    latencyMs: options.latencyMs ?? 0,
    redirects,
    bucketOf: (socket) => buckets.get(socket),
    connectionOf: (socket) => connections.get(socket) ?? 0,
  });
  let answering = 0;
  const limited: typeof handler = (request, response) => {
    if (options.requestLimit !== undefined && answering >= options.requestLimit) {
      stats.requests++;
      stats.statuses[503] = (stats.statuses[503] ?? 0) + 1;
      response.writeHead(503, { connection: "close", "content-length": "0" }).end();
      return;
    }
    answering++;
    response.once("close", () => answering--);
    return handler(request, response);
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, limited)
    : http.createServer(limited);

  // Every raw socket, so close() can end TLS handshakes that never became connections.
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // Requests see the TLS socket under HTTPS, so that is the one accounted and throttled.
  server.on(options.tls ? "secureConnection" : "connection", (socket: Socket) => {
    const rate = options.rates?.length
      ? options.rates[accepted % options.rates.length]!
      : (options.ratePerConnection ?? 0);
    connections.set(socket, accepted);
    accepted++;
    if (rate > 0) buckets.set(socket, new TokenBucket(rate, performance.now()));
    stats.connectionsAccepted++;
    stats.openConnections++;
    stats.peakConnections = Math.max(stats.peakConnections, stats.openConnections);
    socket.once("close", () => stats.openConnections--);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `${options.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: (path = "/") => new URL(path, `${origin}/`).href,
    port,
    stats,
    resetStats: () => resetStats(stats),
    replaceFile: (name, spec) => files.replace(name, spec),
    setFaults: (name, faults) => files.setFaults(name, faults),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
