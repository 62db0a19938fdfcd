import assert from "node:assert/strict";
import { test } from "node:test";
import type { LineSeriesOption } from "echarts";
import { chartOption, seriesName } from "../../../src/cli/bench/chart.js";
import type { BenchTarget } from "../../../src/cli/bench/report.js";
import { recommend } from "../../../src/cli/bench/results.js";
import { cell } from "./fixtures.js";

const M = 1024 * 1024;
const TARGET: BenchTarget = { url: "https://x.test/a.iso", embedded: false, size: 64 * M };

const SUMMARIES = [
  cell(1, M, 7, 7.5, 8),
  cell(1, "dynamic", 8, 8, 8),
  cell(4, M, 28, 29, 30),
  // (4, dynamic) was never measured: an interrupted sweep.
];

test("one line per connection count, a point per chunk setting, medians in the table's unit", () => {
  const option = chartOption(TARGET, 3, SUMMARIES, [1, 4], [M, "dynamic"]);
  const series = option.series as LineSeriesOption[];
  assert.deepEqual(
    series.map((s) => [s.type, s.name, s.data]),
    [
      ["line", "-n 1", [7.5, 8]],
      ["line", "-n 4", [29, null]],
    ],
  );
  assert.deepEqual(option.xAxis, {
    type: "category",
    name: "chunk size (-k); dynamic: no -k",
    nameLocation: "middle",
    nameGap: 36,
    data: ["1M", "dynamic"],
  });
  assert.equal((option.yAxis as { name: string }).name, "MiB/s");
  assert.deepEqual((option.legend as { data: string[] }).data, ["-n 1", "-n 4"]);
  assert.equal(option.animation, false);
  assert.match(
    String((option.title as { subtext: string }).subtext),
    /^64\.0 MiB from https:\/\/x\.test\/a\.iso; median of 3 runs$/,
  );
});

test("the recommended point is pinned on its line", () => {
  const rec = recommend(SUMMARIES);
  assert.equal(rec?.flags, "-n 4 -k 1M");
  const option = chartOption(TARGET, 3, SUMMARIES, [1, 4], [M, "dynamic"], rec);
  const series = option.series as LineSeriesOption[];
  assert.equal(series[0]?.markPoint, undefined);
  assert.deepEqual(series[1]?.markPoint?.data, [{ name: "recommended", coord: ["1M", 29] }]);
  assert.match(String((option.title as { subtext: string }).subtext), /; recommended: -n 4 -k 1M$/);
});

test("series names are the flags", () => {
  assert.equal(seriesName(16), "-n 16");
});
