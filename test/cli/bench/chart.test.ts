import assert from "node:assert/strict";
import { test } from "node:test";
import { chartSpec, seriesName } from "../../../src/cli/bench/chart.js";
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

test("one line per connection count, a point per chunk setting: medians and min-max in MiB/s", () => {
  const spec = chartSpec(TARGET, 3, SUMMARIES, [1, 4], [M, "dynamic"]);
  assert.deepEqual(
    spec.series.map((s) => [s.name, s.line, s.points]),
    [
      [
        "-n 1",
        true,
        [
          { value: 7.5, min: 7, max: 8 },
          { value: 8, min: 8, max: 8 },
        ],
      ],
      ["-n 4", true, [{ value: 29, min: 28, max: 30 }, null]],
    ],
  );
  assert.deepEqual(spec.categories, ["1M", "dynamic"]);
  assert.equal(spec.apartFrom, 1, "dynamic stands apart from the chunk sizes");
  assert.equal(spec.yTitle, "throughput (MiB/s)");
  assert.match(spec.xTitle, /^chunk size \(-k\)/);
  assert.deepEqual(spec.subtitle, [
    "64.0 MiB from https://x.test/a.iso",
    "median of 3 runs, whiskers min-max",
  ]);
  assert.equal(spec.highlight, undefined);
});

test("the recommended point is ringed; cells limited by the file's size are named", () => {
  const rec = recommend(SUMMARIES);
  assert.equal(rec?.flags, "-n 4 -k 1M");
  const spec = chartSpec(TARGET, 3, SUMMARIES, [1, 4], [M, 64 * M], rec, [
    { connections: 4, chunk: 64 * M },
  ]);
  assert.deepEqual(spec.highlight, { series: 1, category: 0, label: "recommended" });
  assert.equal(spec.apartFrom, undefined, "no dynamic, nothing apart");
  assert.match(spec.subtitle?.[1] ?? "", /; recommended: -n 4 -k 1M$/);
  assert.match(spec.subtitle?.[2] ?? "", /fewer chunks than connections: -n 4 -k 64M$/);
});

test("series names are the flags", () => {
  assert.equal(seriesName(16), "-n 16");
});
