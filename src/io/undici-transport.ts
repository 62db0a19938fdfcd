/**
 * The undici transport: every request through undici, one connection per lane. It is the fast
 * transport's fallback and reference, loaded only when a request needs it.
 */
import type { Dispatcher } from "undici";
import { Client, ProxyAgent, buildConnector } from "./undici.js";
import { dispatchGet } from "./response.js";
import type { Socket } from "node:net";
import { rootCertificates } from "node:tls";
import { isIP } from "node:net";
import { beforeResponse, type Transport } from "./transport.js";

export interface UndiciTransportOptions {
  /** Extra CA certificates (PEM), trusted besides the system's. */
  ca?: string[];
  /** Skip certificate verification (--insecure). @default false */
  insecure?: boolean;
  /** The proxy for a URL, or null to connect directly. @default direct */
  proxyFor?: (url: URL) => URL | null;
  /** Sees the size of every chunk received (the CLI frees read buffers by it). */
  onReceived?: (bytes: number, allocated: true) => void;
}

interface Lane {
  origin: string;
  /** A Client (one connection) when direct; a ProxyAgent with one connection when proxied. */
  client: Dispatcher;
  /** A connection opened ahead of the lane's first request, handed to the client when it asks. */
  warmed: Promise<Socket | null> | null;
  /** Set while the lane's previous connection is closing: the next one waits for it. */
  closing: Promise<void> | null;
  /** The connection the lane's responses arrive on, whose reads response.ts holds. */
  socket: Socket | null;
}

/**
 * The default transport: one undici dispatcher with one TCP/TLS connection per lane, so the engine
 * knows exactly how many connections are open and can replace a lane's connection on its own.
 */
export function createUndiciTransport(
  options: UndiciTransportOptions = {},
): Transport & { retire(lane: number): Promise<void> } {
  const tls: buildConnector.BuildOptions = {
    ...(options.ca?.length ? { ca: [...rootCertificates, ...options.ca] } : {}),
    ...(options.insecure ? { rejectUnauthorized: false } : {}),
  };
  const connector = buildConnector(tls);
  const proxyFor = options.proxyFor ?? (() => null);
  const lanes = new Map<number, Lane>();
  const onReceived = options.onReceived ?? (() => {});

  function connectOptions(url: URL): buildConnector.Options {
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    return {
      hostname: url.hostname,
      host: url.host,
      protocol: url.protocol,
      port,
      // SNI carries host names only: Node warns (DEP0123) when it is given an IP address.
      ...(isIP(url.hostname.replace(/^\[|\]$/g, "")) ? {} : { servername: url.hostname }),
    };
  }

  /**
   * Settles when the first connection to an origin is made. Warmed connections wait for it: a
   * server with a short listen queue (python's http.server keeps 5) drops SYNs beyond it, and
   * the first request's own connection must not be the one that waits a second for a resend.
   */
  let closed = false;
  const firstConnections = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  function firstConnection(origin: string): { promise: Promise<void>; resolve: () => void } {
    let entry = firstConnections.get(origin);
    if (!entry) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      entry = { promise, resolve };
      firstConnections.set(origin, entry);
    }
    return entry;
  }

  function newLane(url: URL, closing: Promise<void> | null): Lane {
    const proxy = proxyFor(url);
    const lane: Lane = {
      origin: url.origin,
      warmed: null,
      closing,
      socket: null,
      client: undefined as never,
    };
    /** Records each connection the lane's client makes, for response.ts to hold its reads. */
    const tracked =
      (connect: buildConnector.connector): buildConnector.connector =>
      (connectOpts, callback) =>
        connect(connectOpts, (...result) => {
          lane.socket = result[1];
          callback(...result);
        });
    lane.client = proxy
      ? // Plain http goes to the proxy in absolute form; https through a CONNECT tunnel.
        new ProxyAgent({
          uri: proxy.href,
          proxyTunnel: false,
          connections: 1,
          requestTls: tls,
          proxyTls: tls,
          // ProxyAgent makes the connections to the origin (or to the proxy, for plain http).
          factory: (origin, opts) =>
            new Client(origin, {
              ...opts,
              connect: tracked((opts as { connect: buildConnector.connector }).connect),
            }),
        })
      : new Client(url.origin, {
          pipelining: 1,
          connect: tracked((connectOpts, callback) => {
            const warmed = lane.warmed;
            lane.warmed = null;
            if (!warmed) {
              return connector(connectOpts, (...result) => {
                firstConnection(url.origin).resolve();
                callback(...result);
              });
            }
            void warmed.then((socket) => {
              if (socket && !socket.destroyed) callback(null, socket);
              else connector(connectOpts, callback);
            });
          }),
        });
    return lane;
  }

  /** The lane's client for this origin; leaving an origin (a redirect) closes the old one first. */
  function laneFor(url: URL, index: number): Lane {
    const current = lanes.get(index);
    if (current && current.origin === url.origin) return current;
    const lane = newLane(url, current ? retire(current) : null);
    lanes.set(index, lane);
    return lane;
  }

  /** Closes a lane's connection; a lane never holds two, not even while the old one closes. */
  function retire(lane: Lane): Promise<void> {
    return Promise.all([
      lane.closing,
      lane.warmed?.then((socket) => socket?.destroy()),
      lane.client.destroy(),
    ]).then(() => {});
  }

  return {
    async get(request) {
      const lane = laneFor(request.url, request.lane);
      await lane.closing;
      try {
        const response = await dispatchGet(
          lane.client,
          {
            origin: request.url.origin,
            method: "GET",
            path: request.url.pathname + request.url.search,
            headers: request.headers,
            headersTimeout: request.idleTimeoutMs,
            bodyTimeout: request.idleTimeoutMs,
          },
          request.signal,
          {
            onChunk: (bytes) => onReceived(bytes, true),
            socket: () => lane.socket,
            // Mid-body, the connection is lost anyway: replace the client once it has closed.
            // The client goes first, or it would reconnect when the aborted socket closes.
            onAbandon: () => {
              if (lanes.get(request.lane) === lane) {
                lanes.set(request.lane, newLane(request.url, retire(lane)));
              }
            },
          },
        );
        return {
          status: response.status,
          headers: response.headers,
          body: response.body,
          cancel: response.abort,
        };
      } catch (error) {
        if (request.signal.aborted) throw error;
        throw beforeResponse(error, request);
      }
    },

    warm(url, index) {
      const lane = laneFor(url, index);
      // Through a proxy the handshake is the proxy's business.
      if (lane.warmed || proxyFor(url)) return;
      lane.warmed = firstConnection(url.origin).promise.then(() =>
        closed
          ? null
          : new Promise((resolve) => {
              connector(connectOptions(url), (error, socket) => resolve(error ? null : socket));
            }),
      );
    },

    /** Closes one lane's connection (the fast transport takes the lane back). */
    async retire(index) {
      const lane = lanes.get(index);
      if (!lane) return;
      lanes.delete(index);
      await retire(lane);
    },

    async close() {
      // Warm-ups still waiting for a first connection give up now.
      closed = true;
      for (const entry of firstConnections.values()) entry.resolve();
      const all = [...lanes.values()];
      lanes.clear();
      await Promise.all(all.map(retire));
    },
  };
}
