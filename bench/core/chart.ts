/**
 * The summary chart: each case's tools as points side by side, at their percent of the case's
 * ideal (the median), with a whisker from the slowest to the fastest repeat. The cases are not
 * an ordered axis, so no line joins them. Pure: a spec for the shared SVG writer
 * (src/measure/chart.ts), which bench/peers.ts renders.
 */
import type { ChartPoint, ChartSpec } from "../../src/measure/chart.js";
import type { CaseSummary, ToolSummary } from "./stats.js";
import { caseLabel } from "./tables.js";
import type { ToolId } from "./types.js";

/** Fixed per tool, so parget reads the same in every chart; all strong enough for white. */
export const TOOL_COLORS: Record<ToolId, string> = {
  parget: "#d62728",
  "parget-auto": "#ff7f0e",
  aria2c: "#1f77b4",
  "aria2c-k20M": "#17becf",
  axel: "#2ca02c",
  rclone: "#9467bd",
  wget2: "#8c564b",
  curl: "#555555",
  wget: "#e377c2",
};

function point(t: ToolSummary | undefined, ideal: number | undefined): ChartPoint | null {
  if (t?.bytesPerSecond === undefined || ideal === undefined) return null;
  const percent = (bytesPerSecond: number | undefined): number =>
    (100 * (bytesPerSecond ?? t.bytesPerSecond!)) / ideal;
  return {
    value: percent(t.bytesPerSecond),
    min: percent(t.minBytesPerSecond),
    max: percent(t.maxBytesPerSecond),
  };
}

export function chartSpec(summaries: readonly CaseSummary[]): ChartSpec | undefined {
  const shown = summaries.filter((s) => s.skipped === undefined && s.tools.length > 0);
  if (shown.length === 0) return undefined;
  const tools = (Object.keys(TOOL_COLORS) as ToolId[]).filter((id) =>
    shown.some((s) => s.tools.some((t) => t.tool === id)),
  );
  const repeats = Math.max(...shown.map((s) => s.case.repeats));
  return {
    title: "Percent of each case's ideal (higher is better)",
    subtitle: [
      repeats > 1
        ? `median of up to ${repeats} repeats; whiskers from the slowest to the fastest`
        : "one run each",
    ],
    categories: shown.map(caseLabel),
    xTitle: "case (see the tables for what 100% is in each)",
    yTitle: "percent of ideal (%)",
    series: tools.map((id) => ({
      name: id,
      line: false,
      color: TOOL_COLORS[id],
      points: shown.map((s) =>
        point(
          s.tools.find((t) => t.tool === id),
          s.idealBytesPerSecond,
        ),
      ),
    })),
  };
}
