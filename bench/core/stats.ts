/**
 * From runs to the numbers in a table: medians over the successful repeats, percent of the
 * case's ideal, and each tool's speed relative to aria2c and to the best peer of the same case.
 */
import { medianOfKnown, spreadOf } from "../../src/measure/stats.js";
import { GiB, MiB, type Case, type RunResult, type ToolId } from "./types.js";

export interface ToolSummary {
  tool: ToolId;
  runs: number;
  ok: number;
  /** The distinct reasons runs failed. */
  errors: string[];
  /** Medians over the successful runs; undefined when none succeeded. */
  wallSeconds?: number | undefined;
  bytesPerSecond?: number | undefined;
  /** The slowest and the fastest successful repeat (from the longest and shortest wall time). */
  minBytesPerSecond?: number | undefined;
  maxBytesPerSecond?: number | undefined;
  percentOfIdeal?: number | undefined;
  cpuSecondsPerGiB?: number | undefined;
  /** The highest peak over the successful runs. */
  peakRssBytes?: number | undefined;
  connections?: number | undefined;
  requests?: number | undefined;
  /** This tool's speed / aria2c's (both medians). */
  vsAria2c?: number | undefined;
  /** This tool's speed / the fastest peer's (parget excluded from the peers). */
  vsBestPeer?: number | undefined;
}

export interface CaseSummary {
  case: Case;
  skipped?: string | undefined;
  /** Bytes/s that count as 100%. */
  idealBytesPerSecond?: number | undefined;
  bestPeer?: ToolId | undefined;
  tools: ToolSummary[];
}

function summariseTool(c: Case, tool: ToolId, runs: readonly RunResult[]): ToolSummary {
  const mine = runs.filter((r) => r.tool === tool);
  const good = mine.filter((r) => r.ok);
  const errors = [...new Set(mine.filter((r) => !r.ok).map((r) => r.error ?? "failed"))];
  const summary: ToolSummary = { tool, runs: mine.length, ok: good.length, errors };
  if (good.length === 0) return summary;
  const wall = spreadOf(good.map((r) => r.wallSeconds));
  const cpu = medianOfKnown(good.map((r) => r.cpuSeconds));
  const rss = good.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined);
  return {
    ...summary,
    wallSeconds: wall.median,
    bytesPerSecond: c.size / wall.median,
    minBytesPerSecond: c.size / wall.max,
    maxBytesPerSecond: c.size / wall.min,
    cpuSecondsPerGiB: cpu === undefined ? undefined : cpu / (c.size / GiB),
    peakRssBytes: rss.length > 0 ? Math.max(...rss) : undefined,
    connections: medianOfKnown(good.map((r) => r.connections)),
    requests: medianOfKnown(good.map((r) => r.requests)),
  };
}

export function summariseCase(c: Case, runs: readonly RunResult[], skipped?: string): CaseSummary {
  if (skipped !== undefined) return { case: c, skipped, tools: [] };
  const tools = c.tools.map((tool) => summariseTool(c, tool, runs));
  const speed = (t: ToolSummary | undefined): number | undefined => t?.bytesPerSecond;
  const fastest = Math.max(0, ...tools.map((t) => speed(t) ?? 0));
  const ideal = c.ideal.kind === "rate" ? c.ideal.bytesPerSecond : fastest || undefined;
  const peers = tools.filter((t) => !t.tool.startsWith("parget") && speed(t) !== undefined);
  const best = peers.reduce<ToolSummary | undefined>(
    (a, t) => (a === undefined || speed(t)! > speed(a)! ? t : a),
    undefined,
  );
  const aria2c = speed(tools.find((t) => t.tool === "aria2c"));
  for (const t of tools) {
    const s = speed(t);
    if (s === undefined) continue;
    if (ideal !== undefined) t.percentOfIdeal = (100 * s) / ideal;
    if (aria2c !== undefined) t.vsAria2c = s / aria2c;
    if (best !== undefined) t.vsBestPeer = s / speed(best)!;
  }
  return { case: c, idealBytesPerSecond: ideal, bestPeer: best?.tool, tools };
}

export function mibPerSecond(bytesPerSecond: number): number {
  return bytesPerSecond / MiB;
}

/** Connection and request counts of one run, from nginx access-log lines in the bench format. */
export function countLogLines(lines: readonly string[]): { connections: number; requests: number } {
  const connections = new Set<string>();
  let requests = 0;
  for (const line of lines) {
    const serial = /^(\d+) /.exec(line)?.[1];
    if (serial === undefined) continue;
    connections.add(serial);
    requests++;
  }
  return { connections: connections.size, requests };
}

/** Body bytes nginx sent, from access-log lines in the bench format (the fourth field). */
export function sumBodyBytes(lines: readonly string[]): number {
  let bytes = 0;
  for (const line of lines) {
    const sent = /^\d+ \d+ \d{3} (\d+) /.exec(line)?.[1];
    if (sent !== undefined) bytes += Number(sent);
  }
  return bytes;
}

/** Requests in python http.server's stderr log ("127.0.0.1 - - [...] "GET /f HTTP/1.1" 200 -"). */
export function countPythonLogLines(lines: readonly string[]): number {
  return lines.filter((line) => /"(GET|HEAD) \S+ HTTP\/[\d.]+" \d{3}/.test(line)).length;
}

/** GNU time's `-f "%e %U %S %M"` report: the last line (a failed command adds one before it). */
export function parseTimeReport(
  text: string,
): { cpuSeconds: number; peakRssBytes: number } | undefined {
  const last = text.trim().split("\n").at(-1) ?? "";
  const fields = last.trim().split(/\s+/).map(Number);
  if (fields.length !== 4 || fields.some((f) => !Number.isFinite(f))) return undefined;
  const [, user, sys, kib] = fields as [number, number, number, number];
  return { cpuSeconds: user + sys, peakRssBytes: kib * 1024 };
}
