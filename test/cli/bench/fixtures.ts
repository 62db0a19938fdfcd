/** Shared by the bench's pure tests: a cell summary made from throughputs in MiB/s. */
import type { ChunkSetting } from "../../../src/cli/bench/plan.js";
import type { CellSummary } from "../../../src/cli/bench/results.js";
import { spreadOf } from "../../../src/measure/stats.js";

export const MiB = 1024 * 1024;

/** A summary with one run per value given, in MiB/s. */
export function cell(connections: number, chunk: ChunkSetting, ...mibs: number[]): CellSummary {
  const runs = mibs.map((v) => v * MiB);
  return { connections, chunk, runs, ...spreadOf(runs) };
}
