/**
 * The text and JSON that `parget bench` prints: the progress of one run, the results table, the
 * recommendation, the machine-readable report. Pure: strings and objects out, nothing written.
 */
import { formatBytes } from "../../index.js";
import { rateUnit, textTable } from "../../measure/table.js";
import {
  cellFlags,
  chunkLabel,
  estimateText,
  type Cell,
  type ChunkSetting,
  type Run,
} from "./plan.js";
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

/**
 * After the first run against a URL, whose speed nothing predicted. It had the fewest
 * connections (the lists are ascending), so it is likely the slowest: a bound, not a promise.
 */
export function firstRunText(seconds: number, totalRuns: number): string {
  return (
    `the first run, over the fewest connections, took ${estimateText(seconds)}; if none is ` +
    `slower, the ${totalRuns} runs take at most about ${estimateText(seconds * totalRuns)}`
  );
}

/** After the first round: every round runs the same settings, so each later one takes about as long. */
export function roundText(seconds: number, repeats: number): string {
  return (
    `the first of ${repeats} rounds took ${estimateText(seconds)}; ` +
    `about ${estimateText(seconds * (repeats - 1))} left`
  );
}

/** What the table and the chart show for a cell that the file's size left out. */
export const LIMITED = "limited";
export const LIMITED_TEXT = "limited: fewer chunks than connections at this file size, not run";

const sameCell = (a: Cell, b: Cell): boolean =>
  a.connections === b.connections && a.chunk === b.chunk;

/**
 * Rows are connection counts, columns chunk sizes; each cell `median (min-max)`. The recommended
 * cell is marked with `*`, a cell the file's size limits with "limited".
 */
export function resultsTable(
  summaries: readonly CellSummary[],
  connections: readonly number[],
  chunks: readonly ChunkSetting[],
  repeats: number,
  recommended?: Pick<Recommendation, "connections" | "chunk">,
  limited: readonly Cell[] = [],
): string {
  const unit = rateUnit(Math.max(0, ...summaries.map((s) => s.max)));
  const num = (v: number): string => (v / unit.scale).toFixed(1);
  // A column for the star, so the numbers stay right-aligned.
  const blank = recommended ? " " : "";
  const rows: string[][] = [
    ["", ...chunks.map((c) => (c === "dynamic" ? c : `-k ${chunkLabel(c)}`) + blank)],
  ];
  for (const n of connections) {
    const row = [`-n ${n}`];
    for (const chunk of chunks) {
      const cell = { connections: n, chunk };
      const s = summaries.find((x) => sameCell(x, cell));
      let text =
        s === undefined ? (limited.some((l) => sameCell(l, cell)) ? LIMITED : "-") : num(s.median);
      if (s !== undefined && s.runs.length > 1) text += ` (${num(s.min)}-${num(s.max)})`;
      text += recommended && sameCell(recommended, cell) ? "*" : blank;
      row.push(text);
    }
    rows.push(row);
  }
  const what = repeats > 1 ? `median (min-max) of ${repeats} runs` : "one run each";
  const legend = [
    ...(recommended ? ["* recommended"] : []),
    ...(limited.length > 0 ? [LIMITED_TEXT] : []),
  ];
  const table = textTable(rows, ["l", ...chunks.map(() => "r" as const)]);
  return [`${unit.name}, ${what}:`, table, ...legend].join("\n") + "\n";
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
  /** Cells not run because the file has fewer chunks than they have connections. */
  limited: { connections: number; chunkSize: number }[];
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
  limited: readonly Cell[] = [],
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
    limited: limited.map((c) => ({ connections: c.connections, chunkSize: chunkSize(c.chunk)! })),
    chart,
  };
}
