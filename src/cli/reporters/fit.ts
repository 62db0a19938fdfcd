/**
 * Lines that fit a terminal's width. A live line that wraps takes two rows, and the redraw, which
 * counts one row per line, would then overwrite the wrong ones.
 */

/** A figure on a status line, kept whole or dropped whole: never cut. */
export interface Figure {
  text: string;
  /** When the line is too wide, the figures with the lowest `keep` go first. */
  keep: number;
}

/** Names get this many columns before a figure is dropped to make room... */
const MIN_NAME = 12;
/** ...but to keep the last figure (the most useful), only this many. */
const MIN_NAME_LAST_FIGURE = 3;
const GAP = "  ";

// East Asian scripts, full-width forms and pictographs take two columns. The guess errs wide
// (text-style symbols such as ©): a line that is a little short does no harm.
const WIDE =
  /[\p{Extended_Pictographic}\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

function charWidth(char: string): number {
  return WIDE.test(char) ? 2 : 1;
}

/** The columns `text` takes on a terminal. */
export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** How many of `chars`, from the first, fit in `width` columns. */
function fitting(chars: readonly string[], width: number): number {
  let used = 0;
  let count = 0;
  for (const char of chars) {
    used += charWidth(char);
    if (used > width) break;
    count++;
  }
  return count;
}

/**
 * `text` in at most `width` columns, cut in the middle (`ubuntu-24…amd64.iso`): the start and the
 * extension are what tell files apart. Wide characters are kept whole or left out.
 */
export function middleEllipsis(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width < 1) return "";
  const chars = Array.from(text);
  const endWidth = Math.floor((width - 1) / 2);
  const start = chars.slice(0, fitting(chars, width - 1 - endWidth));
  const end = chars.slice(chars.length - fitting([...chars].reverse(), endWidth));
  return `${start.join("")}…${end.join("")}`;
}

/**
 * `name  figure  figure…` in at most `width` columns. The name shrinks first, down to MIN_NAME
 * columns; then figures are dropped, the least useful first, and the name shrinks further to keep
 * the last one.
 */
export function fitLine(name: string, figures: readonly Figure[], width: number): string {
  const shown = [...figures];
  for (;;) {
    const tail = shown.map((f) => f.text).join(GAP);
    const gap = name !== "" && tail !== "" ? GAP : "";
    const room = width - textWidth(tail) - gap.length;
    const least = shown.length > 1 ? MIN_NAME : MIN_NAME_LAST_FIGURE;
    if (shown.length === 0 || room >= Math.min(least, textWidth(name))) {
      return middleEllipsis(name, room) + gap + tail;
    }
    const dropped = shown.reduce((low, f) => (f.keep < low.keep ? f : low));
    shown.splice(shown.indexOf(dropped), 1);
  }
}
