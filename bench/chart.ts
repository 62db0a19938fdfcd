/** Draws the summary chart to an SVG string with ECharts' server-side renderer. */
import * as echarts from "echarts";
import { chartSpec } from "./core/chart.js";
import type { CaseSummary } from "./core/stats.js";

export function renderChartSvg(summaries: readonly CaseSummary[]): string | undefined {
  const spec = chartSpec(summaries);
  if (!spec) return undefined;
  const chart = echarts.init(null, null, {
    renderer: "svg",
    ssr: true,
    width: spec.width,
    height: spec.height,
  });
  try {
    chart.setOption(spec.option);
    return `${chart.renderToSVGString()}\n`;
  } finally {
    chart.dispose();
  }
}
