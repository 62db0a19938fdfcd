/**
 * Renders the bench's chart to an SVG file with Apache ECharts' server-side renderer (no DOM, no
 * native code). The library is loaded here, on demand: a plain download never parses it.
 */
import { writeFile } from "node:fs/promises";
import type { EChartsOption } from "echarts";
import { FileSystemError } from "../index.js";
import { CHART_HEIGHT, CHART_WIDTH } from "./bench/chart.js";

/**
 * ECharts' own one-file ES module build: it loads in a fifth of the time its hundreds of
 * separate modules take (the package's main entry). scripts/bundle.mjs keeps it external.
 */
async function loadECharts(): Promise<typeof import("echarts")> {
  try {
    return await import("echarts/dist/echarts.esm.min.mjs");
  } catch (err) {
    throw new Error(`cannot load the charting library (echarts): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export async function renderSvg(option: EChartsOption): Promise<string> {
  const echarts = await loadECharts();
  const chart = echarts.init(null, null, {
    renderer: "svg",
    ssr: true,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
  });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    // Also stops its animation loop, which would otherwise keep the process alive.
    chart.dispose();
  }
}

export async function writeChart(file: string, option: EChartsOption): Promise<void> {
  const svg = await renderSvg(option);
  try {
    await writeFile(file, `${svg}\n`);
  } catch (err) {
    throw new FileSystemError(`cannot write the chart ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
