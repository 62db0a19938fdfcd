/** Markdown tables of the report, and the number formats they use. */
import { markdownTable } from "../../src/measure/table.js";
import { sizeLabel } from "./plan.js";
import { mibPerSecond, type CaseSummary, type ToolSummary } from "./stats.js";
import { MiB } from "./types.js";

export const fmt = {
  seconds: (s: number | undefined): string =>
    s === undefined ? "–" : s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2),
  rate: (bytesPerSecond: number | undefined): string =>
    bytesPerSecond === undefined ? "–" : mibPerSecond(bytesPerSecond).toFixed(1),
  percent: (p: number | undefined): string => (p === undefined ? "–" : `${p.toFixed(0)}%`),
  cpu: (s: number | undefined): string => (s === undefined ? "–" : s.toFixed(2)),
  rss: (bytes: number | undefined): string =>
    bytes === undefined ? "–" : `${(bytes / MiB).toFixed(0)} MiB`,
  count: (n: number | undefined): string => (n === undefined ? "–" : String(Math.round(n))),
  ratio: (r: number | undefined): string => (r === undefined ? "–" : `${r.toFixed(2)}x`),
};

function okCell(t: ToolSummary): string {
  return t.ok === t.runs ? `${t.ok}/${t.runs}` : `**${t.ok}/${t.runs}**`;
}

/** The per-case table: one row per tool. */
export function caseTable(summary: CaseSummary): string {
  const header = [
    "tool",
    "median s",
    "MiB/s",
    "% of ideal",
    "CPU s/GiB",
    "peak RSS",
    "conns",
    "reqs",
    "vs aria2c",
    "vs best peer",
    "ok",
  ];
  const rows = summary.tools.map((t) => [
    t.tool.startsWith("parget") ? `**${t.tool}**` : t.tool,
    fmt.seconds(t.wallSeconds),
    fmt.rate(t.bytesPerSecond),
    fmt.percent(t.percentOfIdeal),
    fmt.cpu(t.cpuSecondsPerGiB),
    fmt.rss(t.peakRssBytes),
    fmt.count(t.connections),
    fmt.count(t.requests),
    fmt.ratio(t.vsAria2c),
    fmt.ratio(t.vsBestPeer),
    okCell(t),
  ]);
  return markdownTable(header, rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"]);
}

/** What 100% was in a case, in words. */
export function idealCell(summary: CaseSummary): string {
  const c = summary.case;
  if (c.ideal.kind === "rate") {
    return `${fmt.rate(c.ideal.bytesPerSecond)} MiB/s (${c.ideal.basis})`;
  }
  return summary.idealBytesPerSecond === undefined
    ? "fastest tool"
    : `${fmt.rate(summary.idealBytesPerSecond)} MiB/s (fastest tool)`;
}

/** One row per case: parget against aria2c and the best peer. */
export function summaryTable(summaries: readonly CaseSummary[]): string {
  const header = [
    "case",
    "100% =",
    "parget MiB/s",
    "aria2c MiB/s",
    "best peer",
    "parget vs aria2c",
    "parget vs best peer",
  ];
  const rows = summaries
    .filter((s) => s.skipped === undefined)
    .map((s) => {
      const find = (id: string): ToolSummary | undefined => s.tools.find((t) => t.tool === id);
      const parget = find("parget");
      const aria2c = find("aria2c");
      const best = s.bestPeer === undefined ? undefined : find(s.bestPeer);
      const withPercent = (t: ToolSummary | undefined): string =>
        t?.bytesPerSecond === undefined
          ? t === undefined
            ? "–"
            : "failed"
          : `${fmt.rate(t.bytesPerSecond)} (${fmt.percent(t.percentOfIdeal)})`;
      return [
        `${caseLabel(s)}`,
        idealCell(s),
        withPercent(parget),
        withPercent(aria2c),
        best === undefined ? "–" : `${best.tool} ${fmt.rate(best.bytesPerSecond)}`,
        fmt.ratio(parget?.vsAria2c),
        fmt.ratio(parget?.vsBestPeer),
      ];
    });
  return markdownTable(header, rows, ["l", "l", "r", "r", "l", "r", "r"]);
}

/** "2. paced, 128 MiB, n=16": short enough for a table row and a chart axis. */
export function caseLabel(summary: CaseSummary): string {
  const c = summary.case;
  const extra =
    c.scenario === "unthrottled"
      ? `, ${c.output}${c.server === "nginx-tls" ? ", https" : ""}`
      : c.server === "python"
        ? ", python"
        : c.server === "nginx-noranges"
          ? ", nginx"
          : "";
  return `${c.scenario} ${sizeLabel(c.size)}, n=${c.connections}${extra}`;
}
