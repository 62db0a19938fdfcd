import assert from "node:assert/strict";
import { test } from "node:test";
import { chartSvg, niceStep, PALETTE, type ChartSpec } from "../../src/measure/chart.js";
import { assertBalancedXml } from "../helpers/svg.js";

const SPEC: ChartSpec = {
  title: "throughput <by> chunk & connections",
  subtitle: ["32.0 MiB from the embedded server", "median of 3 runs"],
  categories: ["256K", "1M", "4M", "dynamic"],
  xTitle: "chunk size (-k)",
  yTitle: "throughput (MiB/s)",
  apartFrom: 3,
  series: [
    {
      name: "-n 1",
      line: true,
      points: [
        { value: 6, min: 5, max: 7 },
        { value: 8, min: 8, max: 8 },
        { value: 8, min: 7.5, max: 8.2 },
        { value: 8, min: 7, max: 9 },
      ],
    },
    {
      name: "-n 16",
      line: true,
      // Not measured at 1M: the line breaks there rather than dropping to zero.
      points: [{ value: 70, min: 60, max: 80 }, null, { value: 110 }, { value: 120 }],
    },
  ],
  highlight: { series: 1, category: 3, label: "recommended" },
};

/** The elements of one series' group. */
function seriesGroup(svg: string, name: string): string {
  const match = new RegExp(`<g class="series" data-series="${name}">(.*?)</g>`).exec(svg);
  assert.ok(match, `a group for ${name}`);
  return match[1]!;
}

const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

test("a standalone SVG on white, its text escaped, every element closed", () => {
  const svg = chartSvg(SPEC);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.match(svg, /<rect width="100%" height="100%" fill="#ffffff"\/>/);
  assertBalancedXml(svg);
  assert.ok(svg.includes(">throughput &lt;by&gt; chunk &amp; connections<"));
});

test("axes: both titles with their units, the categories, ticks from 0 to a round top", () => {
  const svg = chartSvg(SPEC);
  for (const label of ["throughput (MiB/s)", "chunk size (-k)", "256K", "1M", "4M", "dynamic"]) {
    assert.ok(svg.includes(`>${label}<`), label);
  }
  const ticks = [...svg.matchAll(/class="tick">([^<]+)</g)].map((m) => Number(m[1]));
  assert.deepEqual(ticks, [0, 25, 50, 75, 100, 125]);
  for (const line of SPEC.subtitle!) assert.ok(svg.includes(`>${line}<`), line);
});

test("one group per series; a line joins only neighbours measured on the ordered axis", () => {
  const svg = chartSvg(SPEC);
  assert.equal(count(svg, /<g class="series"/g), 2);
  const one = seriesGroup(svg, "-n 1");
  // 256K, 1M and 4M joined; dynamic stands apart as a diamond, reached by no line.
  assert.equal(count(one, /<polyline /g), 1);
  assert.equal(count(/points="([^"]*)"/.exec(one)![1]!, /,/g), 3);
  assert.equal(count(one, /<circle class="marker"/g), 3);
  assert.equal(count(one, /class="marker apart"/g), 1);
  // -n 16: 256K alone before the gap, 4M alone after it: nothing to join.
  const sixteen = seriesGroup(svg, "-n 16");
  assert.equal(count(sixteen, /<polyline /g), 0);
  assert.equal(count(sixteen, /class="marker/g), 3);
  assert.ok(one.includes(`stroke="${PALETTE[0]}" stroke-width="3"`), "a strong line");
  assert.equal(count(svg, /<line class="apart"/g), 1, "a rule before dynamic");
});

test("a whisker for each point whose repeats differ, from min to max", () => {
  const svg = chartSvg(SPEC);
  const one = seriesGroup(svg, "-n 1");
  assert.equal(count(one, /class="whisker"/g), 3, "not at 1M, where min = max");
  assert.equal(count(seriesGroup(svg, "-n 16"), /class="whisker"/g), 1);
  // Higher values are higher up: the whisker's top (max) above its point, its foot (min) below.
  const [, x, low, high] = /class="whisker" d="M([\d.]+),([\d.]+) V([\d.]+)/.exec(one)!;
  const cy = Number(new RegExp(`cx="${x}" cy="([\\d.]+)"`).exec(one)![1]);
  assert.ok(Number(high) < cy && cy < Number(low), `${high} < ${cy} < ${low}`);
});

test("points without lines: one marker per measured point, no polyline", () => {
  const { apartFrom: _apart, highlight: _highlight, ...plain } = SPEC;
  const svg = chartSvg({ ...plain, series: SPEC.series.map((s) => ({ ...s, line: false })) });
  assert.equal(count(svg, /<polyline /g), 0);
  assert.equal(count(svg, /<circle class="marker"/g), 7);
  assert.equal(count(svg, /<line class="apart"/g), 0);
});

test("the highlighted point is ringed and named", () => {
  const svg = chartSvg(SPEC);
  assert.match(svg, /<g class="highlight"><circle [^>]*r="10"/);
  assert.ok(svg.includes(">recommended<"));
});

test("nice steps: 1, 2, 2.5 or 5 times a power of ten", () => {
  assert.equal(niceStep(120), 25);
  assert.equal(niceStep(8), 2);
  assert.equal(niceStep(100), 20);
  assert.equal(niceStep(0.9), 0.2);
  assert.equal(niceStep(0), 1);
});
