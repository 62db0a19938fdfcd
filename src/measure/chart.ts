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

export function chartSvg(spec: ChartSpec): string {
  const n = spec.categories.length;
  const k = spec.series.length;
  const width = spec.width ?? Math.max(720, LEFT + RIGHT + n * Math.max(64, k * 11));
  const band = (width - LEFT - RIGHT) / Math.max(n, 1);
  const out: string[] = [];

  // Title, subtitle, then the legend, wrapped onto as many rows as it needs.
  out.push(
    text(width / 2, 26, spec.title, {
      "text-anchor": "middle",
      "font-size": 17,
      "font-weight": "bold",
    }),
  );
  const below = spec.subtitle ?? [];
  below.forEach((line, i) => {
    out.push(text(width / 2, 47 + i * 17, line, { "text-anchor": "middle", fill: "#333" }));
  });
  const colorOf = (i: number): string => spec.series[i]!.color ?? PALETTE[i % PALETTE.length]!;
  let lx = LEFT;
  let ly = 55 + below.length * 17;
  spec.series.forEach((s, i) => {
    const itemWidth = 34 + s.name.length * CHAR + 18;
    if (lx + itemWidth > width - RIGHT && lx > LEFT) {
      lx = LEFT;
      ly += 20;
    }
    const c = colorOf(i);
    out.push(
      `<g class="legend-item">` +
        (s.line
          ? `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 26}" y2="${ly - 4}" stroke="${c}" stroke-width="3"/>`
          : "") +
        `<circle cx="${lx + 13}" cy="${ly - 4}" r="4.5" fill="${c}"/>` +
        text(lx + 34, ly, s.name) +
        `</g>`,
    );
    lx += itemWidth;
  });

  // Long category names turn, so neighbours do not overlap.
  const longest = Math.max(0, ...spec.categories.map((c) => c.length));
  const turned = longest * CHAR > band - 8;
  const labelDepth = turned ? longest * CHAR * 0.6 + 12 : 20;
  const top = ly + 26;
  const bottom = top + PLOT_HEIGHT;
  const height = bottom + labelDepth + 40;

  const highest = Math.max(
    0,
    ...spec.series.flatMap((s) => s.points.map((p) => (p ? Math.max(p.value, p.max ?? 0) : 0))),
  );
  const step = niceStep(highest);
  const yMax = Math.max(step, Math.ceil(highest / step) * step);
  const y = (v: number): number => bottom - (v / yMax) * PLOT_HEIGHT;
  const apart = (c: number): boolean => spec.apartFrom !== undefined && c >= spec.apartFrom;
  // Points of one category side by side, so their whiskers do not hide each other.
  const dodge = Math.min((band * 0.75) / Math.max(k, 1), 14);
  const x = (c: number, i: number): number => LEFT + band * (c + 0.5) + (i - (k - 1) / 2) * dodge;

  // The value axis: grid lines at each tick, then the axes over them.
  for (let v = 0; v <= yMax + step / 2; v += step) {
    const tick = Number(v.toFixed(6));
    out.push(
      `<line class="grid" x1="${LEFT}" y1="${num(y(tick))}" x2="${width - RIGHT}" y2="${num(y(tick))}" stroke="#dddddd"/>`,
      text(LEFT - 8, y(tick) + 4, String(tick), { "text-anchor": "end", class: "tick" }),
    );
  }
  out.push(
    `<path class="axis" d="M${LEFT},${top} V${bottom} H${width - RIGHT}" fill="none" stroke="#222" stroke-width="1.2"/>`,
  );
  spec.categories.forEach((label, c) => {
    const cx = LEFT + band * (c + 0.5);
    out.push(
      turned
        ? text(cx, bottom + 16, label, {
            "text-anchor": "end",
            transform: `rotate(-35 ${num(cx)} ${bottom + 16})`,
            class: "category",
          })
        : text(cx, bottom + 18, label, { "text-anchor": "middle", class: "category" }),
    );
  });
  if (spec.apartFrom !== undefined && spec.apartFrom > 0 && spec.apartFrom < n) {
    const rx = num(LEFT + band * spec.apartFrom);
    out.push(
      `<line class="apart" x1="${rx}" y1="${top}" x2="${rx}" y2="${bottom}" stroke="#888" stroke-dasharray="5 4"/>`,
    );
  }
  out.push(
    text(LEFT + (width - LEFT - RIGHT) / 2, bottom + labelDepth + 28, spec.xTitle, {
      "text-anchor": "middle",
      "font-weight": "bold",
      class: "axis-title",
    }),
    text(22, top + PLOT_HEIGHT / 2, spec.yTitle, {
      "text-anchor": "middle",
      "font-weight": "bold",
      transform: `rotate(-90 22 ${num(top + PLOT_HEIGHT / 2)})`,
      class: "axis-title",
    }),
  );

  // The series: lines first, so whiskers and markers sit on top of them.
  spec.series.forEach((s, i) => {
    const c = colorOf(i);
    const parts: string[] = [];
    if (s.line) {
      let run: string[] = [];
      const flush = (): void => {
        if (run.length > 1)
          parts.push(
            `<polyline class="line" points="${run.join(" ")}" fill="none" stroke="${c}" stroke-width="3" stroke-linejoin="round"/>`,
          );
        run = [];
      };
      s.points.forEach((p, cat) => {
        if (p === null || apart(cat)) return flush();
        run.push(`${num(x(cat, i))},${num(y(p.value))}`);
      });
      flush();
    }
    s.points.forEach((p, cat) => {
      if (p === null) return;
      const px = num(x(cat, i));
      if (p.min !== undefined && p.max !== undefined && p.max > p.min) {
        const [lo, hi] = [num(y(p.min)), num(y(p.max))];
        parts.push(
          `<path class="whisker" d="M${px},${lo} V${hi} M${num(x(cat, i) - 4)},${lo} h8 M${num(x(cat, i) - 4)},${hi} h8" stroke="${c}" stroke-width="1.8" fill="none"/>`,
        );
      }
      const py = num(y(p.value));
      parts.push(
        apart(cat)
          ? `<rect class="marker apart" x="${num(x(cat, i) - 5)}" y="${num(y(p.value) - 5)}" width="10" height="10" transform="rotate(45 ${px} ${py})" fill="${c}" stroke="#fff"/>`
          : `<circle class="marker" cx="${px}" cy="${py}" r="4.5" fill="${c}" stroke="#fff"/>`,
      );
    });
    out.push(`<g class="series" data-series="${escape(s.name)}">${parts.join("")}</g>`);
  });

  const h = spec.highlight;
  const hp = h && spec.series[h.series]?.points[h.category];
  if (h && hp) {
    const [hx, hy] = [x(h.category, h.series), y(hp.value)];
    out.push(
      `<g class="highlight"><circle cx="${num(hx)}" cy="${num(hy)}" r="10" fill="none" stroke="#000" stroke-width="2"/>` +
        // Above the ring and above the whisker's cap, which it would otherwise cross.
        text(hx, Math.min(hy - 16, y(hp.max ?? hp.value) - 8), h.label, {
          "text-anchor": "middle",
          "font-weight": "bold",
        }) +
        `</g>`,
    );
  }

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="sans-serif" font-size="${FONT}" fill="#111">\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n` +
    `${out.join("\n")}\n</svg>\n`
  );
}
