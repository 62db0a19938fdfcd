/**
 * What `parget bench` will run, decided before anything is fetched: the lists the user narrows
 * the sweep to, the cells (connections x chunk size), the order of the runs, and what they cost.
 * Pure: no sockets, files or clocks.
 */
import { UsageError, formatBytes, parseSize } from "../../index.js";
import { durationText } from "../../measure/table.js";

/** A fixed chunk size in bytes (`-k`), or "dynamic": no `-k`, ranges split and stolen. */
export type ChunkSetting = number | "dynamic";

/** One point of the sweep. */
export interface Cell {
  connections: number;
  chunk: ChunkSetting;
}

/** One download of the sweep: `index` counts from 1 over all runs. */
export interface Run {
  index: number;
  cell: Cell;
  /** From 1. */
  repeat: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The default sweep, sized to the embedded server's default 32 MiB file (8 MiB/s a connection,
 * 20 ms latency): 27 runs, about a minute in all, and no cell that the file's size limits (at
 * 1M, each of 16 connections still has two chunks).
 */
export const DEFAULT_CHUNKS: readonly ChunkSetting[] = [256 * KiB, MiB, "dynamic"];
export const DEFAULT_CONNECTIONS: readonly number[] = [1, 4, 16];
export const DEFAULT_REPEATS = 3;

/** `--chunk-sizes 256K,1M,dynamic`: sizes ascending without duplicates, "dynamic" last. */
export function parseChunkList(text: string): ChunkSetting[] {
  const sizes = new Set<number>();
  let dynamic = false;
  for (const item of listItems(text)) {
    if (/^(dynamic|default)$/i.test(item)) dynamic = true;
    else sizes.add(parseSize(item));
  }
  const chunks: ChunkSetting[] = [...sizes].sort((a, b) => a - b);
  if (dynamic) chunks.push("dynamic");
  return chunks;
}

/** `--connections 1,4,16`: ascending, without duplicates. */
export function parseConnectionList(text: string): number[] {
  const counts = new Set<number>();
  for (const item of listItems(text)) {
    const n = /^\d+$/.test(item) ? Number(item) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`expected positive whole numbers, got "${item}"`);
    }
    counts.add(n);
  }
  return [...counts].sort((a, b) => a - b);
}

function listItems(text: string): string[] {
  const items = text.split(",").map((s) => s.trim());
  if (items.some((s) => s === ""))
    throw new UsageError(`expected a comma-separated list, got "${text}"`);
  return items;
}

/** A size as the user would type it: `256K`, `1M`, `1536K`; bytes when no unit divides it. */
export function sizeFlag(bytes: number): string {
  for (const [unit, power] of [
    ["G", 3],
    ["M", 2],
    ["K", 1],
  ] as const) {
    const scale = KiB ** power;
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return String(bytes);
}

/** `256K` or `dynamic`: a column of the table, a point on the chart's x axis. */
export function chunkLabel(chunk: ChunkSetting): string {
  return chunk === "dynamic" ? "dynamic" : sizeFlag(chunk);
}

/** The flags that select a cell: `-n 16 -k 4M`, or `-n 16` for dynamic chunks. */
export function cellFlags(cell: Cell): string {
  return cell.chunk === "dynamic"
    ? `-n ${cell.connections}`
    : `-n ${cell.connections} -k ${sizeFlag(cell.chunk)}`;
}

/** For prose: `-n 16 with dynamic chunks`, `-n 16 -k 4M`. */
export function cellText(cell: Cell): string {
  return cell.chunk === "dynamic" ? `-n ${cell.connections} with dynamic chunks` : cellFlags(cell);
}

/** Every cell, connection count first, then chunk size (the order of the table's rows). */
export function cellsOf(connections: readonly number[], chunks: readonly ChunkSetting[]): Cell[] {
  return connections.flatMap((n) => chunks.map((chunk) => ({ connections: n, chunk })));
}

/** How many requests' worth of chunks a cell cuts the file into; dynamic: one per connection. */
function chunkCount(cell: Cell, size: number): number {
  return cell.chunk === "dynamic" ? cell.connections : Math.max(1, Math.ceil(size / cell.chunk));
}

/**
 * A fixed chunk size that cuts the file into fewer chunks than the cell has connections: some of
 * them would never get a byte, so the cell would measure the file's size, not the server. Such
 * cells are not run; the table and the chart say so.
 */
export function limitedByFileSize(cell: Cell, size: number): boolean {
  return chunkCount(cell, size) < cell.connections;
}

/**
 * The runs in the order they happen: every cell once, then every cell again. A drift during the
 * sweep (another load on the machine, a warming cache) then spreads over all cells rather than
 * landing on the last ones.
 */
export function sweepOrder(cells: readonly Cell[], repeats: number): Run[] {
  const runs: Run[] = [];
  for (let repeat = 1; repeat <= repeats; repeat++) {
    for (const cell of cells) runs.push({ index: runs.length + 1, cell, repeat });
  }
  return runs;
}

/** What a sweep against a URL would fetch, and whether it needs the user's consent. */
export interface Budget {
  size: number;
  cells: number;
  repeats: number;
  total: number;
  maxTotal: number;
  /** More than `maxTotal`: ask first (or refuse without a terminal to ask on). */
  needsConsent: boolean;
}

export function budgetOf(size: number, cells: number, repeats: number, maxTotal: number): Budget {
  const total = size * cells * repeats;
  return { size, cells, repeats, total, maxTotal, needsConsent: total > maxTotal };
}

/** `1.50 GiB (64.0 MiB x 8 settings x 3 runs)`. */
export function budgetText(b: Budget): string {
  const settings = `${b.cells} setting${b.cells === 1 ? "" : "s"}`;
  const runs = `${b.repeats} run${b.repeats === 1 ? "" : "s"}`;
  return `${formatBytes(b.total)} (${formatBytes(b.size)} x ${settings} x ${runs})`;
}

/** The embedded server's settings, as far as an estimate needs them. */
export interface ServerModel {
  size: number;
  /** Bytes/s per connection; 0 or none for unthrottled. */
  ratePerConnection?: number;
  /** Added before each response; none for 0. */
  latencyMs?: number;
}

/** What an unthrottled loopback run is assumed to reach, for the estimate only. */
export const UNTHROTTLED_ESTIMATE = 200 * MiB;
/** Each run's fixed cost: starting the download, its first request, closing the file. */
export const RUN_OVERHEAD_SECONDS = 0.15;

/**
 * How long one run of `cell` should take on the embedded server: the file over the connections
 * its chunks can use, plus the latency of each connection's requests one after another.
 */
export function expectedRunSeconds(cell: Cell, server: ServerModel): number {
  const chunks = chunkCount(cell, server.size);
  const used = Math.min(cell.connections, chunks);
  const perConnection = server.ratePerConnection ?? 0;
  const rate = perConnection > 0 ? perConnection * used : UNTHROTTLED_ESTIMATE;
  const requestsEach = Math.ceil(chunks / used);
  const latency = ((server.latencyMs ?? 0) * requestsEach) / 1000;
  return RUN_OVERHEAD_SECONDS + server.size / rate + latency;
}

/** The whole sweep's expected time: every run's expected time, added up. */
export function estimateSeconds(runs: readonly Run[], server: ServerModel): number {
  return runs.reduce((total, run) => total + expectedRunSeconds(run.cell, server), 0);
}

/** An estimate, rounded to what a person plans with: past a minute, to the nearest 10 s. */
export function estimateText(seconds: number): string {
  return durationText(seconds, seconds >= 60 ? 10 : 1);
}
