/**
 * Child processes for end-to-end tests: the built CLI (`dist/parget.mjs`), and real servers
 * (nginx, python3) started on a free loopback port. Every wait is bounded, and every process a
 * test starts is stopped when the test ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/**
 * The repository root: the nearest directory above this file whose package.json is parget's.
 * This file runs from test/helpers/ under tsx and from dist/test/helpers/ once compiled.
 */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

export const CLI_PATH = path.join(REPO_ROOT, "dist", "parget.mjs");

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "parget") {
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`no parget package.json above ${start}`);
  }
}

function cliPath(): string {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run "npm run build" first`);
  return CLI_PATH;
}

export interface CliOptions {
  cwd?: string;
  /** Added to the test's own environment. */
  env?: Record<string, string>;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Generous, because CI machines are slow and shared; a passing run takes a fraction of it. */
export const DEFAULT_CLI_TIMEOUT_MS = 90_000;

/**
 * Runs `node dist/parget.mjs ...args` to completion (stdin closed). A run that outlives
 * `timeoutMs` is killed and rejects, with what it printed so far.
 */
export async function runCli(
  args: readonly string[],
  options: CliOptions & { timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawnCli(args, options);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS;
  try {
    const { code, signal } = await waitForExit(child, timeoutMs);
    return {
      code,
      signal,
      stdout: Buffer.concat(stdout).toString("utf8"),
      stderr: Buffer.concat(stderr).toString("utf8"),
    };
  } catch (error) {
    child.kill("SIGKILL");
    const printed = Buffer.concat(stderr).toString("utf8").slice(-2000);
    throw new Error(
      `parget ${args.join(" ")} did not finish within ${timeoutMs} ms; stderr:\n${printed}`,
      { cause: error },
    );
  }
}

/**
 * Starts `node dist/parget.mjs ...args` and returns at once; stdout and stderr are pipes the
 * caller may read (or leave: they are drained so a chatty child never blocks). The caller stops
 * it, typically with `t.after(() => stopProcess(child))`.
 */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [cliPath(), ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

/** Resolves when `child` has exited; rejects after `timeoutMs` (the child is left running). */
export function waitForExit(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      reject(new Error(`process ${child.pid} still running after ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    child.once("exit", onExit);
  });
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. Safe to call twice. */
export async function stopProcess(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  try {
    await waitForExit(child, graceMs);
  } catch {
    child.kill("SIGKILL");
    await waitForExit(child, 5000);
  }
}

/**
 * Polls `condition` every `intervalMs` until it holds, at most `timeoutMs`; `what` names the
 * awaited state in the failure. A `process` that exits first fails the wait at once.
 */
export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; intervalMs?: number; process?: ChildProcess } = {},
): Promise<void> {
  const { timeoutMs = 30_000, intervalMs = 20 } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    const child = options.process;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(
        `process ${child.pid} exited (code ${child.exitCode}, signal ${child.signalCode}) before ${what}`,
      );
    }
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

/**
 * A port nothing listens on right now: bound to 0, then released. Another process may take it
 * before we use it, so whoever binds it must be ready to try again (see startServerProcess).
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Whether 127.0.0.1:port answers HTTP with a `Server` header matching `server`: a readiness
 * probe that a process which took the port meanwhile does not pass.
 */
export function answersAs(port: number, server: RegExp): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, method: "HEAD", path: "/", agent: false });
    req.setTimeout(1000, () => req.destroy());
    req.once("response", (res) => {
      res.resume();
      resolve(server.test(String(res.headers.server ?? "")));
    });
    req.once("error", () => resolve(false));
    req.end();
  });
}

/** Whether a TCP connection to 127.0.0.1:port is accepted. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface ServerProcess {
  readonly port: number;
  readonly process: ChildProcess;
  /** http://127.0.0.1:port + path */
  url(path: string): string;
  /** What the process printed on stdout and stderr so far. */
  output(): string;
}

export interface ServerCommand {
  command: string;
  args: string[];
  cwd?: string;
}

const PORT_ATTEMPTS = 5;

/**
 * Starts a server process on a free loopback port and resolves once it accepts connections.
 * `commandFor(port)` says how to start it. When the process dies before it is ready and its
 * output or `logFile` mentions "in use" (another process took the port), it is tried again on another port.
 * The process is stopped (SIGTERM, then SIGKILL) when the test ends.
 */
export async function startServerProcess(
  t: TestContext,
  name: string,
  commandFor: (port: number) => ServerCommand | Promise<ServerCommand>,
  options: {
    /** How readiness is probed. @default a TCP connect */
    ready?: (port: number) => Promise<boolean>;
    readyTimeoutMs?: number;
    /** Read for diagnostics when the process fails to start. */
    logFile?: string;
  } = {},
): Promise<ServerProcess> {
  const { ready = canConnect, readyTimeoutMs = 10_000, logFile } = options;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const { command, args, cwd } = await commandFor(port);
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    t.after(() => stopProcess(child));
    let printed = "";
    const keep = (chunk: Buffer): void => {
      printed = (printed + chunk.toString("utf8")).slice(-8192);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let spawnError: Error | undefined;
    child.once("error", (error) => (spawnError = error));
    const accepting = (): Promise<boolean> => {
      if (spawnError) throw spawnError;
      return ready(port);
    };
    try {
      await pollUntil(accepting, `${name} to accept connections on ${port}`, {
        timeoutMs: readyTimeoutMs,
        process: child,
      });
      return {
        port,
        process: child,
        url: (p) => `http://127.0.0.1:${port}${p}`,
        output: () => printed,
      };
    } catch (error) {
      await stopProcess(child);
      if (logFile !== undefined) printed += await readFile(logFile, "utf8").catch(() => "");
      if (attempt < PORT_ATTEMPTS && /in use/i.test(printed)) continue;
      throw new Error(`${name} did not start: ${(error as Error).message}\n${printed}`, {
        cause: error,
      });
    }
  }
}

// Kept beside the code that uses them: this section was appended while others edited the file.

/** What `runCliMeasured` adds to a run: the CLI process's own peak resident set size. */
export interface MeasuredCliResult extends CliResult {
  /** The process's peak RSS (its high-water mark, VmHWM / ru_maxrss), in bytes. */
  peakRssBytes: number;
  /** How it was measured: GNU time's `%M` (from wait4's rusage), or polling /proc's VmHWM. */
  rssSource: "/usr/bin/time" | "VmHWM";
}

const GNU_TIME = "/usr/bin/time";

/**
 * Runs the CLI like `runCli` and reports its peak RSS. Under GNU time when it is installed: the
 * kernel's own maximum, taken when the process is reaped, so nothing between two samples is
 * missed. Otherwise /proc/<pid>/status is polled while it runs; VmHWM is a high-water mark, so
 * only growth in the last interval before exit could go unseen.
 */
export async function runCliMeasured(
  args: readonly string[],
  options: CliOptions & { timeoutMs?: number } = {},
): Promise<MeasuredCliResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS;
  const spawnOptions = {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"],
  };
  if (existsSync(GNU_TIME)) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "parget-rss-"));
    try {
      const report = path.join(dir, "maxrss");
      // Its own process group: killing time alone would leave the CLI running as an orphan.
      const child = spawn(
        GNU_TIME,
        ["-o", report, "-f", "%M", process.execPath, cliPath(), ...args],
        { ...spawnOptions, detached: true },
      );
      const result = await collect(child, args, timeoutMs, () => {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      });
      // With -o, a non-zero exit adds a "Command exited with non-zero status" line first.
      const lines = (await readFile(report, "utf8")).trim().split("\n");
      const kib = Number(lines.at(-1));
      if (!Number.isSafeInteger(kib) || kib <= 0) {
        throw new Error(`${GNU_TIME} reported no peak RSS: ${lines.join(" / ")}`);
      }
      return { ...result, peakRssBytes: kib * 1024, rssSource: GNU_TIME };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const child = spawn(process.execPath, [cliPath(), ...args], spawnOptions);
  let peak = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      peak = Math.max(peak, await highWaterMark(child.pid));
      await delay(5);
    }
  })();
  try {
    const result = await collect(child, args, timeoutMs, () => child.kill("SIGKILL"));
    // Never read (no /proc, or a run too short to sample): a 0 would pass any budget.
    if (peak === 0) throw new Error(`no VmHWM could be read for parget ${args.join(" ")}`);
    return { ...result, peakRssBytes: peak, rssSource: "VmHWM" };
  } finally {
    polling = false;
    await poll;
  }
}

/** VmHWM of a live process in bytes; 0 once it is gone (or before it can be read). */
async function highWaterMark(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? 0 : Number(kib) * 1024;
  } catch {
    return 0;
  }
}

/** Waits for `child` with a deadline, keeping what it printed; `kill`ed (and rejected) past it. */
async function collect(
  child: ChildProcess,
  args: readonly string[],
  timeoutMs: number,
  kill: () => void,
): Promise<CliResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  try {
    const { code, signal } = await waitForExit(child, timeoutMs);
    return {
      code,
      signal,
      stdout: Buffer.concat(stdout).toString("utf8"),
      stderr: Buffer.concat(stderr).toString("utf8"),
    };
  } catch (error) {
    kill();
    const printed = Buffer.concat(stderr).toString("utf8").slice(-2000);
    throw new Error(
      `parget ${args.join(" ")} did not finish within ${timeoutMs} ms; stderr:\n${printed}`,
      { cause: error },
    );
  }
}
