/**
 * The chart of a sweep: throughput against chunk size, one line per connection count, each point
 * the median with a whisker from the slowest to the fastest run. "dynamic" is no chunk size, so
 * it stands apart, unjoined. Pure: a spec for the shared SVG writer (src/measure/chart.ts).
 */
import type { ChartSpec } from "../../measure/chart.js";
import { rateUnit } from "../../measure/table.js";
import { cellFlags, chunkLabel, type Cell, type ChunkSetting } from "./plan.js";
import { targetText, type BenchTarget } from "./report.js";
import type { CellSummary, Recommendation } from "./results.js";

/** A series' name: the legend shows it. */
export function seriesName(connections: number): string {
  return `-n ${connections}`;
}

export function chartSpec(
  target: BenchTarget,
  repeats: number,
  summaries: readonly CellSummary[],
  connections: readonly number[],
  chunks: readonly ChunkSetting[],
  rec?: Recommendation,
  limited: readonly Cell[] = [],
): ChartSpec {
  const unit = rateUnit(Math.max(0, ...summaries.map((s) => s.max)));
  const scaled = (v: number): number => v / unit.scale;
  const series = connections.map((n) => ({
    name: seriesName(n),
    line: true,
    // A cell not measured (interrupted, or limited by the file's size) leaves a gap, not a zero.
    points: chunks.map((chunk) => {
      const s = summaries.find((x) => x.connections === n && x.chunk === chunk);
      return s === undefined
        ? null
        : { value: scaled(s.median), min: scaled(s.min), max: scaled(s.max) };
    }),
  }));
  const runs = repeats > 1 ? `median of ${repeats} runs, whiskers min-max` : "one run each";
  const subtitle = [
    targetText(target),
    runs + (rec ? `; recommended: ${rec.flags}` : ""),
    ...(limited.length > 0
      ? [
          `not run, the file having fewer chunks than connections: ${limited.map(cellFlags).join(", ")}`,
        ]
      : []),
  ];
  const dynamic = chunks.indexOf("dynamic");
  const spec: ChartSpec = {
    title: "parget bench: throughput by chunk size and connections",
    subtitle,
    categories: chunks.map(chunkLabel),
    xTitle: "chunk size (-k); dynamic: no -k, set apart",
    yTitle: `throughput (${unit.name})`,
    series,
  };
  if (dynamic >= 0) spec.apartFrom = dynamic;
  if (rec) {
    spec.highlight = {
      series: connections.indexOf(rec.connections),
      category: chunks.indexOf(rec.chunk),
      label: "recommended",
    };
  }
  return spec;
}
