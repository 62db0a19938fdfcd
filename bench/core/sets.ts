/**
 * The set benchmarks (issue 9): many files under one scheduler. Their cases, the files each
 * serves, the command lines, when to kill a run, and what the tables say. Pure, like plan.ts.
 */
import { shellQuote, type ToolEnvironment } from "./tools.js";
import { median, medianOfKnown } from "../../src/measure/stats.js";
import { markdownTable } from "../../src/measure/table.js";
import { fmt } from "./tables.js";
import { GiB, KiB, MiB } from "./types.js";
import { PACE } from "./scenarios.js";

export const SET_SCENARIO_IDS = ["many-small", "paced-set", "killed-set", "set-memory"] as const;
export type SetScenarioId = (typeof SET_SCENARIO_IDS)[number];

/**
 * `parget`: one `-i LIST -d DIR` run with the set defaults (-j 16, 64 connections, 16 a host).
 * `parget-loop`: a shell loop of single parget runs. `parget-single`: one large file, defaults.
 * `parget-killed`: the set run SIGKILLed and rerun until it completes.
 */
export const SET_TOOL_IDS = [
  "parget",
  "parget-loop",
  "parget-single",
  "parget-killed",
  "aria2c",
  "wget2",
] as const;
export type SetToolId = (typeof SET_TOOL_IDS)[number];

export interface SetFile {
  name: string;
  size: number;
}

export interface SetCase {
  id: SetScenarioId;
  title: string;
  /** What is measured and how, for the report. */
  how: string;
  server: "nginx" | "nginx-paced";
  files: SetFile[];
  /** The large file `parget-single` fetches instead of the set. */
  single?: SetFile;
  tools: SetToolId[];
  repeats: number;
  timeoutMs: number;
  /** Seconds the connection budget allows at best (16 per host x 8 MiB/s), when paced. */
  idealSeconds?: number;
  /** How often a `parget-killed` run is killed before the final rerun. */
  kills?: number;
}

/** parget's defaults for a set: 16 connections to one host, each paced at 8 MiB/s. */
export const HOST_CONNECTIONS = 16;
export const ACTIVE_FILES = 16;

/** A small, seeded generator (mulberry32): the same sizes and kill points in every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function setFiles(prefix: string, sizes: readonly number[]): SetFile[] {
  const digits = String(sizes.length).length;
  return sizes.map((size, i) => ({
    name: `${prefix}-${String(i).padStart(digits, "0")}.bin`,
    size,
  }));
}

/** `count` sizes from `min` to `max` in whole KiB, spread evenly on a log scale. */
export function mixedSizes(
  count: number,
  min: number,
  max: number,
  random: () => number,
): number[] {
  return Array.from({ length: count }, () => {
    const size = Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min)));
    return Math.round(size / KiB) * KiB;
  });
}

export function totalBytes(files: readonly SetFile[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/** Paced: what 16 connections at 8 MiB/s need at best for `bytes`. */
export function pacedIdealSeconds(bytes: number): number {
  return bytes / (HOST_CONNECTIONS * PACE);
}

export function planSetCases(options: {
  scenarios: readonly string[];
  quick: boolean;
  repeats?: number | undefined;
}): SetCase[] {
  const repeats = options.repeats ?? (options.quick ? 1 : 3);
  const n = options.quick ? 0.25 : 1;
  const cases: SetCase[] = [];
  const want = (id: SetScenarioId): boolean => options.scenarios.includes(id);
  if (want("many-small")) {
    const files = setFiles("small", Array<number>(1000 * n).fill(64 * KiB));
    cases.push({
      id: "many-small",
      title: `${files.length} files of 64 KiB from nginx`,
      how:
        "Unthrottled nginx; every tool gets the same list of URLs and an empty directory. " +
        "The figure that counts is files per second.",
      server: "nginx",
      files,
      tools: ["parget", "aria2c", "wget2"],
      repeats,
      timeoutMs: 120_000,
    });
  }
  if (want("paced-set")) {
    const files = setFiles("paced", Array<number>(16).fill((options.quick ? 16 : 64) * MiB));
    const ideal = pacedIdealSeconds(totalBytes(files));
    cases.push({
      id: "paced-set",
      title: `${files.length} files of ${files[0]!.size / MiB} MiB from paced nginx (8 MiB/s a connection)`,
      how:
        "The paced nginx listener (kernel pacing, 8 MiB/s per connection). 100% is the set's " +
        "bytes over the connection budget parget has for one host: 16 x 8 MiB/s = 128 MiB/s. " +
        "`parget-loop` is a shell loop of one parget run per file (defaults each).",
      server: "nginx-paced",
      files,
      tools: ["parget", "aria2c", "parget-loop"],
      repeats,
      timeoutMs: Math.round((8 * ideal + 30) * 1000),
      idealSeconds: ideal,
    });
  }
  if (want("killed-set")) {
    const files = setFiles("mixed", mixedSizes(200 * n, 256 * KiB, 8 * MiB, seededRandom(9)));
    cases.push({
      id: "killed-set",
      title: `${files.length} files of 256 KiB to 8 MiB (${fmtMiB(totalBytes(files))}), paced, killed 3 times`,
      how:
        "`parget --checksums SHA256SUMS -i LIST` (the list made by `sha256sum`) from the paced " +
        "nginx listener, SIGKILLed 3 times at random points (once the `--json` progress lines " +
        "show 10-30% of the set fetched in that run), rerun after each kill, then rerun to the " +
        "end, then once more (which must fetch nothing). The case passes when the last two runs " +
        "exit 0 and every file's SHA-256 is right. Server bytes / set: what nginx sent over " +
        "all the runs (`$body_bytes_sent`), over the set's size; the time is all runs together.",
      server: "nginx-paced",
      files,
      tools: ["parget-killed"],
      repeats,
      timeoutMs: Math.round((4 * pacedIdealSeconds(totalBytes(files)) + 30) * 1000),
      kills: 3,
    });
  }
  if (want("set-memory")) {
    const files = setFiles("queued", Array<number>(1000 * n).fill(MiB));
    const single = { name: "single.bin", size: totalBytes(files) };
    cases.push({
      id: "set-memory",
      title: `${files.length} queued files of 1 MiB (16 active) against one file of ${fmtMiB(single.size)}, paced`,
      how:
        "Peak RSS (GNU time) of one parget `-i` run over the whole list, 16 files active at any " +
        "time, against parget fetching one file of the same total size, both paced and with " +
        "defaults. The cost per active file is the difference over 16.",
      server: "nginx-paced",
      files,
      single,
      tools: ["parget", "parget-single"],
      repeats,
      timeoutMs: Math.round((6 * pacedIdealSeconds(single.size) + 30) * 1000),
    });
  }
  return cases;
}

function fmtMiB(bytes: number): string {
  return bytes >= GiB && bytes % GiB === 0
    ? `${bytes / GiB} GiB`
    : `${Math.round(bytes / MiB)} MiB`;
}

/** The URL list every tool reads: one URL a line (aria2's input format without options). */
export function urlList(base: string, files: readonly SetFile[]): string {
  return files.map((f) => `${base}${f.name}\n`).join("");
}

export interface SetTarget {
  base: string;
  /** The URL list. */
  list: string;
  dir: string;
  files: readonly SetFile[];
  /** SHA256SUMS for the set, when the case verifies. */
  sums?: string | undefined;
  single?: SetFile | undefined;
}

export function setCommand(tool: SetToolId, t: SetTarget, env: ToolEnvironment): string[] {
  const parget = [env.node, env.pargetCli];
  switch (tool) {
    case "parget":
      return [...parget, "-q", "-i", t.list, "-d", t.dir];
    case "parget-killed":
      return [...parget, "--json", "--checksums", t.sums!, "-i", t.list, "-d", t.dir];
    case "parget-single":
      return [...parget, "-q", "-d", t.dir, `${t.base}${t.single!.name}`];
    case "parget-loop": {
      const one = [...parget, "-q", "-d", t.dir].map(shellQuote).join(" ");
      const script = `while read -r url; do ${one} "$url" || exit 1; done < ${shellQuote(t.list)}`;
      return ["sh", "-c", script];
    }
    case "aria2c": {
      const jobs = t.files.length > 16 ? ["-j", "16"] : ["-j", "4", "-x", "16", "-s", "16"];
      return ["aria2c", "--no-conf", "-q", ...jobs, "-i", t.list, "-d", t.dir];
    }
    case "wget2":
      return ["wget2", "--no-config", "-q", "--max-threads=16", "-i", t.list, "-P", t.dir];
  }
}

/** The command a case runs for a tool, with placeholders, for the report. */
export function setCommandTemplate(c: SetCase, tool: SetToolId): string {
  const argv = setCommand(
    tool,
    {
      base: "$BASE",
      list: "LIST",
      dir: "$DIR",
      files: c.files,
      sums: "SHA256SUMS",
      single: c.single,
    },
    { node: "node", pargetCli: "dist/parget.mjs", rcloneConfig: "" },
  );
  return argv
    .map(shellQuote)
    .join(" ")
    .replace(/'\$BASE/g, "'$BASE");
}

/**
 * Where to kill each of `kills` runs: a share of the set's bytes that run must have fetched
 * first, from 10% to 30%, so that even after every kill part of the set is left for the end.
 */
export function killShares(kills: number, random: () => number): number[] {
  return Array.from({ length: kills }, () => 0.1 + 0.2 * random());
}

/**
 * Follows parget's `--json` lines of one run: the bytes it fetched so far (on disk, minus what
 * each file resumed from). Feed it lines; `fetched` is the running total.
 */
export class FetchedBytes {
  #resumed = new Map<number, number>();
  #onDisk = new Map<number, number>();
  fetched = 0;

  /** Takes one line; ignores what is not an event with a file id. */
  line(text: string): void {
    let event: {
      type?: unknown;
      id?: unknown;
      bytes?: unknown;
      resumedBytes?: unknown;
      result?: { size?: unknown };
    };
    try {
      event = JSON.parse(text) as typeof event;
    } catch {
      return;
    }
    if (typeof event.id !== "number") return;
    if (event.type === "start" && typeof event.resumedBytes === "number") {
      this.#resumed.set(event.id, event.resumedBytes);
      return;
    }
    // A small file can end between two progress lines: "done" carries its size.
    const bytes =
      event.type === "progress"
        ? event.bytes
        : event.type === "done"
          ? event.result?.size
          : undefined;
    if (typeof bytes !== "number") return;
    const previous = this.#onDisk.get(event.id) ?? this.#resumed.get(event.id) ?? 0;
    this.#onDisk.set(event.id, bytes);
    this.fetched += bytes - previous;
  }
}

/** One tool's run of a set case (for `parget-killed`: all its runs together). */
export interface SetRunResult {
  tool: SetToolId;
  repeat: number;
  ok: boolean;
  error?: string;
  wallSeconds: number;
  cpuSeconds?: number;
  peakRssBytes?: number;
  connections?: number;
  requests?: number;
  /** Body bytes the server sent during the run. */
  bytesSent?: number;
  /** parget-killed: the runs' exit statuses or signals, in order. */
  exits?: string[];
}

export interface SetToolSummary {
  tool: SetToolId;
  runs: number;
  ok: number;
  errors: string[];
  wallSeconds?: number | undefined;
  filesPerSecond?: number | undefined;
  bytesPerSecond?: number | undefined;
  percentOfIdeal?: number | undefined;
  peakRssBytes?: number | undefined;
  connections?: number | undefined;
  requests?: number | undefined;
  /** Median of the server's bytes over the set's bytes. */
  sentPerSetBytes?: number | undefined;
  /** The worst (highest) of those. */
  worstSentPerSetBytes?: number | undefined;
  /** parget's speed over this tool's: above 1 parget is faster. */
  pargetSpeedup?: number | undefined;
}

export interface SetCaseSummary {
  case: SetCase;
  tools: SetToolSummary[];
  /** set-memory: parget's peak RSS minus parget-single's, and that over 16. */
  rssExtraBytes?: number;
  rssPerActiveFile?: number;
}

export function summariseSetCase(c: SetCase, runs: readonly SetRunResult[]): SetCaseSummary {
  const setBytes = totalBytes(c.files);
  const tools = c.tools.map((tool): SetToolSummary => {
    const mine = runs.filter((r) => r.tool === tool);
    const good = mine.filter((r) => r.ok);
    const errors = [...new Set(mine.filter((r) => !r.ok).map((r) => r.error ?? "failed"))];
    const summary: SetToolSummary = { tool, runs: mine.length, ok: good.length, errors };
    if (good.length === 0) return summary;
    const wall = median(good.map((r) => r.wallSeconds));
    const bytes = tool === "parget-single" ? c.single!.size : setBytes;
    const rss = good.flatMap((r) => (r.peakRssBytes === undefined ? [] : [r.peakRssBytes]));
    const sent = good.flatMap((r) => (r.bytesSent === undefined ? [] : [r.bytesSent / bytes]));
    return {
      ...summary,
      wallSeconds: wall,
      filesPerSecond: tool === "parget-single" ? undefined : c.files.length / wall,
      bytesPerSecond: bytes / wall,
      percentOfIdeal: c.idealSeconds === undefined ? undefined : (100 * c.idealSeconds) / wall,
      peakRssBytes: rss.length > 0 ? Math.max(...rss) : undefined,
      connections: medianOfKnown(good.map((r) => r.connections)),
      requests: medianOfKnown(good.map((r) => r.requests)),
      sentPerSetBytes: sent.length > 0 ? median(sent) : undefined,
      worstSentPerSetBytes: sent.length > 0 ? Math.max(...sent) : undefined,
    };
  });
  const parget = tools.find((t) => t.tool === "parget");
  for (const t of tools) {
    if (
      parget?.wallSeconds !== undefined &&
      t.wallSeconds !== undefined &&
      t.tool !== "parget-single"
    ) {
      t.pargetSpeedup = t.wallSeconds / parget.wallSeconds;
    }
  }
  const summary: SetCaseSummary = { case: c, tools };
  const single = tools.find((t) => t.tool === "parget-single");
  if (parget?.peakRssBytes !== undefined && single?.peakRssBytes !== undefined) {
    summary.rssExtraBytes = parget.peakRssBytes - single.peakRssBytes;
    summary.rssPerActiveFile = summary.rssExtraBytes / ACTIVE_FILES;
  }
  return summary;
}

/** The per-case table: one row per tool. */
export function setCaseTable(s: SetCaseSummary): string {
  const header = [
    "tool",
    "median s",
    "files/s",
    "MiB/s",
    "% of ideal",
    "peak RSS",
    "conns",
    "reqs",
    "server bytes / set",
    "parget faster by",
    "ok",
  ];
  const rows = s.tools.map((t) => [
    t.tool.startsWith("parget") ? `**${t.tool}**` : t.tool,
    fmt.seconds(t.wallSeconds),
    t.filesPerSecond === undefined
      ? "–"
      : t.filesPerSecond.toFixed(t.filesPerSecond >= 100 ? 0 : 1),
    fmt.rate(t.bytesPerSecond),
    fmt.percent(t.percentOfIdeal),
    fmt.rss(t.peakRssBytes),
    fmt.count(t.connections),
    fmt.count(t.requests),
    t.sentPerSetBytes === undefined
      ? "–"
      : `${t.sentPerSetBytes.toFixed(3)}x (worst ${t.worstSentPerSetBytes!.toFixed(3)}x)`,
    t.tool === "parget" ? "" : fmt.ratio(t.pargetSpeedup),
    t.ok === t.runs ? `${t.ok}/${t.runs}` : `**${t.ok}/${t.runs}**`,
  ]);
  return markdownTable(header, rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"]);
}

/** One line per case: the figure issue 9 sets a target for. */
export function setHeadline(s: SetCaseSummary): string {
  const find = (id: SetToolId): SetToolSummary | undefined => s.tools.find((t) => t.tool === id);
  const parget = find("parget");
  switch (s.case.id) {
    case "many-small":
    case "paced-set": {
      const peers = s.tools.filter((t) => t.tool !== "parget" && t.pargetSpeedup !== undefined);
      const vs = peers.map((t) => `${fmt.ratio(t.pargetSpeedup)} ${t.tool}'s speed`).join(", ");
      const ideal =
        parget?.percentOfIdeal === undefined
          ? ""
          : `; ${fmt.percent(parget.percentOfIdeal)} of ideal (${fmt.seconds(s.case.idealSeconds)} s, target 95%)`;
      return `parget: ${vs || "no peer finished"}${ideal}.`;
    }
    case "killed-set": {
      const killed = find("parget-killed");
      return killed?.sentPerSetBytes === undefined
        ? "parget-killed: no repeat ended with the set verified."
        : `server bytes over the set: median ${killed.sentPerSetBytes.toFixed(3)}x, worst ` +
            `${killed.worstSentPerSetBytes!.toFixed(3)}x (target at most 1.1x); ` +
            `${killed.ok}/${killed.runs} repeats ended with every file verified.`;
    }
    case "set-memory":
      return s.rssExtraBytes === undefined
        ? "set-memory: a run failed, no difference to report."
        : `peak RSS with ${s.case.files.length} files queued and 16 active: ` +
            `${fmt.rss(find("parget")?.peakRssBytes)} against ${fmt.rss(find("parget-single")?.peakRssBytes)} ` +
            `for one file, ${fmt.rss(s.rssExtraBytes)} more, ${(s.rssPerActiveFile! / MiB).toFixed(1)} MiB ` +
            "per active file.";
  }
}

/** The report's section on sets: each case's method, table, headline and commands. */
export function renderSetSection(summaries: readonly SetCaseSummary[]): string {
  if (summaries.length === 0) return "";
  const out: string[] = ["## 8. Sets of files (issue 9)", ""];
  out.push(
    markdownTable(
      ["case", "result"],
      summaries.map((s) => [s.case.id, setHeadline(s)]),
    ),
    "",
  );
  for (const s of summaries) {
    out.push(`### ${s.case.id}: ${s.case.title}`, "", s.case.how, "");
    const repeats = `${s.case.repeats} repeat${s.case.repeats === 1 ? "" : "s"}`;
    out.push(`${repeats}, tools in a new order each repeat.`, "", setCaseTable(s), "");
    out.push(setHeadline(s), "");
    for (const t of s.tools.filter((t) => t.errors.length > 0)) {
      out.push(`- ${t.tool} failed: ${t.errors.join("; ")}`);
    }
    out.push("```sh", ...s.case.tools.map((t) => setCommandTemplate(s.case, t)), "```", "");
  }
  return out.join("\n");
}
