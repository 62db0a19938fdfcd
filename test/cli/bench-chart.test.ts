import assert from "node:assert/strict";
import { test } from "node:test";
import { renderSvg } from "../../src/cli/bench-chart.js";
import { chartOption } from "../../src/cli/bench/chart.js";
import { median, recommend, type CellSummary } from "../../src/cli/bench/results.js";
import { assertBalancedXml } from "../helpers/svg.js";

const M = 1024 * 1024;

function cell(connections: number, chunk: number | "dynamic", mib: number): CellSummary {
  const runs = [mib * M];
  return { connections, chunk, runs, median: median(runs), min: mib * M, max: mib * M };
}

test("ECharts renders the chart to a standalone SVG, with no DOM", async () => {
  const summaries = [cell(1, M, 8), cell(1, "dynamic", 8), cell(4, M, 29), cell(4, "dynamic", 31)];
  const option = chartOption(
    {
      url: "http://127.0.0.1:1/bench.bin",
      embedded: true,
      size: 8 * M,
      ratePerConnection: 8 * M,
      latencyMs: 20,
    },
    1,
    summaries,
    [1, 4],
    [M, "dynamic"],
    recommend(summaries),
  );
  const svg = await renderSvg(option);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  assertBalancedXml(svg);
  for (const text of ["-n 1", "-n 4", "1M", "dynamic", "MiB/s", "recommended"]) {
    assert.ok(svg.includes(`>${text}<`), `the SVG shows "${text}"`);
  }
  assert.ok(svg.includes("; recommended: -n 4<"), "the subtitle names the recommendation");
  // One line per series: a path for each of -n 1 and -n 4 at least.
  assert.ok((svg.match(/<path /g) ?? []).length >= 2);
});
