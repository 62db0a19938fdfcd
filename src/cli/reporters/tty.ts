/**
 * On a terminal: a live block redrawn in place, with a line per file under way and, for a set, a
 * total line; above it, permanent lines for what was saved, skipped or failed, retries, and at the
 * end the set's summary.
 */
import { formatBytes } from "../../index.js";
import { fitLine, type Figure } from "./fit.js";
import {
  failureLine,
  progressFigures,
  reconnectText,
  retryText,
  savedText,
  shownText,
  skippedText,
  summaryLines,
  totalFigures,
} from "./format.js";
import type { Reporter, Sink } from "./index.js";
import { SetView, type FileView } from "./set-view.js";

const REDRAW_MS = 100;
/** File lines in the block at most; the rest are counted on one line. */
const MAX_FILE_LINES = 8;
/** Used when the terminal does not say its size. */
const DEFAULT_COLUMNS = 80;
const DEFAULT_ROWS = 24;

/** Moves to the start of a block of `height` lines (the cursor at the end of its last) and erases it. */
function eraseBlock(height: number): string {
  if (height === 0) return "";
  return `\r${height > 1 ? `\x1b[${height - 1}A` : ""}\x1b[J`;
}

function fileFigures(file: FileView): Figure[] {
  switch (file.phase) {
    case "fetching":
      return [...progressFigures(file), { text: `${file.activeConnections} conn`, keep: 1 }];
    case "verifying":
      return [{ text: `verifying ${file.algorithms.join(", ")}`, keep: 5 }];
    default: {
      const connecting = { text: "connecting", keep: 5 };
      // Before "start" nothing is known of the size, not even that the server will not say.
      if (file.path === null) return [connecting];
      return [
        { text: file.size === null ? "size unknown" : formatBytes(file.size), keep: 2 },
        connecting,
      ];
    }
  }
}

export function ttyReporter(out: Sink, now: () => number = () => performance.now()): Reporter {
  const view = new SetView();
  /** Lines of the block on screen; the cursor is at the end of the last one. */
  let height = 0;
  let lastDraw = -Infinity;
  /** After the summary or close(): nothing is live any more. */
  let ended = false;

  const block = (): string[] => {
    if (ended) return [];
    // A line as wide as the terminal may wrap early on some: one column stays free.
    const width = (out.columns ?? DEFAULT_COLUMNS) - 1;
    // The whole block must fit on the screen, or the cursor cannot climb back to its top.
    const room = Math.max(1, Math.min(MAX_FILE_LINES, (out.rows ?? DEFAULT_ROWS) - 3));
    const active = view.active();
    const shown = active.slice(0, room);
    const lines = shown.map((f) => fitLine(f.name, fileFigures(f), width));
    if (active.length > shown.length) {
      lines.push(fitLine(`… and ${active.length - shown.length} more active`, [], width));
    }
    if (view.size > 1) lines.push(fitLine("", totalFigures(view.totals()), width));
    return lines;
  };

  /** Erases the block, prints `above` where it was, and draws the block again below. */
  const redraw = (above: readonly string[] = []): void => {
    const lines = block();
    const text = eraseBlock(height) + above.map((l) => `${l}\n`).join("") + lines.join("\n");
    if (text !== "") out.write(text);
    height = lines.length;
    lastDraw = now();
  };

  return {
    onEvent(e) {
      if (e.type === "summary") {
        ended = true;
        redraw(e.summary.files > 1 ? summaryLines(e.summary, view) : []);
        return;
      }
      const file = view.apply(e);
      switch (e.type) {
        case "queued":
          // Shown from the first file's start on; a long queue would only redraw the count.
          return;
        case "progress":
          if (now() - lastDraw >= REDRAW_MS) redraw();
          return;
        case "retry":
          redraw([`${file.name}: ${retryText(e)}`]);
          return;
        case "reconnect":
          redraw([`${file.name}: ${reconnectText(e)}`]);
          return;
        case "restart":
          redraw([`${file.name}: restarting from scratch: ${shownText(e.reason)}`]);
          return;
        case "done":
          redraw([savedText(e.result)]);
          return;
        case "skipped":
          redraw([skippedText(e.result)]);
          return;
        case "failed":
          redraw([failureLine(e.error)]);
          return;
        case "start":
        case "verifying":
        case "cancelled":
          redraw();
          return;
      }
    },
    close() {
      ended = true;
      redraw();
    },
  };
}
