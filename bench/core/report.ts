/** docs/benchmarks.md, rendered from a finished run: pure, so it can be re-rendered from JSON. */
import { durationText } from "../../src/measure/table.js";
import { LOG_FORMAT } from "./configs.js";
import { SCENARIOS } from "./scenarios.js";
import { renderSetSection, type SetCaseSummary } from "./sets.js";
import type { CaseSummary } from "./stats.js";
import { caseTable, idealCell, summaryTable } from "./tables.js";
import { commandTemplate, TOOLS } from "./tools.js";
import type { ToolId } from "./types.js";

export interface MachineFacts {
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  node: string;
  /** Load averages when the run started: other work on the machine shows here. */
  load: string;
  outputDir: string;
  outputFs: string;
  tmpfsDir: string | undefined;
  serverRoot: string;
  serverRootFs: string;
}

export interface Report {
  command: string;
  mode: "quick" | "full";
  startedAt: string;
  durationSeconds: number;
  machine: MachineFacts;
  /** First line of each program's version output. */
  versions: Record<string, string>;
  /** Tools that took part. */
  tools: ToolId[];
  /** Things left out, each a sentence. */
  skipped: string[];
  summaries: CaseSummary[];
  /** The set benchmarks (issue 9). */
  sets?: SetCaseSummary[];
  /** The chart, relative to the report; none when it could not be drawn. */
  chart: string | undefined;
}

function machineSection(r: Report): string {
  const m = r.machine;
  const rows: [string, string][] = [
    ["CPU", `${m.cpu}, ${m.cores} cores`],
    ["memory", m.memory],
    ["kernel", m.kernel],
    ["node", m.node],
    ["load average at start", m.load],
    ["downloads written to", `${m.outputDir} (${m.outputFs})`],
    ...(m.tmpfsDir
      ? [["tmpfs output (scenario 1)", `${m.tmpfsDir} (tmpfs)`] as [string, string]]
      : []),
    ["served files", `${m.serverRoot} (${m.serverRootFs})`],
    ...Object.entries(r.versions).map(([k, v]) => [k, v] as [string, string]),
  ];
  return ["| | |", "| --- | --- |", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
}

function commandsSection(r: Report): string {
  const tools = TOOLS.filter((t) => r.tools.includes(t.id));
  const lines = tools.map((t) => `${t.id.padEnd(12)} ${commandTemplate(t)}`);
  const checksum = tools
    .filter((t) => t.verifies)
    .map((t) => `${t.id.padEnd(12)} ${commandTemplate(t, true)}`);
  return [
    "Each run is `/usr/bin/time -f '%e %U %S %M' -o REPORT <command>` (inside `ip netns exec NS` " +
      "in scenario 5); wall time is measured by the benchmark around it. `$N` is the case's " +
      "connection count, `$BASE` the server's URL, `$DIR` an empty directory.",
    "",
    "```sh",
    ...lines,
    "# scenario 7: these verify themselves; the others are followed by `sha256sum --quiet --status -c LIST`",
    ...checksum,
    "```",
    "",
    "nginx runs in the foreground with a private config (`-p DIR -c DIR/nginx.conf -e " +
      "DIR/error.log`), one worker, `sendfile on`, `keepalive_requests 100000`, the files on " +
      `tmpfs, and an access log in the format \`${LOG_FORMAT}\`, from which each run's ` +
      "connections (distinct `$connection`) and requests (lines) are counted. Its listening " +
      "sockets come from a python3 launcher (`bench/core/configs.ts`): `socket()`, " +
      "`setsockopt(SOL_SOCKET, 47 /* SO_MAX_PACING_RATE */, rate)` for the paced one, " +
      '`bind(127.0.0.1:0)`, `listen()`, then `execvpe("nginx", ..., NGINX="fd;fd;...")`. ' +
      "parget's own server counts connections and requests itself; python's http.server logs " +
      "one line per request and answers one request per connection.",
  ].join("\n");
}

function methodSection(): string {
  return [
    "- Every server and client runs on 127.0.0.1 on this one machine; the servers are started by",
    "  the benchmark with private configs and stopped at the end (also on failure or Ctrl-C).",
    "- Files are generated (an AES-CTR keystream) with known SHA-256 digests; every output is",
    "  verified after its run, and a run whose digest differs counts as failed.",
    "- Within a case every tool runs once per repeat; each repeat starts with another tool and",
    "  changes which tool follows which, so drift and what a run leaves behind hit all alike.",
    "  The output is deleted (and `sync` run) between runs.",
    "- median s: median wall time of the successful repeats, process start to exit.",
    "  MiB/s = size / median s. CPU s/GiB: median user+sys of the client per GiB.",
    "  peak RSS: the highest max RSS over the repeats. conns/reqs: what the server saw (median).",
    "- vs aria2c, vs best peer: the tool's MiB/s divided by aria2c's (`-k 1M`) and by the",
    "  fastest tool other than parget in the same case and run; above 1.00x is faster.",
    "- A run that outlives the case's timeout is killed and counted as failed, and that tool is",
    "  not run again in that case.",
  ].join("\n");
}

/** A case's title; scenario 1 also names the file system the output went to. */
function heading(s: CaseSummary, m: MachineFacts): string {
  if (s.case.scenario !== "unthrottled") return s.case.title;
  const fs = s.case.output === "tmpfs" ? "tmpfs" : `${m.outputFs} (the disk)`;
  return `${s.case.title}, output on ${fs}`;
}

export function renderReport(r: Report): string {
  const out: string[] = [];
  out.push(
    "# parget and its peers",
    "",
    `Generated by \`${r.command}\` (${r.mode} mode) on ${r.startedAt.slice(0, 16).replace("T", " ")} UTC ` +
      `in ${durationText(r.durationSeconds)}. The machine is small and shared with other work, so ` +
      "treat these numbers as provisional; the ratios, measured side by side in the same run, " +
      "travel better than the absolute speeds.",
    "",
    "## How it is measured",
    "",
    methodSection(),
    "",
    "## Machine",
    "",
    machineSection(r),
    "",
    "## Summary",
    "",
  );
  if (r.chart) {
    out.push(
      `![Percent of each case's ideal, per tool](${r.chart})`,
      "",
      "The chart shows each tool's percent of the case's ideal (see the tables): the median of " +
        "its repeats, with a whisker from the slowest to the fastest.",
      "",
    );
  }
  out.push(summaryTable(r.summaries), "");

  for (const scenario of SCENARIOS) {
    const summaries = r.summaries.filter((s) => s.case.scenario === scenario.id);
    if (summaries.length === 0) continue;
    out.push(`## ${scenario.number}. ${scenario.title}`, "", scenario.how, "");
    for (const s of summaries) {
      out.push(`### ${heading(s, r.machine)}`, "");
      if (s.skipped !== undefined) {
        out.push(`Skipped: ${s.skipped}`, "");
        continue;
      }
      out.push(
        `100% = ${idealCell(s)}; ${s.case.repeats} repeat${s.case.repeats === 1 ? "" : "s"}.`,
        "",
        caseTable(s),
        "",
      );
      const failures = s.tools.filter((t) => t.errors.length > 0);
      for (const t of failures) out.push(`- ${t.tool} failed: ${t.errors.join("; ")}`);
      if (failures.length > 0) out.push("");
    }
  }

  if (r.sets && r.sets.length > 0) out.push(renderSetSection(r.sets));
  out.push("## Commands", "", commandsSection(r), "");
  const notes = TOOLS.filter((t) => r.tools.includes(t.id) && t.note).map((t) => `- ${t.note}`);
  if (notes.length > 0 || r.skipped.length > 0) {
    out.push("## Notes", "", ...notes, ...r.skipped.map((s) => `- Skipped: ${s}`), "");
  }
  return out.join("\n");
}
