/**
 * Server set-ups, started when a case first needs them and stopped once no later case does:
 * one host nginx (plain, paced and no-range listeners), the delay proxy in front of the paced
 * listener, python's http.server, the shaped network namespace with its own nginx, and parget's
 * own server (a fresh one per run, so every run's first connection gets the first rate).
 */
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { startServer, type RangeServer } from "../src/server/index.js";
import type { Cleanup } from "./cleanup.js";
import { ADDED_RTT_MS, BOTTLENECK_TBF, PACE, UNEVEN_RATES } from "./core/scenarios.js";
import type { Case, ServerKind } from "./core/types.js";
import { startDelayProxy, type DelayProxy } from "./delay-proxy.js";
import { SEED, type TestFile } from "./files.js";
import { createShapedNetns, type Netns } from "./netns.js";
import {
  startNginx,
  startPythonServer,
  type Counts,
  type NginxServer,
  type PythonServer,
} from "./servers.js";

/** One run's view of its server. */
export interface Session {
  /** Called before each run: the server's base URL and the prefix clients run under. */
  start(): Promise<{ base: string; prefix: string[] }>;
  /** Called after each run: what the server saw since start(). */
  finish(): Promise<Counts | undefined>;
}

type Resource = "nginx" | "proxy" | "python" | "netns";

const NEEDS: Record<ServerKind, Resource[]> = {
  nginx: ["nginx"],
  "nginx-paced": ["nginx"],
  "nginx-noranges": ["nginx"],
  "nginx-tls": ["nginx"],
  "proxy-paced": ["nginx", "proxy"],
  python: ["python"],
  "netns-nginx": ["netns"],
  "own-uneven": [],
};

/** nginx logs a request when it ends, which can be a moment after the client has gone. */
const LOG_SETTLE_MS = 150;

export class Environments {
  #nginx: Promise<NginxServer> | undefined;
  #proxy: Promise<DelayProxy> | undefined;
  #python: Promise<PythonServer> | undefined;
  #netns: Promise<{ netns: Netns; nginx: NginxServer }> | undefined;

  constructor(
    private readonly options: {
      scratch: string;
      serverRoot: string;
      files: Map<number, TestFile>;
      cleanup: Cleanup;
    },
  ) {}

  #hostNginx(): Promise<NginxServer> {
    this.#nginx ??= startNginx({
      dir: path.join(this.options.scratch, "nginx"),
      root: this.options.serverRoot,
      listeners: [
        { name: "plain", rate: 0 },
        { name: "paced", rate: PACE },
        { name: "noranges", rate: 0, directives: "max_ranges 0;" },
        { name: "tls", rate: 0, tls: true },
      ],
      cleanup: this.options.cleanup,
    });
    return this.#nginx;
  }

  #delayProxy(): Promise<DelayProxy> {
    this.#proxy ??= (async () => {
      const nginx = await this.#hostNginx();
      const proxy = await startDelayProxy({
        upstreamPort: nginx.ports.paced!,
        delayMs: ADDED_RTT_MS / 2,
      });
      this.options.cleanup.add("delay proxy", () => proxy.close());
      return proxy;
    })();
    return this.#proxy;
  }

  #shapedNetns(): Promise<{ netns: Netns; nginx: NginxServer }> {
    this.#netns ??= (async () => {
      const netns = await createShapedNetns(
        `parget-bench-${process.pid}`,
        BOTTLENECK_TBF,
        this.options.cleanup,
      );
      try {
        const nginx = await startNginx({
          dir: path.join(this.options.scratch, "nginx-netns"),
          root: this.options.serverRoot,
          listeners: [{ name: "plain", rate: 0 }],
          prefix: netns.prefix,
          cleanup: this.options.cleanup,
        });
        return { netns, nginx };
      } catch (error) {
        await netns.destroy();
        throw error;
      }
    })();
    return this.#netns;
  }

  /** A session for the case's server, starting what it needs (a failure skips the case). */
  async session(c: Pick<Case, "server" | "size">): Promise<Session> {
    const logged = (
      nginx: NginxServer,
      port: number,
      prefix: string[] = [],
      scheme = "http",
    ): Session => ({
      start: async () => {
        await nginx.log.mark();
        return { base: `${scheme}://127.0.0.1:${port}/`, prefix };
      },
      finish: async () => {
        await delay(LOG_SETTLE_MS);
        return nginx.counts();
      },
    });
    switch (c.server) {
      case "nginx":
        return logged(await this.#hostNginx(), (await this.#hostNginx()).ports.plain!);
      case "nginx-paced":
        return logged(await this.#hostNginx(), (await this.#hostNginx()).ports.paced!);
      case "nginx-noranges":
        return logged(await this.#hostNginx(), (await this.#hostNginx()).ports.noranges!);
      case "nginx-tls":
        return logged(await this.#hostNginx(), (await this.#hostNginx()).ports.tls!, [], "https");
      case "proxy-paced":
        // nginx sees one upstream connection per client connection.
        return logged(await this.#hostNginx(), (await this.#delayProxy()).port);
      case "netns-nginx": {
        const { netns, nginx } = await this.#shapedNetns();
        return logged(nginx, nginx.ports.plain!, netns.prefix);
      }
      case "python": {
        this.#python ??= startPythonServer(this.options.serverRoot, this.options.cleanup);
        const python = await this.#python;
        return {
          start: async () => {
            python.mark();
            return { base: `http://127.0.0.1:${python.port}/`, prefix: [] };
          },
          finish: async () => {
            await delay(LOG_SETTLE_MS);
            return python.counts();
          },
        };
      }
      case "own-uneven":
        return this.#ownServer(c);
    }
  }

  #ownServer(c: Pick<Case, "size">): Session {
    const file = this.options.files.get(c.size)!;
    let server: RangeServer | undefined;
    let forget = (): void => {};
    return {
      start: async () => {
        server = await startServer({
          files: { [`/${file.name}`]: { content: { seed: SEED, size: c.size } } },
          rates: UNEVEN_RATES,
        });
        const running = server;
        forget = this.options.cleanup.add("parget's server", () => running.close());
        return { base: server.url("/"), prefix: [] };
      },
      finish: async () => {
        if (!server) return undefined;
        const { connectionsAccepted, requests } = server.stats;
        await server.close();
        forget();
        server = undefined;
        return { connections: connectionsAccepted, requests };
      },
    };
  }

  /** Stops what none of the `later` cases needs. */
  async release(later: readonly Pick<Case, "server">[]): Promise<void> {
    const needed = new Set(later.flatMap((c) => NEEDS[c.server]));
    if (!needed.has("proxy") && this.#proxy) {
      const proxy = this.#proxy;
      this.#proxy = undefined;
      await (await proxy.catch(() => undefined))?.close();
    }
    if (!needed.has("python") && this.#python) {
      const python = this.#python;
      this.#python = undefined;
      await (await python.catch(() => undefined))?.stop();
    }
    if (!needed.has("netns") && this.#netns) {
      const shaped = this.#netns;
      this.#netns = undefined;
      const done = await shaped.catch(() => undefined);
      await done?.nginx.stop();
      await done?.netns.destroy();
    }
    if (!needed.has("nginx") && this.#nginx) {
      const nginx = this.#nginx;
      this.#nginx = undefined;
      await (await nginx.catch(() => undefined))?.stop();
    }
  }
}
