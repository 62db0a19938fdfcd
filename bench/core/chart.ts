/**
 * The summary chart as an ECharts option (plain data): one group of horizontal bars per case,
 * one bar per tool, the length its percent of the case's ideal. bench/chart.ts renders it to SVG.
 */
import type { CaseSummary } from "./stats.js";
import { caseLabel } from "./tables.js";
import type { ToolId } from "./types.js";

export interface ChartSpec {
  width: number;
  height: number;
  option: Record<string, unknown>;
}

/** Fixed per tool, so parget reads the same in every chart. */
export const TOOL_COLORS: Record<ToolId, string> = {
  parget: "#d62728",
  "parget-auto": "#ff9896",
  aria2c: "#1f77b4",
  "aria2c-k20M": "#aec7e8",
  axel: "#2ca02c",
  rclone: "#9467bd",
  wget2: "#8c564b",
  curl: "#7f7f7f",
  wget: "#bcbd22",
};

export function chartSpec(summaries: readonly CaseSummary[]): ChartSpec | undefined {
  const shown = summaries.filter((s) => s.skipped === undefined && s.tools.length > 0);
  if (shown.length === 0) return undefined;
  const tools = (Object.keys(TOOL_COLORS) as ToolId[]).filter((id) =>
    shown.some((s) => s.tools.some((t) => t.tool === id)),
  );
  // ECharts draws the first category at the bottom: reverse, so the chart reads top-down.
  const ordered = [...shown].reverse();
  const categories = ordered.map(caseLabel);
  const series = tools.map((id) => ({
    name: id,
    type: "bar",
    itemStyle: { color: TOOL_COLORS[id] },
    barGap: "10%",
    data: ordered.map((s) => {
      const p = s.tools.find((t) => t.tool === id)?.percentOfIdeal;
      return p === undefined ? null : Math.round(p);
    }),
  }));
  const highest = Math.max(100, ...series.flatMap((s) => s.data.filter((v) => v !== null)));
  const barsPerCase = Math.max(...shown.map((s) => s.tools.length));
  const height = 110 + shown.length * (barsPerCase * 6 + 14);
  return {
    width: 960,
    height,
    option: {
      animation: false,
      backgroundColor: "#ffffff",
      textStyle: { fontFamily: "sans-serif" },
      title: { text: "Percent of ideal (higher is better)", left: "center", top: 4 },
      legend: { top: 32, data: tools },
      grid: { left: 230, right: 40, top: 70, bottom: 30 },
      xAxis: {
        type: "value",
        max: Math.ceil(highest / 10) * 10,
        axisLabel: { formatter: "{value}%" },
      },
      yAxis: { type: "category", data: categories, axisLabel: { fontSize: 11 } },
      series,
    },
  };
}
