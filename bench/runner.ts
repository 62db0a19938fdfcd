/**
 * Runs the planned cases: within a case every tool once per repeat, in a new order each
 * repeat; every output verified, then deleted before the next run.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Cleanup } from "./cleanup.js";
import { runOrder } from "./core/plan.js";
import { mibPerSecond } from "./core/stats.js";
import {
  commandLine,
  toolById,
  verifyCommand,
  type CommandTarget,
  type Tool,
  type ToolEnvironment,
} from "./core/tools.js";
import type { Case, CaseResult, RunResult } from "./core/types.js";
import { Environments, type Session } from "./environments.js";
import { sha256OfFile, type TestFile } from "./files.js";
import { runMeasured, runQuiet, type Measured } from "./processes.js";

export interface RunnerContext {
  cleanup: Cleanup;
  log: (line: string) => void;
  /** Temp files of the benchmark itself: time reports, server configs, checksum lists. */
  scratch: string;
  serverRoot: string;
  files: Map<number, TestFile>;
  outputDirs: { disk: string; tmpfs: string | undefined };
  env: ToolEnvironment;
}

async function emptyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(dir)) {
    await rm(path.join(dir, entry), { recursive: true, force: true });
  }
}

function failure(m: Measured, timeoutMs: number): string | undefined {
  if (m.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)} s (not repeated)`;
  if (m.code === 0) return undefined;
  // Without a leading date (rclone's), the same failure reads the same in every repeat.
  const said = m.stderr
    .trim()
    .split("\n")
    .filter(Boolean)
    .at(-1)
    ?.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, "")
    .slice(0, 160);
  const how =
    m.code !== null ? `exit ${m.code}` : m.signal ? `killed by ${m.signal}` : "could not start";
  return said ? `${how}: ${said}` : how;
}

async function runOne(
  c: Case,
  tool: Tool,
  repeat: number,
  session: Session,
  ctx: RunnerContext,
): Promise<RunResult> {
  const file = ctx.files.get(c.size)!;
  const dir =
    c.output === "tmpfs" && ctx.outputDirs.tmpfs ? ctx.outputDirs.tmpfs : ctx.outputDirs.disk;
  await emptyDir(dir);
  const { base, prefix } = await session.start();
  const out = path.join(dir, file.name);
  const target: CommandTarget = {
    url: `${base}${file.name}`,
    base,
    name: file.name,
    dir,
    out,
    n: String(c.connections),
    sha256: c.checksum && tool.verifies ? file.sha256 : undefined,
  };
  const options = { timeoutMs: c.timeoutMs, scratch: ctx.scratch, cleanup: ctx.cleanup };
  const measured = await runMeasured({ prefix, argv: commandLine(tool, target, ctx.env) }, options);
  const result: RunResult = {
    tool: tool.id,
    repeat,
    ok: false,
    wallSeconds: measured.wallSeconds,
    ...(measured.cpuSeconds !== undefined ? { cpuSeconds: measured.cpuSeconds } : {}),
    ...(measured.peakRssBytes !== undefined ? { peakRssBytes: measured.peakRssBytes } : {}),
  };
  let error = failure(measured, c.timeoutMs);
  if (error === undefined && c.checksum && !tool.verifies) {
    // Timed to a verified file: the verification a tool cannot do counts as its time.
    const list = path.join(ctx.scratch, "check.sha256");
    await writeFile(list, `${file.sha256}  ${out}\n`);
    const check = await runMeasured({ argv: verifyCommand(list) }, options);
    result.wallSeconds += check.wallSeconds;
    if (result.cpuSeconds !== undefined && check.cpuSeconds !== undefined) {
      result.cpuSeconds += check.cpuSeconds;
    }
    if (check.code !== 0) error = `sha256sum -c: ${failure(check, c.timeoutMs) ?? "mismatch"}`;
  }
  if (error === undefined) {
    if (!existsSync(out)) error = `no output at ${out}`;
    else if ((await sha256OfFile(out)) !== file.sha256) error = "SHA-256 mismatch";
  }
  const counts = await session.finish();
  if (counts) Object.assign(result, counts);
  result.ok = error === undefined;
  if (error !== undefined) result.error = error;
  await emptyDir(dir);
  // Writeback of this run must not slow the next one.
  await runQuiet(["sync"]);
  return result;
}

function describe(r: RunResult, size: number): string {
  if (!r.ok) return `FAILED (${r.error})`;
  const conns = r.connections === undefined ? "" : `, ${r.connections} conns/${r.requests} reqs`;
  // What the server sent for the file: over 1x by what the tool fetched in vain.
  const sent = r.bytes === undefined ? "" : `, ${(r.bytes / size).toFixed(3)}x bytes`;
  return `${r.wallSeconds.toFixed(2)} s, ${mibPerSecond(size / r.wallSeconds).toFixed(1)} MiB/s${conns}${sent}`;
}

/** Runs every case in order; a case whose server cannot start is skipped with the reason. */
export async function runCases(cases: readonly Case[], ctx: RunnerContext): Promise<CaseResult[]> {
  const environments = new Environments(ctx);
  const total = cases.reduce((n, c) => n + c.tools.length * c.repeats, 0);
  let done = 0;
  const results: CaseResult[] = [];
  for (const [index, c] of cases.entries()) {
    let session: Session;
    try {
      session = await environments.session(c);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
      ctx.log(`${c.id}: skipped: ${reason}`);
      results.push({ case: c, runs: [], skipped: reason });
      done += c.tools.length * c.repeats;
      continue;
    }
    ctx.log(`${c.id}: ${c.title}`);
    const runs: RunResult[] = [];
    // A tool that timed out once is not given the case's time again.
    const timedOut = new Set<string>();
    for (let repeat = 0; repeat < c.repeats; repeat++) {
      for (const id of runOrder(c.tools, repeat)) {
        done++;
        if (timedOut.has(id)) continue;
        const run = await runOne(c, toolById(id), repeat, session, ctx);
        runs.push(run);
        if (run.error?.startsWith("timed out")) timedOut.add(id);
        ctx.log(`  [${done}/${total}] ${id} #${repeat + 1}: ${describe(run, c.size)}`);
      }
    }
    results.push({ case: c, runs });
    await environments.release(cases.slice(index + 1));
  }
  await environments.release([]);
  return results;
}
