/**
 * The chart of a sweep, as an Apache ECharts option: throughput (median) against chunk size, one
 * line per connection count. Pure: a plain object, rendered to SVG by ../bench-chart.ts.
 */
import type { EChartsOption, LineSeriesOption } from "echarts";
import { chunkLabel, type ChunkSetting } from "./plan.js";
import type { CellSummary, Recommendation } from "./results.js";
import { targetText, unitFor, type BenchTarget } from "./report.js";

export const CHART_WIDTH = 900;
export const CHART_HEIGHT = 560;

/** A series' name: the legend shows it, and the SVG carries it as text. */
export function seriesName(connections: number): string {
  return `-n ${connections}`;
}

export function chartOption(
  target: BenchTarget,
  repeats: number,
  summaries: readonly CellSummary[],
  connections: readonly number[],
  chunks: readonly ChunkSetting[],
  rec?: Recommendation,
): EChartsOption {
  const unit = unitFor(Math.max(0, ...summaries.map((s) => s.median)));
  const series: LineSeriesOption[] = connections.map((n) => ({
    type: "line",
    name: seriesName(n),
    symbolSize: 7,
    // A cell not measured (an interrupted sweep) leaves a gap rather than a fake zero.
    data: chunks.map((chunk) => {
      const s = summaries.find((x) => x.connections === n && x.chunk === chunk);
      return s === undefined ? null : Number((s.median / unit.scale).toFixed(2));
    }),
  }));
  const chosen = rec && connections.indexOf(rec.connections);
  if (rec && chosen !== undefined && chosen >= 0) {
    series[chosen]!.markPoint = {
      symbol: "pin",
      symbolSize: 30,
      label: { position: "top", formatter: "recommended" },
      data: [
        {
          name: "recommended",
          coord: [chunkLabel(rec.chunk), Number((rec.median / unit.scale).toFixed(2))],
        },
      ],
    };
  }
  const runs = repeats > 1 ? `median of ${repeats} runs` : "one run each";
  return {
    animation: false,
    backgroundColor: "#ffffff",
    title: {
      text: "parget bench: throughput by chunk size and connections",
      subtext: `${targetText(target)}; ${runs}` + (rec ? `; recommended: ${rec.flags}` : ""),
      left: "center",
    },
    legend: { top: 58, data: connections.map(seriesName) },
    grid: { left: 80, right: 40, top: 110, bottom: 70 },
    xAxis: {
      type: "category",
      name: "chunk size (-k); dynamic: no -k",
      nameLocation: "middle",
      nameGap: 36,
      data: chunks.map(chunkLabel),
    },
    yAxis: {
      type: "value",
      name: unit.name,
      nameLocation: "middle",
      nameGap: 55,
      min: 0,
    },
    series,
  };
}
