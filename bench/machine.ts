/** What the report says about the machine and the programs compared. */
import { readFile } from "node:fs/promises";
import os from "node:os";
import type { MachineFacts } from "./core/report.js";
import type { Tool, ToolEnvironment } from "./core/tools.js";
import { fileSystemOf } from "./files.js";
import { runQuiet, which } from "./processes.js";

async function cpuModel(): Promise<string> {
  const info = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
}

export async function machineFacts(dirs: {
  outputDir: string;
  tmpfsDir: string | undefined;
  serverRoot: string;
}): Promise<MachineFacts> {
  return {
    cpu: await cpuModel(),
    cores: os.availableParallelism(),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(", "),
    outputDir: dirs.outputDir,
    outputFs: await fileSystemOf(dirs.outputDir),
    tmpfsDir: dirs.tmpfsDir,
    serverRoot: dirs.serverRoot,
    serverRootFs: await fileSystemOf(dirs.serverRoot),
  };
}

/** The first line a program prints for its version (nginx prints it on stderr). */
async function versionLine(argv: string[]): Promise<string> {
  const result = await runQuiet(argv, { timeoutMs: 10_000 });
  const text = result.stdout.trim() || result.stderr.trim();
  const line = text.split("\n")[0]?.trim() || `unknown (exit ${result.code})`;
  // curl lists every library it links; the name and version are what matter.
  return line.length > 80 ? line.slice(0, line.indexOf(" (") > 0 ? line.indexOf(" (") : 80) : line;
}

export async function versions(
  tools: readonly Tool[],
  env: ToolEnvironment,
): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const tool of tools) {
    // aria2c-k20M is aria2c again, parget-auto parget.
    if (tool.id === "aria2c-k20M" || tool.id === "parget-auto") continue;
    const argv = tool.version.map((a) =>
      a === "$NODE" ? env.node : a === "$PARGET" ? env.pargetCli : a,
    );
    found[tool.id] = await versionLine(argv);
  }
  const nginx = which("nginx");
  if (nginx) found.nginx = await versionLine([nginx, "-v"]);
  if (which("python3")) found.python3 = await versionLine(["python3", "--version"]);
  return found;
}

/** The commit parget was built from, and whether src/ had uncommitted changes. */
export async function sourceState(root: string): Promise<string> {
  const head = await runQuiet(["git", "-C", root, "rev-parse", "--short", "HEAD"]);
  if (head.code !== 0) return "not a git checkout";
  const dirty = await runQuiet([
    "git",
    "--no-optional-locks",
    "-C",
    root,
    "status",
    "--porcelain",
    "--",
    "src",
  ]);
  const changed = dirty.stdout.trim() !== "";
  return `built from ${head.stdout.trim()}${changed ? " plus uncommitted changes in src/" : ""}`;
}
