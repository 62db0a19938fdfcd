/**
 * A small SVG chart of repeated measurements, shared by `parget bench` and the peer comparison
 * (bench/): categories along x, a value axis from 0, one series per group, each point a median
 * with a whisker from min to max. Pure: a spec in, an SVG document (a string) out. Written by
 * hand because the charting libraries that render SVG without a browser are tens of megabytes
 * for what is a few hundred lines of text here.
 */

/** One measured point: the median, and the range of its repeats when there were several. */
export interface ChartPoint {
  value: number;
  min?: number;
  max?: number;
}

export interface ChartSeries {
  name: string;
  /** One entry per category; null where nothing was measured (no point, and a gap in the line). */
  points: readonly (ChartPoint | null)[];
  /** Join neighbouring points with a line: only where the categories are ordered values. */
  line: boolean;
  /** A CSS colour; the palette's by position otherwise. */
  color?: string;
}

export interface ChartSpec {
  title: string;
  /** Lines under the title: what was measured, and how. */
  subtitle?: readonly string[];
  categories: readonly string[];
  /** The axes' titles, with their units. */
  xTitle: string;
  yTitle: string;
  series: readonly ChartSeries[];
  /**
   * Categories from this index on are not more of the same axis (parget bench's "dynamic" after
   * the fixed chunk sizes): a dashed rule sets them apart, no line reaches them, and their points
   * are diamonds.
   */
  apartFrom?: number;
  /** A point to ring and name: the recommended setting. */
  highlight?: { series: number; category: number; label: string };
  width?: number;
}

/** Strong colours that read on white and apart from each other (Tableau 10, its light ones left out). */
export const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#555555",
  "#bcbd22",
] as const;

const FONT = 12;
/** Roughly how wide a character of FONT px sans-serif is: enough to lay out the legend and labels. */
const CHAR = 7;
const LEFT = 84;
const RIGHT = 28;
const PLOT_HEIGHT = 340;

const escape = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
const num = (v: number): string => String(Math.round(v * 10) / 10);

function text(
  x: number,
  y: number,
  content: string,
  attrs: Record<string, string | number> = {},
): string {
  const rest = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escape(String(v))}"`)
    .join("");
  return `<text x="${num(x)}" y="${num(y)}"${rest}>${escape(content)}</text>`;
}

/** A step of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into about `parts` ticks. */
export function niceStep(span: number, parts = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / parts;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
}

/** Where everything goes: computed once from the spec, read by each part of the drawing. */
interface Layout {
  width: number;
  height: number;
  top: number;
  bottom: number;
  /** The width of one category's column. */
  band: number;
  /** Category names turned, as they would overlap level. */
  turned: boolean;
  labelDepth: number;
  step: number;
  yMax: number;
  /** Where series `i`'s point in category `c` stands. */
  x(c: number, i: number): number;
  y(value: number): number;
  apart(c: number): boolean;
}

function colorOf(spec: ChartSpec, i: number): string {
  return spec.series[i]!.color ?? PALETTE[i % PALETTE.length]!;
}

/** The title, the subtitle's lines and the legend, wrapped onto as many rows as it needs. */
function header(spec: ChartSpec, width: number): { out: string[]; bottom: number } {
  const out = [
    text(width / 2, 26, spec.title, {
      "text-anchor": "middle",
      "font-size": 17,
      "font-weight": "bold",
    }),
  ];
  const below = spec.subtitle ?? [];
  below.forEach((line, i) => {
    out.push(text(width / 2, 47 + i * 17, line, { "text-anchor": "middle", fill: "#333" }));
  });
  let lx = LEFT;
  let ly = 55 + below.length * 17;
  spec.series.forEach((s, i) => {
    const itemWidth = 34 + s.name.length * CHAR + 18;
    if (lx + itemWidth > width - RIGHT && lx > LEFT) {
      lx = LEFT;
      ly += 20;
    }
    const c = colorOf(spec, i);
    const line = `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 26}" y2="${ly - 4}" stroke="${c}" stroke-width="3"/>`;
    out.push(
      `<g class="legend-item">${s.line ? line : ""}` +
        `<circle cx="${lx + 13}" cy="${ly - 4}" r="4.5" fill="${c}"/>${text(lx + 34, ly, s.name)}</g>`,
    );
    lx += itemWidth;
  });
  return { out, bottom: ly };
}

function layout(spec: ChartSpec, width: number, headerBottom: number): Layout {
  const n = spec.categories.length;
  const k = spec.series.length;
  const band = (width - LEFT - RIGHT) / Math.max(n, 1);
  const longest = Math.max(0, ...spec.categories.map((c) => c.length));
  const turned = longest * CHAR > band - 8;
  const labelDepth = turned ? longest * CHAR * 0.6 + 12 : 20;
  const top = headerBottom + 26;
  const bottom = top + PLOT_HEIGHT;
  const highest = Math.max(
    0,
    ...spec.series.flatMap((s) => s.points.map((p) => (p ? Math.max(p.value, p.max ?? 0) : 0))),
  );
  const step = niceStep(highest);
  const yMax = Math.max(step, Math.ceil(highest / step) * step);
  // Points of one category side by side, so their whiskers do not hide each other.
  const dodge = Math.min((band * 0.75) / Math.max(k, 1), 14);
  return {
    width,
    height: bottom + labelDepth + 40,
    top,
    bottom,
    band,
    turned,
    labelDepth,
    step,
    yMax,
    x: (c, i) => LEFT + band * (c + 0.5) + (i - (k - 1) / 2) * dodge,
    y: (v) => bottom - (v / yMax) * PLOT_HEIGHT,
    apart: (c) => spec.apartFrom !== undefined && c >= spec.apartFrom,
  };
}

/** Grid lines and ticks of the value axis, the axes, the category names and both titles. */
function axes(spec: ChartSpec, l: Layout): string[] {
  const out: string[] = [];
  const right = l.width - RIGHT;
  for (let v = 0; v <= l.yMax + l.step / 2; v += l.step) {
    const tick = Number(v.toFixed(6));
    const y = num(l.y(tick));
    out.push(
      `<line class="grid" x1="${LEFT}" y1="${y}" x2="${right}" y2="${y}" stroke="#dddddd"/>`,
      text(LEFT - 8, l.y(tick) + 4, String(tick), { "text-anchor": "end", class: "tick" }),
    );
  }
  out.push(
    `<path class="axis" d="M${LEFT},${l.top} V${l.bottom} H${right}" fill="none" stroke="#222" stroke-width="1.2"/>`,
  );
  spec.categories.forEach((label, c) => {
    const cx = LEFT + l.band * (c + 0.5);
    const attrs = l.turned
      ? { "text-anchor": "end", transform: `rotate(-35 ${num(cx)} ${l.bottom + 16})` }
      : { "text-anchor": "middle" };
    out.push(text(cx, l.bottom + (l.turned ? 16 : 18), label, { ...attrs, class: "category" }));
  });
  const from = spec.apartFrom;
  if (from !== undefined && from > 0 && from < spec.categories.length) {
    const rx = num(LEFT + l.band * from);
    out.push(
      `<line class="apart" x1="${rx}" y1="${l.top}" x2="${rx}" y2="${l.bottom}" stroke="#888" stroke-dasharray="5 4"/>`,
    );
  }
  const middle = l.top + PLOT_HEIGHT / 2;
  const title = { "text-anchor": "middle", "font-weight": "bold", class: "axis-title" };
  out.push(
    text(LEFT + (right - LEFT) / 2, l.bottom + l.labelDepth + 28, spec.xTitle, title),
    text(22, middle, spec.yTitle, { ...title, transform: `rotate(-90 22 ${num(middle)})` }),
  );
  return out;
}

/** One series' group: its lines first, so whiskers and markers sit on top of them. */
function seriesGroup(s: ChartSeries, c: string, i: number, l: Layout): string {
  const parts: string[] = [];
  if (s.line) {
    let run: string[] = [];
    const flush = (): void => {
      if (run.length > 1) {
        parts.push(
          `<polyline class="line" points="${run.join(" ")}" fill="none" stroke="${c}" stroke-width="3" stroke-linejoin="round"/>`,
        );
      }
      run = [];
    };
    s.points.forEach((p, cat) => {
      if (p === null || l.apart(cat)) return flush();
      run.push(`${num(l.x(cat, i))},${num(l.y(p.value))}`);
    });
    flush();
  }
  s.points.forEach((p, cat) => {
    if (p === null) return;
    const [x, y] = [l.x(cat, i), l.y(p.value)];
    if (p.min !== undefined && p.max !== undefined && p.max > p.min) {
      const [lo, hi, cap] = [num(l.y(p.min)), num(l.y(p.max)), num(x - 4)];
      parts.push(
        `<path class="whisker" d="M${num(x)},${lo} V${hi} M${cap},${lo} h8 M${cap},${hi} h8" stroke="${c}" stroke-width="1.8" fill="none"/>`,
      );
    }
    parts.push(
      l.apart(cat)
        ? `<rect class="marker apart" x="${num(x - 5)}" y="${num(y - 5)}" width="10" height="10" transform="rotate(45 ${num(x)} ${num(y)})" fill="${c}" stroke="#fff"/>`
        : `<circle class="marker" cx="${num(x)}" cy="${num(y)}" r="4.5" fill="${c}" stroke="#fff"/>`,
    );
  });
  return `<g class="series" data-series="${escape(s.name)}">${parts.join("")}</g>`;
}

/** A ring round the highlighted point, its name above the ring and above the whisker's cap. */
function highlight(spec: ChartSpec, l: Layout): string[] {
  const h = spec.highlight;
  const p = h && spec.series[h.series]?.points[h.category];
  if (!h || !p) return [];
  const [x, y] = [l.x(h.category, h.series), l.y(p.value)];
  const label = text(x, Math.min(y - 16, l.y(p.max ?? p.value) - 8), h.label, {
    "text-anchor": "middle",
    "font-weight": "bold",
  });
  return [
    `<g class="highlight"><circle cx="${num(x)}" cy="${num(y)}" r="10" fill="none" stroke="#000" stroke-width="2"/>${label}</g>`,
  ];
}

export function chartSvg(spec: ChartSpec): string {
  const n = spec.categories.length;
  const width =
    spec.width ?? Math.max(720, LEFT + RIGHT + n * Math.max(64, spec.series.length * 11));
  const head = header(spec, width);
  const l = layout(spec, width, head.bottom);
  const body = [
    ...head.out,
    ...axes(spec, l),
    ...spec.series.map((s, i) => seriesGroup(s, colorOf(spec, i), i, l)),
    ...highlight(spec, l),
  ];
  const size = `width="${num(width)}" height="${num(l.height)}" viewBox="0 0 ${num(width)} ${num(l.height)}"`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" ${size} font-family="sans-serif" font-size="${FONT}" fill="#111">\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n${body.join("\n")}\n</svg>\n`
  );
}
