/**
 * `parget daemon`: starts the download queue behind aria2's JSON-RPC (src/daemon), says where
 * it listens and where its secret is, and stops on SIGINT or SIGTERM (or an RPC shutdown),
 * leaving every download resumable. Loaded on demand, like the demo.
 */
import { Command } from "commander";
import {
  startDaemon,
  DAEMON_DEFAULTS,
  defaultStateDir,
  type DaemonOptions,
} from "../daemon/index.js";
import { SET_DEFAULTS, UsageError } from "../index.js";
import { addFlag, positiveInteger, rate, runCommander, type Flag } from "./flags.js";

function port(arg: string): number {
  const n = /^\d+$/.test(arg) ? Number(arg) : NaN;
  if (!(n >= 0 && n <= 65535))
    throw new UsageError(`expected a port from 0 to 65535, got "${arg}"`);
  return n;
}

const list: Flag<string[]>["parse"] = (arg, previous) => [...(previous ?? []), arg];

/** The daemon's flags, declared once: commander's options and --help come from this table. */
export const DAEMON_FLAGS = {
  port: {
    flags: "--port <N>",
    help: `listen on port N (default ${DAEMON_DEFAULTS.port}, aria2's; 0 picks a free one)`,
    parse: port,
  },
  dir: {
    flags: "-d, --dir <ROOT>",
    help: "the download root: every download saves inside it (default .)",
  },
  listen: {
    flags: "--listen <ADDRESS>",
    help:
      `listen on ADDRESS (default ${DAEMON_DEFAULTS.host}); any other than loopback reaches ` +
      "other machines, so pair it with --allow-host",
  },
  allowHost: {
    flags: "--allow-host <NAME>",
    help: "also answer requests addressed to NAME (Host header); repeatable",
    parse: list,
  },
  allowOrigin: {
    flags: "--allow-origin <ORIGIN>",
    help: "let pages from ORIGIN (e.g. https://ariang.example, or null for a file) call; repeatable",
    parse: list,
  },
  stateDir: {
    flags: "--state-dir <DIR>",
    help: `keep the secret and the queue in DIR (default ${defaultStateDir()})`,
  },
  maxConcurrentDownloads: {
    flags: "-j, --max-concurrent-downloads <N>",
    help: `run N downloads at once (default ${DAEMON_DEFAULTS.maxConcurrentDownloads})`,
    parse: positiveInteger,
  },
  maxConnections: {
    flags: "--max-connections <N>",
    help: `open at most N connections at once, all downloads together (default ${SET_DEFAULTS.maxConnections})`,
    parse: positiveInteger,
  },
  maxOverallDownloadLimit: {
    flags: "--max-overall-download-limit <RATE>",
    help: "read at most RATE bytes per second, all downloads together, e.g. 10M (0: no limit)",
    parse: rate,
  },
  maxHostConnections: {
    flags: "--max-host-connections <N>",
    help: `open at most N connections at once to one host (default ${SET_DEFAULTS.maxHostConnections})`,
    parse: positiveInteger,
  },
} satisfies Record<string, Flag<never> | Flag<number> | Flag<string> | Flag<string[]>>;

export async function runDaemon(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const program = new Command("parget daemon")
    .description(
      "Keep a download queue running, driven over aria2's JSON-RPC (AriaNg, scripts) at /jsonrpc.",
    )
    .helpOption("-h, --help", "show this help");
  for (const flag of Object.values(DAEMON_FLAGS)) addFlag<unknown>(program, flag as Flag<unknown>);
  const help = runCommander(program, argv);
  if (help !== undefined) {
    process.stdout.write(help);
    return 0;
  }
  // commander names each value after its long flag.
  const flags = program.opts<{
    port?: number;
    dir?: string;
    listen?: string;
    allowHost?: string[];
    allowOrigin?: string[];
    stateDir?: string;
    maxConcurrentDownloads?: number;
    maxConnections?: number;
    maxHostConnections?: number;
    maxOverallDownloadLimit?: number;
  }>();
  const options: DaemonOptions = {
    root: flags.dir ?? ".",
    allowHosts: flags.allowHost ?? [],
    allowOrigins: flags.allowOrigin ?? [],
    log: (line) => process.stderr.write(`parget daemon: ${line}\n`),
  };
  if (flags.port !== undefined) options.port = flags.port;
  if (flags.listen !== undefined) options.host = flags.listen;
  if (flags.stateDir !== undefined) options.stateDir = flags.stateDir;
  if (flags.maxConcurrentDownloads !== undefined) {
    options.maxConcurrentDownloads = flags.maxConcurrentDownloads;
  }
  if (flags.maxConnections !== undefined) options.maxConnections = flags.maxConnections;
  if (flags.maxHostConnections !== undefined) options.maxHostConnections = flags.maxHostConnections;
  if (flags.maxOverallDownloadLimit !== undefined) {
    options.maxOverallDownloadLimit = flags.maxOverallDownloadLimit;
  }
  const daemon = await startDaemon(options);
  const shown = daemon.host.includes(":") ? `[${daemon.host}]` : daemon.host;
  const base = `http://${shown}:${daemon.port}`;
  process.stdout.write(
    [
      `parget daemon: listening on ${base}/jsonrpc (HTTP POST and WebSocket)`,
      `  downloads into ${daemon.root}`,
      `  secret in ${daemon.secretPath}${daemon.secretCreated ? " (made now, readable by you alone)" : ""}`,
      `  queue kept in ${daemon.storePath}`,
      `  open ${base}/#token=${daemon.secret}`,
      "",
    ].join("\n"),
  );
  const onAbort = (): void => void daemon.stop();
  signal.addEventListener("abort", onAbort, { once: true });
  await daemon.stopped;
  signal.removeEventListener("abort", onAbort);
  process.stdout.write("parget daemon: stopped; downloads resume at the next start\n");
  return 0;
}
