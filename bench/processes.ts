/**
 * Child processes of the benchmark. Each starts in its own process group, so a timeout or a
 * Ctrl-C stops it with everything it started, and every one is registered with the cleanup.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseTimeReport } from "./core/stats.js";
import type { Cleanup } from "./cleanup.js";

const SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

/** The executable's path, looked up on PATH and in the sbin directories; undefined if none. */
export function which(name: string): string | undefined {
  if (name.includes("/")) return executable(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...SBIN].filter(Boolean);
  return dirs.map((d) => path.join(d, name)).find(executable);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const GNU_TIME = "/usr/bin/time";

/** Signals the child's process group; `sweep` also when the leader has exited (its helpers). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals, sweep = false): void {
  if (child.pid === undefined) return;
  if (!sweep && (child.exitCode !== null || child.signalCode !== null)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
}

/** Keeps the last `limit` characters a stream printed. */
function tail(stream: NodeJS.ReadableStream | null, limit = 4000): () => string {
  let text = "";
  stream?.on("data", (chunk: Buffer) => {
    text = (text + chunk.toString("utf8")).slice(-limit);
  });
  return () => text;
}

export interface Command {
  /** Runs the command through this, e.g. ["ip", "netns", "exec", "NS"]. */
  prefix?: readonly string[];
  argv: readonly string[];
  cwd?: string;
}

export interface Measured {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  wallSeconds: number;
  cpuSeconds?: number;
  peakRssBytes?: number;
  stderr: string;
}

let reports = 0;

/**
 * Runs a client to completion under GNU time (user, sys, max RSS), timing the wall clock here.
 * Past `timeoutMs` its whole process group is killed.
 */
export async function runMeasured(
  command: Command,
  options: { timeoutMs: number; scratch: string; cleanup: Cleanup },
): Promise<Measured> {
  const timed = which(GNU_TIME) !== undefined;
  const report = path.join(options.scratch, `time-${++reports}.txt`);
  const timing = timed ? [GNU_TIME, "-f", "%e %U %S %M", "-o", report] : [];
  try {
    const run = await runClient(
      [...(command.prefix ?? []), ...timing, ...command.argv],
      command,
      options,
    );
    const usage = timed
      ? parseTimeReport(await readFile(report, "utf8").catch(() => ""))
      : undefined;
    return { ...run, ...usage };
  } finally {
    await rm(report, { force: true });
  }
}

/**
 * Runs a client in its own process group to completion, killing the group past `timeoutMs`, and
 * afterwards too: a tool's helpers may outlive it in its group, and must never run into the next
 * run. `stdout`, when given, sees what it prints and may kill the group itself.
 */
async function runClient(
  argv: readonly string[],
  command: Command,
  options: { timeoutMs: number; cleanup: Cleanup },
  stdout?: (chunk: Buffer, kill: () => void) => void,
): Promise<Measured> {
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: command.cwd,
    detached: true,
    stdio: ["ignore", stdout ? "pipe" : "ignore", "pipe"],
  });
  const stderr = tail(child.stderr);
  if (stdout)
    child.stdout!.on("data", (chunk: Buffer) => stdout(chunk, () => killGroup(child, "SIGKILL")));
  const forget = options.cleanup.add(`client ${child.pid}`, async () =>
    killGroup(child, "SIGKILL"),
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, "SIGKILL");
  }, options.timeoutMs);
  try {
    const { code, signal } = await exited(child);
    const wallSeconds = (performance.now() - started) / 1000;
    killGroup(child, "SIGKILL", true);
    return { code, signal, timedOut, wallSeconds, stderr: stderr() };
  } finally {
    clearTimeout(timer);
    forget();
  }
}

/** Runs a short helper command (ip, tc, sync, findmnt) and returns what it printed. */
export async function runQuiet(
  argv: readonly string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout = tail(child.stdout, 100_000);
  const stderr = tail(child.stderr);
  let error = "";
  child.once("error", (e) => (error = e.message));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const { code } = await exited(child);
  clearTimeout(timer);
  return { code, stdout: stdout(), stderr: error || stderr() };
}

export interface Daemon {
  readonly child: ChildProcess;
  /** What it printed on stdout and stderr, most recent last. */
  output(): string;
  /** Lines printed on stderr since the last call (python's request log). */
  takeLines(): string[];
  stop(): Promise<void>;
}

/** Starts a server process in its own group; `stop()` sends SIGTERM, then SIGKILL after 3 s. */
export function startDaemon(command: Command, cleanup: Cleanup, name: string): Daemon {
  const argv = [...(command.prefix ?? []), ...command.argv];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: command.cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let printed = "";
  let pending = "";
  let lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    printed = (printed + chunk.toString("utf8")).slice(-8000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", (chunk: Buffer) => {
    keep(chunk);
    const parts = (pending + chunk.toString("utf8")).split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.once("error", (e) => keep(Buffer.from(`\n${e.message}\n`)));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      killGroup(child, "SIGTERM");
      const done = exited(child);
      if ((await Promise.race([done, delay(3000).then(() => "late" as const)])) === "late") {
        killGroup(child, "SIGKILL");
        await done;
      }
      // Workers left behind by a killed master.
      killGroup(child, "SIGKILL", true);
      forget();
    })());
  const forget = cleanup.add(name, stop);
  return {
    child,
    output: () => printed,
    takeLines: () => {
      const taken = lines;
      lines = [];
      return taken;
    },
    stop,
  };
}

/** Polls `check` until it holds; fails after `timeoutMs` or once `daemon` has exited. */
export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; daemon?: Daemon } = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await check()) return;
    const child = options.daemon?.child;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${what}: the process exited; it printed:\n${options.daemon!.output()}`);
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

/**
 * Runs a command, handing each line it prints on stdout to `onLine`; when that returns true the
 * whole process group is SIGKILLed at once (the moment is the line, never a timer).
 */
export async function runWatched(
  command: Command,
  options: { timeoutMs: number; cleanup: Cleanup },
  onLine: (line: string) => boolean,
): Promise<Measured & { killed: boolean }> {
  let killed = false;
  let pending = "";
  const run = await runClient(
    [...(command.prefix ?? []), ...command.argv],
    command,
    options,
    (chunk, kill) => {
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!killed && onLine(line)) {
          killed = true;
          kill();
        }
      }
    },
  );
  return { ...run, killed };
}
