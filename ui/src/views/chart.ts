/** The live throughput chart: the total and the busiest downloads, over the last minutes. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { bytes } from "../model.js";
import { html } from "../html.js";

export interface Sample {
  t: number;
  total: number;
  each: Record<string, number>;
}

const COLORS: readonly string[] = ["#2f7ed8", "#e4572e", "#29a36a", "#a05ec2", "#d6a01d"];

export function Chart({ samples, names }: { samples: Sample[]; names: Record<string, string> }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<{ chart: uPlot; key: string } | undefined>(undefined);

  // The four busiest downloads of the window get their own line.
  const totals: Record<string, number> = {};
  for (const s of samples)
    for (const [g, v] of Object.entries(s.each)) totals[g] = (totals[g] ?? 0) + v;
  const gids = Object.keys(totals)
    .sort((a, b) => totals[b]! - totals[a]!)
    .slice(0, 4)
    .sort();
  const key = gids.join(",");
  const data: uPlot.AlignedData = [
    samples.map((s) => s.t),
    samples.map((s) => s.total),
    ...gids.map((g) => samples.map((s) => s.each[g] ?? null)),
  ];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth);
    if (plot.current?.key !== key) {
      plot.current?.chart.destroy();
      const dark = matchMedia("(prefers-color-scheme: dark)").matches;
      const axis = {
        stroke: dark ? "#c9d1d9" : "#333",
        grid: { stroke: dark ? "#30363d" : "#e5e5e5" },
      };
      const chart = new uPlot(
        {
          width,
          height: 180,
          series: [
            {},
            { label: "total", stroke: COLORS[0]!, width: 2, value: (_u, v) => rate(v) },
            ...gids.map((g, i) => ({
              label: names[g] ?? g,
              stroke: COLORS[(i + 1) % COLORS.length]!,
              value: (_u: uPlot, v: number | null) => rate(v),
            })),
          ],
          axes: [
            axis,
            // Ticks at round binary rates (512 KiB/s, 1 MiB/s), wide enough for their labels.
            {
              ...axis,
              size: 84,
              incrs: RATE_STEPS,
              values: (_u, vals) => vals.map((v) => rate(v)),
            },
          ],
          legend: { live: false },
          // Speeds from zero, so a small wobble does not look like a collapse.
          scales: { y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, 1024)] } },
        },
        data,
        el,
      );
      plot.current = { chart, key };
    } else {
      plot.current.chart.setData(data);
      if (plot.current.chart.width !== width) plot.current.chart.setSize({ width, height: 180 });
    }
  });
  useEffect(() => () => plot.current?.chart.destroy(), []);

  const last = samples.at(-1);
  return html`<section class="panel" aria-labelledby="chart-title">
    <h2 id="chart-title">Throughput</h2>
    <p class="sr-only" aria-live="off">Now ${rate(last?.total ?? 0)}</p>
    <div ref=${box} class="chart" data-samples=${samples.length}></div>
  </section>`;
}

const RATE_STEPS = [1, 1024, 1024 ** 2, 1024 ** 3].flatMap((unit) =>
  [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((m) => m * unit),
);

function rate(v: number | null): string {
  return v === null ? "" : `${bytes(v)}/s`;
}
