/**
 * The daemon tests' pieces: a daemon owned by one test (in this process, on 127.0.0.1 port 0,
 * with its root and state in a fresh directory), a real aria2 client connected to it, and a
 * recorder of its notifications to wait on.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import Aria2 from "aria2";
import { startDaemon, type Daemon, type DaemonOptions } from "../../src/daemon/index.js";

export interface TestDaemon {
  daemon: Daemon;
  root: string;
  stateDir: string;
  url: string;
  /** Lines the daemon logged. */
  log: string[];
  /** Clients to close before the daemon stops. */
  clients: Client[];
}

export async function startTestDaemon(
  t: TestContext,
  options: Partial<DaemonOptions> & { dir?: string } = {},
): Promise<TestDaemon> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), "parget-daemon-")));
  const root = path.join(dir, "root");
  const stateDir = path.join(dir, "state");
  await mkdir(root, { recursive: true });
  const log: string[] = [];
  const daemon = await startDaemon({
    root,
    stateDir,
    port: 0,
    log: (line) => log.push(line),
    ...options,
  });
  const clients: Client[] = [];
  // In this order: the clients leave, the daemon stops (its store written), then its files go.
  t.after(async () => {
    for (const client of clients) await client.close();
    await daemon.stop();
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  });
  return { daemon, root, stateDir, url: `http://127.0.0.1:${daemon.port}/jsonrpc`, log, clients };
}

export interface Notification {
  name: string;
  gid: string;
  params: Record<string, unknown>;
}

/** An aria2 client over WebSocket that keeps every notification for `next` to wait on. */
export class Client {
  readonly aria2: Aria2;
  readonly seen: Notification[] = [];
  #waiters: { match: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];

  readonly secret: string;
  readonly errors: unknown[] = [];

  constructor(port: number, secret: string) {
    this.secret = secret;
    this.aria2 = new Aria2({ host: "127.0.0.1", port, secret, path: "/jsonrpc" });
    // A daemon killed under it errors the socket; the tests that kill one expect that.
    this.aria2.on("error", (error: unknown) => this.errors.push(error));
    for (const name of [
      "onDownloadStart",
      "onDownloadPause",
      "onDownloadStop",
      "onDownloadComplete",
      "onDownloadError",
    ]) {
      this.aria2.on(name, (params: { gid: string }[]) => this.#record(name, params[0]!));
    }
    // parget's own notification is not in aria2's namespace: the client emits it by full name.
    this.aria2.on("parget.onDownloadVerified", (params: { gid: string }[]) =>
      this.#record("parget.onDownloadVerified", params[0]!),
    );
  }

  /** A client connected over WebSocket, closed when the test ends (before its daemon stops). */
  static async open(d: TestDaemon): Promise<Client> {
    const client = new Client(d.daemon.port, d.daemon.secret);
    await client.aria2.open();
    d.clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    const socket = (this.aria2 as unknown as { socket?: { readyState: number } }).socket;
    if (socket?.readyState === 1) await this.aria2.close();
  }

  call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    return this.aria2.call(method, ...params) as Promise<T>;
  }

  /**
   * Calls a method outside aria2's namespace (`parget.*`): the client would prefix it with
   * `aria2.`, so this goes through its JSON-RPC layer, with the secret as aria2 sends it.
   */
  raw<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    const jsonrpc = Object.getPrototypeOf(Aria2.prototype) as {
      call(this: Aria2, method: string, params: unknown[]): Promise<unknown>;
    };
    return jsonrpc.call.call(this.aria2, method, [`token:${this.secret}`, ...params]) as Promise<T>;
  }

  #record(name: string, params: Record<string, unknown> & { gid: string }): void {
    const n = { name, gid: params.gid, params };
    this.seen.push(n);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(n)) return true;
      w.resolve(n);
      return false;
    });
  }

  /**
   * The `count`-th notification `name` for `gid` (1: the first), seen already or still to come.
   */
  next(name: string, gid: string, count = 1): Promise<Notification> {
    const match = (n: Notification): boolean => n.name === name && n.gid === gid;
    const past = this.seen.filter(match);
    if (past.length >= count) return Promise.resolve(past[count - 1]!);
    let needed = count - past.length;
    return new Promise((resolve) => {
      this.#waiters.push({
        match: (n) => match(n) && --needed === 0,
        resolve,
      });
    });
  }
}
