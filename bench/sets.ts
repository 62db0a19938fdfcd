/**
 * Runs the set cases (bench/core/sets.ts): serves each case's files from the host nginx, runs
 * every tool over the same URL list once per repeat, and checks every file it saved.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { generateContent } from "../src/server/index.js";
import type { Cleanup } from "./cleanup.js";
import { runOrder } from "./core/plan.js";
import {
  FetchedBytes,
  killShares,
  seededRandom,
  setCommand,
  totalBytes,
  urlList,
  type SetCase,
  type SetFile,
  type SetRunResult,
  type SetTarget,
  type SetToolId,
} from "./core/sets.js";
import type { ToolEnvironment } from "./core/tools.js";
import type { Environments, Session } from "./environments.js";
import { SEED, sha256OfFile } from "./files.js";
import { runMeasured, runQuiet, runWatched, type Measured } from "./processes.js";

export interface SetContext {
  cleanup: Cleanup;
  log: (line: string) => void;
  scratch: string;
  serverRoot: string;
  outputDir: string;
  env: ToolEnvironment;
  environments: Environments;
}

const STEP = 4 * 1024 * 1024;

/** Writes a file of the keystream from `offset`; returns its SHA-256. */
async function writeGenerated(file: string, offset: number, size: number): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(file, "w");
  try {
    for (let at = 0; at < size; at += STEP) {
      const chunk = generateContent(SEED, offset + at, Math.min(STEP, size - at));
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, at);
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

/** Serves the case's files (each a different stretch of the keystream); name -> SHA-256. */
async function serveFiles(c: SetCase, root: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  let offset = 0;
  for (const f of [...c.files, ...(c.single ? [c.single] : [])]) {
    digests.set(f.name, await writeGenerated(path.join(root, f.name), offset, f.size));
    offset += f.size;
  }
  return digests;
}

async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/** The first file missing or wrong in `dir`, in words; undefined when all are right. */
async function checkFiles(
  dir: string,
  files: readonly SetFile[],
  digests: Map<string, string>,
): Promise<string | undefined> {
  for (const f of files) {
    const out = path.join(dir, f.name);
    if (!existsSync(out)) return `no output at ${out}`;
    if ((await sha256OfFile(out)) !== digests.get(f.name)) return `SHA-256 mismatch in ${f.name}`;
  }
  return undefined;
}

function failure(m: Measured): string | undefined {
  if (m.timedOut) return "timed out";
  if (m.code === 0) return undefined;
  const said = m.stderr.trim().split("\n").filter(Boolean).at(-1)?.slice(0, 160);
  const how = m.code !== null ? `exit ${m.code}` : `killed by ${m.signal ?? "?"}`;
  return said ? `${how}: ${said}` : how;
}

function exitOf(m: Measured & { killed?: boolean }): string {
  return m.killed ? "SIGKILL" : m.code !== null ? `exit ${m.code}` : `signal ${m.signal}`;
}

async function runTool(
  c: SetCase,
  tool: SetToolId,
  repeat: number,
  target: SetTarget,
  session: Session,
  digests: Map<string, string>,
  ctx: SetContext,
): Promise<SetRunResult> {
  await emptyDir(target.dir);
  const options = { timeoutMs: c.timeoutMs, scratch: ctx.scratch, cleanup: ctx.cleanup };
  const argv = setCommand(tool, target, ctx.env);
  const result: SetRunResult = { tool, repeat, ok: false, wallSeconds: 0 };
  let error: string | undefined;
  if (tool === "parget-killed") {
    // Kill points differ per repeat, the same in every run of the benchmark.
    const shares = killShares(c.kills ?? 3, seededRandom(1000 + repeat));
    const setBytes = totalBytes(c.files);
    result.exits = [];
    for (const share of [...shares, undefined, undefined]) {
      const fetched = new FetchedBytes();
      const m = await runWatched({ argv }, options, (line) => {
        fetched.line(line);
        return share !== undefined && fetched.fetched >= share * setBytes;
      });
      result.wallSeconds += m.wallSeconds;
      result.exits.push(exitOf(m));
      if (share === undefined || !m.killed) error ??= failure(m);
    }
  } else {
    const m = await runMeasured({ argv }, options);
    result.wallSeconds = m.wallSeconds;
    if (m.cpuSeconds !== undefined) result.cpuSeconds = m.cpuSeconds;
    if (m.peakRssBytes !== undefined) result.peakRssBytes = m.peakRssBytes;
    error = failure(m);
  }
  const files = tool === "parget-single" ? [c.single!] : c.files;
  error ??= await checkFiles(target.dir, files, digests);
  const counts = await session.finish();
  if (counts) {
    result.connections = counts.connections;
    result.requests = counts.requests;
    if (counts.bytes !== undefined) result.bytesSent = counts.bytes;
  }
  result.ok = error === undefined;
  if (error !== undefined) result.error = error;
  await emptyDir(target.dir);
  await runQuiet(["sync"]);
  return result;
}

/**
 * Runs every set case in turn; its files are removed from the server once it is done. A case
 * whose server cannot be started is skipped, with the reason, and the others still run.
 */
export async function runSetCases(
  cases: readonly SetCase[],
  ctx: SetContext,
): Promise<{ results: { case: SetCase; runs: SetRunResult[] }[]; skipped: string[] }> {
  const results: { case: SetCase; runs: SetRunResult[] }[] = [];
  const skipped: string[] = [];
  for (const c of cases) {
    ctx.log(`${c.id}: ${c.title}`);
    const digests = await serveFiles(c, ctx.serverRoot);
    let session: Session;
    try {
      session = await ctx.environments.session({ server: c.server, size: 0 });
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
      ctx.log(`${c.id}: skipped: ${reason}`);
      skipped.push(`${c.id}: ${reason}`);
      for (const name of digests.keys()) await rm(path.join(ctx.serverRoot, name), { force: true });
      continue;
    }
    const list = path.join(ctx.scratch, `${c.id}.list`);
    let sums: string | undefined;
    if (c.tools.includes("parget-killed")) {
      sums = path.join(ctx.scratch, `${c.id}.SHA256SUMS`);
      const summed = await runQuiet(["sha256sum", ...c.files.map((f) => f.name)], {
        cwd: ctx.serverRoot,
      });
      if (summed.code !== 0) throw new Error(`sha256sum: ${summed.stderr}`);
      await writeFile(sums, summed.stdout);
    }
    const runs: SetRunResult[] = [];
    for (let repeat = 0; repeat < c.repeats; repeat++) {
      for (const tool of runOrder(c.tools, repeat)) {
        const { base } = await session.start();
        await writeFile(list, urlList(base, c.files));
        const target = {
          base,
          list,
          dir: path.join(ctx.outputDir, c.id),
          files: c.files,
          sums,
          single: c.single,
        };
        const run = await runTool(c, tool, repeat, target, session, digests, ctx);
        runs.push(run);
        const said = run.ok
          ? `${run.wallSeconds.toFixed(2)} s, ${run.connections ?? "?"} conns, ` +
            `${((run.bytesSent ?? 0) / totalBytes(tool === "parget-single" ? [c.single!] : c.files)).toFixed(3)}x bytes` +
            (run.exits ? ` (${run.exits.join(", ")})` : "")
          : `FAILED (${run.error}${run.exits ? `; ${run.exits.join(", ")}` : ""})`;
        ctx.log(`  ${tool} #${repeat + 1}: ${said}`);
      }
    }
    results.push({ case: c, runs });
    for (const name of digests.keys()) await rm(path.join(ctx.serverRoot, name), { force: true });
  }
  await ctx.environments.release([]);
  return { results, skipped };
}
