/**
 * Tables of results, shared by `parget bench` (plain text for a terminal) and the peer
 * comparison (Markdown for docs/benchmarks.md): one column-width rule, two renderings. Pure.
 */

/** Left- or right-aligned: text left, numbers right. */
export type Align = "l" | "r";

function widthsOf(rows: readonly (readonly string[])[], least: number): number[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  return Array.from({ length: columns }, (_, i) =>
    Math.max(least, ...rows.map((r) => (r[i] ?? "").length)),
  );
}

function pad(text: string, width: number, align: Align | undefined): string {
  return align === "r" ? text.padStart(width) : text.padEnd(width);
}

/** Columns three spaces apart, each padded to its widest cell; no trailing spaces. */
export function textTable(
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const widths = widthsOf(rows, 0);
  return rows
    .map((r) =>
      widths
        .map((w, i) => pad(r[i] ?? "", w, align[i]))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

/** A Markdown table; cells are escaped for pipes, columns padded so the source reads too. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const cell = (s: string): string => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const all = [header, ...rows].map((r) => header.map((_, i) => cell(r[i] ?? "")));
  const widths = widthsOf(all, 3);
  const line = (r: readonly string[]): string =>
    `| ${widths.map((w, i) => pad(r[i]!, w, align[i])).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(all[0]!), rule, ...all.slice(1).map(line)].join("\n");
}

/** `45 s`, `1 min`, `2 min 5 s`: `seconds` rounded to a multiple of `step` (one step at least). */
export function durationText(seconds: number, step = 1): string {
  const s = Math.max(step, Math.round(seconds / step) * step);
  if (s < 60) return `${s} s`;
  const rest = s % 60;
  return `${Math.floor(s / 60)} min${rest > 0 ? ` ${rest} s` : ""}`;
}

/** A throughput unit for a whole table or chart, so its numbers compare at a glance. */
export function rateUnit(bytesPerSecond: number): { name: string; scale: number } {
  if (bytesPerSecond >= 1024 ** 3 * 10) return { name: "GiB/s", scale: 1024 ** 3 };
  if (bytesPerSecond >= 1024 ** 2) return { name: "MiB/s", scale: 1024 ** 2 };
  return { name: "KiB/s", scale: 1024 };
}
