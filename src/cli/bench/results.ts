/**
 * What the runs of `parget bench` add up to: each cell's median, min and max, and the setting to
 * recommend, with the reasons. Pure: the measurements come in, text and numbers go out.
 */
import { formatBytes } from "../../index.js";
import { spreadOf, type Spread } from "../../measure/stats.js";
import { cellFlags, cellText, type Cell, type ChunkSetting } from "./plan.js";

/** One finished download. */
export interface RunResult {
  cell: Cell;
  repeat: number;
  bytes: number;
  elapsedMs: number;
}

/** A cell's runs, in bytes per second. */
export interface CellSummary extends Cell, Spread {
  runs: number[];
}

/** Bytes per second; a run too short to time counts as 1 ms. */
export function throughput(run: Pick<RunResult, "bytes" | "elapsedMs">): number {
  return run.bytes / (Math.max(run.elapsedMs, 1) / 1000);
}

const sameCell = (a: Cell, b: Cell): boolean =>
  a.connections === b.connections && a.chunk === b.chunk;

/** One summary per cell that has runs, in the order of `cells`. */
export function summarize(cells: readonly Cell[], results: readonly RunResult[]): CellSummary[] {
  return cells.flatMap((cell) => {
    const runs = results.filter((r) => sameCell(r.cell, cell)).map(throughput);
    if (runs.length === 0) return [];
    return [{ ...cell, runs, ...spreadOf(runs) }];
  });
}

/** Medians closer than this to the best count as equally good. */
export const TOLERANCE = 0.05;

export interface Recommendation {
  connections: number;
  chunk: ChunkSetting;
  /** The flags to pass, e.g. `-n 16` or `-n 16 -k 4M`. */
  flags: string;
  /** Its median, bytes per second. */
  median: number;
  /** The cell with the highest median. */
  best: Cell & { median: number };
  /** One line: what to use and why. */
  text: string;
  /** Further observations: where more connections stop helping, how noisy the runs were. */
  notes: string[];
}

const speed = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`;

/** `within 2%`, `within 0.4%`: how far `value` falls short of `best`. */
function shortfall(value: number, best: number): string {
  const pct = (1 - value / best) * 100;
  return `${pct < 1 ? pct.toFixed(1) : Math.round(pct)}%`;
}

/**
 * The fewest connections whose median is within `tolerance` of the best; among those, dynamic
 * chunks (no -k to remember) if they are within it too, else the fastest. Fewer connections are
 * kinder to the server and to a shared link, and each one costs memory.
 */
export function recommend(
  summaries: readonly CellSummary[],
  tolerance = TOLERANCE,
): Recommendation | undefined {
  const measured = summaries.filter((s) => s.median > 0);
  if (measured.length === 0) return undefined;
  const best = measured.reduce((a, b) => (b.median > a.median ? b : a));
  const good = measured.filter((s) => s.median >= best.median * (1 - tolerance));
  const fewest = Math.min(...good.map((s) => s.connections));
  const candidates = good.filter((s) => s.connections === fewest);
  const chosen =
    candidates.find((s) => s.chunk === "dynamic") ??
    candidates.reduce((a, b) => (b.median > a.median ? b : a));

  let text = `${cellText(chosen)}: ${speed(chosen.median)}`;
  if (chosen.median >= best.median) {
    text += `, the best median of the ${measured.length} settings tried`;
  } else {
    const reasons: string[] = [];
    if (chosen.connections < best.connections) {
      reasons.push(`uses fewer connections than -n ${best.connections}`);
    }
    if (chosen.chunk === "dynamic" && best.chunk !== "dynamic") reasons.push("needs no -k");
    text +=
      `, within ${shortfall(chosen.median, best.median)} of the best ` +
      `(${cellFlags(best)}, ${speed(best.median)})` +
      (reasons.length > 0 ? ` and ${reasons.join(" and ")}` : "");
  }
  return {
    connections: chosen.connections,
    chunk: chosen.chunk,
    flags: cellFlags(chosen),
    median: chosen.median,
    best: { connections: best.connections, chunk: best.chunk, median: best.median },
    text,
    notes: [...scalingNotes(measured, best, tolerance), ...noiseNotes(chosen)],
  };
}

/** Where adding connections stopped paying, or that it had not stopped yet. */
function scalingNotes(
  measured: readonly CellSummary[],
  best: CellSummary,
  tolerance: number,
): string[] {
  const byConnections = new Map<number, number>();
  for (const s of measured) {
    byConnections.set(s.connections, Math.max(byConnections.get(s.connections) ?? 0, s.median));
  }
  const counts = [...byConnections.keys()].sort((a, b) => a - b);
  if (counts.length < 2) return [];
  const top = counts.at(-1)!;
  const topMedian = byConnections.get(top)!;
  const enough = counts.find((n) => byConnections.get(n)! >= best.median * (1 - tolerance))!;
  if (enough < top) {
    const gain = (topMedian / byConnections.get(enough)! - 1) * 100;
    const change = gain >= 0 ? `+${gain.toFixed(1)}%` : `${gain.toFixed(1)}%`;
    const slower =
      topMedian < best.median * (1 - tolerance)
        ? ": too many connections cost more than they bring here"
        : "";
    return [
      `more connections stopped helping at -n ${enough}: -n ${top} reached ` +
        `${speed(topMedian)} (${change})${slower}`,
    ];
  }
  const previous = counts.at(-2)!;
  if (topMedian > byConnections.get(previous)! * (1 + tolerance)) {
    return [
      `throughput was still rising at -n ${top}, the most tried; ` +
        `try --connections ${top},${top * 2},${top * 4}`,
    ];
  }
  return [];
}

function noiseNotes(chosen: CellSummary): string[] {
  if (chosen.runs.length === 1) {
    return ["each setting ran once; --repeats 3 or more gives a firmer answer"];
  }
  if (chosen.spread <= 0.15) return [];
  return [
    `its runs ranged from ${speed(chosen.min)} to ${speed(chosen.max)}; ` +
      `more --repeats would firm this up`,
  ];
}
