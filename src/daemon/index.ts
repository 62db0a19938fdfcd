/**
 * `parget daemon`: a download queue that outlives the terminal, driven over aria2's JSON-RPC.
 *
 *   const daemon = await startDaemon({ root: "/srv/downloads", stateDir, port: 6800 });
 *   // aria2 clients connect to ws://127.0.0.1:6800/jsonrpc with the secret in daemon.secretPath
 *   await daemon.stop();
 *
 * The runner (runner.ts) owns the queue and the downloads, the store (store.ts) keeps them, the
 * method table (methods.ts) and the dispatcher (dispatch.ts) answer calls, and the server
 * (server.ts) is how calls arrive and notifications leave.
 */
import { randomBytes } from "node:crypto";
import { mkdir, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../index.js";
import { isInsideOrSame, isLoopbackAddress } from "../core/rpc-guard.js";
import { Dispatcher } from "./dispatch.js";
import { Runner, type RunnerNotification } from "./runner.js";
import { lockStateDir } from "./lock.js";
import { loadOrCreateSecret } from "./secret.js";
import { RpcServer } from "./server.js";

export interface DaemonOptions {
  /** The download root: every download saves inside it. */
  root: string;
  /** Where the secret and the session are kept. @default $XDG_STATE_HOME/parget, or ~/.local/state/parget */
  stateDir?: string;
  /** The address to listen on. @default "127.0.0.1" */
  host?: string;
  /** @default 6800, aria2's */
  port?: number;
  /** Host names accepted in the Host header besides loopback ones (for a non-loopback listen). */
  allowHosts?: readonly string[];
  /** Origins (`https://ui.example`, `null`) whose pages may call, besides the daemon's own. */
  allowOrigins?: readonly string[];
  /** Downloads running at once (aria2's max-concurrent-downloads). @default 5 */
  maxConcurrentDownloads?: number;
  /** Connections open at once, all downloads together. @default 64 */
  maxConnections?: number;
  maxHostConnections?: number;
  /** Bytes per second for all downloads together (aria2's max-overall-download-limit). @default 0, none */
  maxOverallDownloadLimit?: number;
  /** Where the daemon's own lines go (wrong secrets, warnings). */
  log?: (line: string) => void;
}

export const DAEMON_DEFAULTS = { host: "127.0.0.1", port: 6800, maxConcurrentDownloads: 5 };

export interface Daemon {
  readonly port: number;
  readonly host: string;
  readonly root: string;
  readonly secretPath: string;
  /** Whether this start made the secret. */
  readonly secretCreated: boolean;
  /** For the printed interface URL only; never log it. */
  readonly secret: string;
  readonly storePath: string;
  /** Resolves once the daemon has stopped (by stop(), or by an RPC shutdown). */
  readonly stopped: Promise<void>;
  /** Stops the downloads (resumable), saves the queue, closes every connection. */
  stop(): Promise<void>;
}

export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "parget");
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  await mkdir(options.root, { recursive: true });
  const root = await realpath(options.root);
  const stateDir = options.stateDir ?? defaultStateDir();
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const realState = await realpath(stateDir);
  // A download could otherwise be saved over the session or the secret.
  if (isInsideOrSame(root, realState)) {
    throw new UsageError(
      `the state directory ${realState} must not lie inside the download root ${root}`,
    );
  }
  const secretPath = join(realState, "secret");
  const { secret, created } = await loadOrCreateSecret(secretPath);
  const unlock = await lockStateDir(realState);
  try {
    return await run(options, { root, realState, secretPath, secret, created, unlock });
  } catch (error) {
    await unlock();
    throw error;
  }
}

async function run(
  options: DaemonOptions,
  started: {
    root: string;
    realState: string;
    secretPath: string;
    secret: string;
    created: boolean;
    unlock: () => Promise<void>;
  },
): Promise<Daemon> {
  const { root, realState, secretPath, secret, created, unlock } = started;
  const log = options.log ?? (() => {});
  const host = options.host ?? DAEMON_DEFAULTS.host;
  if (!isLoopbackAddress(host)) {
    log(
      `listening on ${host}, beyond this machine: every call needs the secret, and only the ` +
        `host names given with --allow-host are answered`,
    );
  }

  let server: RpcServer | undefined;
  const notify = (n: RunnerNotification): void => {
    if (!server) return;
    if (n.type === "verification") {
      server.notify("parget.onDownloadVerified", [{ gid: n.gid, verification: n.verification }]);
      return;
    }
    const method = {
      start: "aria2.onDownloadStart",
      pause: "aria2.onDownloadPause",
      stop: "aria2.onDownloadStop",
      complete: "aria2.onDownloadComplete",
      error: "aria2.onDownloadError",
    }[n.type];
    server.notify(method, [{ gid: n.gid }]);
  };
  const runner = await Runner.open({
    root,
    stateDir: realState,
    global: {
      maxConcurrentDownloads:
        options.maxConcurrentDownloads ?? DAEMON_DEFAULTS.maxConcurrentDownloads,
      maxOverallDownloadLimit: options.maxOverallDownloadLimit ?? 0,
    },
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.maxHostConnections === undefined
      ? {}
      : { maxHostConnections: options.maxHostConnections }),
    notify,
    log,
  });

  let stopping: Promise<void> | undefined;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server?.close();
      await runner.stop();
      await unlock();
      markStopped();
    })();
    return stopping;
  };
  const dispatcher = new Dispatcher(
    {
      runner,
      sessionId: randomBytes(20).toString("hex"),
      // After the answer has left: stopping closes the connection it travels on.
      shutdown: () => void setImmediate(() => void stop()),
      failedAuthAttempts: () => server?.failedAuthAttempts ?? 0,
    },
    secret,
  );
  try {
    server = await RpcServer.listen({
      host,
      port: options.port ?? DAEMON_DEFAULTS.port,
      secret,
      allowHosts: options.allowHosts ?? [],
      allowOrigins: options.allowOrigins ?? [],
      dispatcher,
      log,
    });
  } catch (error) {
    await runner.stop();
    throw error;
  }
  runner.start();
  return {
    port: server.port,
    host,
    root,
    secretPath,
    secretCreated: created,
    secret,
    storePath: runner.storePath,
    stopped,
    stop,
  };
}
