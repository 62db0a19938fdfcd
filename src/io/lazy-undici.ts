/**
 * The undici transport, loaded on first use: the fast transport hands it only what it does not
 * serve itself, and a download it serves whole never pays for loading undici (its modules, and
 * the http2, tls and others they load eagerly, cost start-up time and memory).
 */
import type { Transport } from "./transport.js";
import type { UndiciTransportOptions } from "./undici-transport.js";

type UndiciTransport = Transport & { retire(lane: number): Promise<void> };

export function createLazyUndiciTransport(options: UndiciTransportOptions): UndiciTransport {
  let loaded: Promise<UndiciTransport> | null = null;
  const load = (): Promise<UndiciTransport> =>
    (loaded ??= import("./undici-transport.js").then((m) => m.createUndiciTransport(options)));
  return {
    async get(request) {
      return (await load()).get(request);
    },
    warm(url, lane) {
      void load().then((undici) => undici.warm(url, lane));
    },
    async retire(lane) {
      if (loaded) await (await loaded).retire(lane);
    },
    async close() {
      if (loaded) await (await loaded).close();
    },
  };
}
