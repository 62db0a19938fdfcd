/**
 * npm run bench:peers -- [--quick] [--only paced,uneven] [--tools parget,aria2c] ...
 *
 * Compares parget with aria2c, axel, rclone, wget2, curl and wget on servers it starts on
 * 127.0.0.1, and writes docs/benchmarks.md with a chart beside it. Every server, namespace and
 * temp file it makes is removed at the end, on failure and on Ctrl-C.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Cleanup, cleanUpOnSignals } from "./cleanup.js";
import { chartSvg } from "../src/measure/chart.js";
import { ArgsError, describeArgs, parseBenchArgs, USAGE, type BenchArgs } from "./core/args.js";
import { chartSpec } from "./core/chart.js";
import { estimateSeconds, planCases } from "./core/plan.js";
import { renderReport } from "./core/report.js";
import { planSetCases, summariseSetCase } from "./core/sets.js";
import { summariseCase } from "./core/stats.js";
import { summaryTable } from "./core/tables.js";
import { TOOLS, type ToolEnvironment } from "./core/tools.js";
import type { ToolId } from "./core/types.js";
import { fileSystemOf, generateFiles } from "./files.js";
import { machineFacts, sourceState, versions } from "./machine.js";
import { GNU_TIME, which } from "./processes.js";
import { Environments } from "./environments.js";
import { runCases } from "./runner.js";
import { runSetCases } from "./sets.js";

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The nearest directory above this file whose package.json is parget's (src and dist alike). */
function repoRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "parget") {
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error("no parget package.json above the benchmark");
  }
}

async function tempDir(parent: string, prefix: string, cleanup: Cleanup): Promise<string> {
  const dir = await mkdtemp(path.join(parent, prefix));
  cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  // nginx's workers run as nobody when the benchmark runs as root: they must read the files.
  await chmod(dir, 0o755);
  return dir;
}

/** The tools selected and installed; a sentence for each one left out. */
function availableTools(
  args: BenchArgs,
  pargetCli: string,
): { tools: ToolId[]; missing: string[] } {
  const tools: ToolId[] = [];
  const missing: string[] = [];
  for (const id of args.tools) {
    const tool = TOOLS.find((t) => t.id === id)!;
    if (id.startsWith("parget") && !existsSync(pargetCli)) {
      missing.push(`parget: ${pargetCli} does not exist (run npm run build)`);
    } else if (!which(tool.binary)) {
      missing.push(`${id}: \`${tool.binary}\` is not installed`);
    } else {
      tools.push(id);
    }
  }
  return { tools, missing };
}

/**
 * A copy of the CLI bundle beside it, so a rebuild during a long run (others work in this tree)
 * cannot change the parget under test; beside it, because it loads its native addon from there.
 */
async function pinned(cli: string, cleanup: Cleanup): Promise<string> {
  const copy = path.join(path.dirname(cli), `.parget-bench-${process.pid}.mjs`);
  cleanup.add(`remove ${copy}`, () => rm(copy, { force: true }));
  await copyFile(cli, copy);
  return copy;
}

async function run(args: BenchArgs, cleanup: Cleanup): Promise<void> {
  const root = repoRoot();
  const started = new Date();
  const pargetCli = path.resolve(root, args.parget ?? "dist/parget.mjs");
  const { tools, missing } = availableTools(args, pargetCli);
  for (const line of missing) log(`skipping ${line}`);
  const skipped = [...missing];
  if (!which(GNU_TIME)) skipped.push(`CPU time and peak RSS: ${GNU_TIME} (GNU time) is missing`);

  const cases = planCases({ ...args, scenarios: args.scenarios, tools });
  // Sets run parget and whichever of aria2c and wget2 is installed, whatever --tools says.
  const setCases = planSetCases({ ...args, scenarios: args.sets }).map((c) => ({
    ...c,
    tools: c.tools.filter((id) => id.startsWith("parget") || which(id)),
  }));
  if (cases.length === 0 && setCases.length === 0) {
    throw new Error("nothing to run: no selected tool takes part");
  }
  const runs = cases.reduce((n, c) => n + c.tools.length * c.repeats, 0);
  log(
    `${cases.length} cases, ${runs} runs, at least ${Math.ceil(estimateSeconds(cases) / 60)} min ` +
      `(${args.quick ? "quick" : "full"} mode); tools: ${tools.join(", ")}`,
  );

  const shm = "/dev/shm";
  const tmpfs = existsSync(shm) && (await fileSystemOf(shm)) === "tmpfs" ? shm : undefined;
  const scratch = await tempDir(os.tmpdir(), "parget-bench-", cleanup);
  const serverRoot = await tempDir(tmpfs ?? os.tmpdir(), "parget-bench-files-", cleanup);
  const outputDirs = {
    disk: await tempDir(path.resolve(args.outDir ?? os.tmpdir()), "parget-bench-out-", cleanup),
    tmpfs: tmpfs ? await tempDir(tmpfs, "parget-bench-out-", cleanup) : undefined,
  };
  if (!tmpfs) skipped.push("tmpfs output: /dev/shm is not a tmpfs here");
  const env: ToolEnvironment = {
    node: process.execPath,
    pargetCli: tools.some((id) => id.startsWith("parget"))
      ? await pinned(pargetCli, cleanup)
      : pargetCli,
    rcloneConfig: path.join(scratch, "rclone.conf"),
  };
  await writeFile(env.rcloneConfig, "");

  const sizes = [...new Set(cases.map((c) => c.size))];
  log(`generating ${sizes.length} test files in ${serverRoot}...`);
  const files = await generateFiles(serverRoot, sizes);
  const machine = await machineFacts({
    outputDir: outputDirs.disk,
    tmpfsDir: outputDirs.tmpfs,
    serverRoot,
  });
  const programVersions = await versions(
    TOOLS.filter((t) => tools.includes(t.id)),
    env,
  );
  if (programVersions.parget) programVersions.parget += ` (${await sourceState(root)})`;

  const results = await runCases(cases, {
    cleanup,
    log,
    scratch,
    serverRoot,
    files,
    outputDirs,
    env,
  });
  const { results: setResults, skipped: setsSkipped } = await runSetCases(setCases, {
    cleanup,
    log,
    scratch,
    serverRoot,
    outputDir: outputDirs.disk,
    env,
    environments: new Environments({ scratch, serverRoot, files, cleanup }),
  });
  const summaries = results.map((r) => summariseCase(r.case, r.runs, r.skipped));
  const setSummaries = setResults.map((r) => summariseSetCase(r.case, r.runs));
  for (const s of summaries) if (s.skipped) skipped.push(`${s.case.id}: ${s.skipped}`);
  skipped.push(...setsSkipped);

  const reportPath = path.resolve(root, args.report);
  const chartPath = reportPath.replace(/\.md$/, "") + "-peers.svg";
  const spec = chartSpec(summaries);
  const svg = spec && chartSvg(spec);
  if (svg) await writeFile(chartPath, svg);
  const markdown = renderReport({
    command: describeArgs(args),
    mode: args.quick ? "quick" : "full",
    startedAt: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    machine,
    versions: programVersions,
    tools,
    skipped,
    summaries,
    sets: setSummaries,
    chart: svg ? path.basename(chartPath) : undefined,
  });
  await writeFile(reportPath, markdown);
  if (args.json) {
    await writeFile(
      path.resolve(root, args.json),
      `${JSON.stringify({ machine, results, setResults }, null, 2)}\n`,
    );
  }
  process.stdout.write(`${summaryTable(summaries)}\n\nwrote ${reportPath}\n`);
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    process.stderr.write(`bench:peers: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const cleanup = new Cleanup();
  const uninstall = cleanUpOnSignals(cleanup, log);
  try {
    await run(args, cleanup);
    return 0;
  } catch (error) {
    log(`bench:peers: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    await cleanup.runAll(log);
    uninstall();
  }
}

process.exitCode = await main(process.argv.slice(2));
