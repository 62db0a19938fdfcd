/**
 * The text and JSON that `parget bench` prints: the progress of one run, the results table, the
 * recommendation, the machine-readable report. Pure: strings and objects out, nothing written.
 */
import { formatBytes } from "../../index.js";
import { cellFlags, chunkLabel, type ChunkSetting, type Run } from "./plan.js";
import type { CellSummary, Recommendation } from "./results.js";

/** What was measured, as the report and the chart's title describe it. */
export interface BenchTarget {
  /** Credentials and query removed. */
  url: string;
  /** parget's own server, started for the sweep. */
  embedded: boolean;
  size: number;
  /** The embedded server's settings. */
  ratePerConnection?: number;
  latencyMs?: number;
}

/** `64.0 MiB from the embedded server (8.00 MiB/s per connection, 20 ms latency)`. */
export function targetText(target: BenchTarget): string {
  if (!target.embedded) return `${formatBytes(target.size)} from ${target.url}`;
  const rate = target.ratePerConnection
    ? `${formatBytes(target.ratePerConnection)}/s per connection`
    : "unthrottled";
  return `${formatBytes(target.size)} from the embedded server (${rate}, ${target.latencyMs ?? 0} ms latency)`;
}

/** `[ 7/36] -n 4 -k 1M, run 2/3`. */
export function runText(run: Run, totalRuns: number, repeats: number): string {
  const width = String(totalRuns).length;
  return `[${String(run.index).padStart(width)}/${totalRuns}] ${cellFlags(run.cell)}, run ${run.repeat}/${repeats}`;
}

/** A throughput unit for a whole table, so its columns compare at a glance. */
export function unitFor(bytesPerSecond: number): { name: string; scale: number } {
  if (bytesPerSecond >= 1024 ** 3 * 10) return { name: "GiB/s", scale: 1024 ** 3 };
  if (bytesPerSecond >= 1024 ** 2) return { name: "MiB/s", scale: 1024 ** 2 };
  return { name: "KiB/s", scale: 1024 };
}

/**
 * Rows are connection counts, columns chunk sizes; each cell `median (min-max)`. The recommended
 * cell is marked with `*`.
 */
export function resultsTable(
  summaries: readonly CellSummary[],
  connections: readonly number[],
  chunks: readonly ChunkSetting[],
  repeats: number,
  recommended?: Pick<Recommendation, "connections" | "chunk">,
): string {
  const unit = unitFor(Math.max(0, ...summaries.map((s) => s.max)));
  const num = (v: number): string => (v / unit.scale).toFixed(1);
  // A column for the star, so the numbers stay right-aligned.
  const blank = recommended ? " " : "";
  const rows: string[][] = [
    ["", ...chunks.map((c) => (c === "dynamic" ? c : `-k ${chunkLabel(c)}`) + blank)],
  ];
  for (const n of connections) {
    const row = [`-n ${n}`];
    for (const chunk of chunks) {
      const s = summaries.find((x) => x.connections === n && x.chunk === chunk);
      let text = s === undefined ? "-" : num(s.median);
      if (s !== undefined && s.runs.length > 1) text += ` (${num(s.min)}-${num(s.max)})`;
      text += recommended?.connections === n && recommended.chunk === chunk ? "*" : blank;
      row.push(text);
    }
    rows.push(row);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
      .join("   ")
      .trimEnd(),
  );
  const what = repeats > 1 ? `median (min-max) of ${repeats} runs` : "one run each";
  const legend = recommended ? ["* recommended"] : [];
  return [`${unit.name}, ${what}:`, ...lines, ...legend].join("\n") + "\n";
}

/** The recommendation as printed after the table, ending with the command to run. */
export function recommendationText(rec: Recommendation, url: string): string {
  return (
    [
      `recommended: ${rec.text}`,
      ...rec.notes.map((note) => `  ${note}`),
      `  parget ${rec.flags} ${url}`,
    ].join("\n") + "\n"
  );
}

export interface BenchReport {
  target: BenchTarget;
  repeats: number;
  /** In bytes per second; `chunkSize` null for dynamic chunks. */
  results: {
    connections: number;
    chunkSize: number | null;
    median: number;
    min: number;
    max: number;
    runs: number[];
  }[];
  recommendation: {
    connections: number;
    chunkSize: number | null;
    flags: string;
    median: number;
    text: string;
    notes: string[];
  } | null;
  /** Where the SVG chart was written, or null. */
  chart: string | null;
}

/** What `--json` prints: numbers in bytes and bytes per second, as a program would want them. */
export function jsonReport(
  target: BenchTarget,
  repeats: number,
  summaries: readonly CellSummary[],
  rec: Recommendation | undefined,
  chart: string | null,
): BenchReport {
  const chunkSize = (c: ChunkSetting): number | null => (c === "dynamic" ? null : c);
  return {
    target,
    repeats,
    results: summaries.map((s) => ({
      connections: s.connections,
      chunkSize: chunkSize(s.chunk),
      median: Math.round(s.median),
      min: Math.round(s.min),
      max: Math.round(s.max),
      runs: s.runs.map(Math.round),
    })),
    recommendation: rec
      ? {
          connections: rec.connections,
          chunkSize: chunkSize(rec.chunk),
          flags: rec.flags,
          median: Math.round(rec.median),
          text: rec.text,
          notes: rec.notes,
        }
      : null,
    chart,
  };
}
