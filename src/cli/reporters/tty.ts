/** A live status line on a terminal, redrawn in place, and one line per file when it is saved. */
import { basename } from "node:path";
import { formatBytes, type DownloadEvent } from "../../index.js";
import {
  progressText,
  reconnectText,
  retryText,
  savedText,
  shownText,
  urlLabel,
} from "./format.js";
import type { Reporter, Sink } from "./index.js";

const REDRAW_MS = 100;
const CLEAR_LINE = "\r\x1b[2K";

export function ttyReporter(out: Sink, now: () => number = () => performance.now()): Reporter {
  let name = "";
  let drawn = false;
  let lastDraw = -Infinity;

  const draw = (text: string): void => {
    // A line that wraps cannot be redrawn with \r, so it is cut to the terminal's width.
    const width = out.columns === undefined ? Infinity : out.columns - 1;
    out.write(CLEAR_LINE + (text.length > width ? text.slice(0, width) : text));
    drawn = true;
    lastDraw = now();
  };
  const clear = (): void => {
    if (drawn) out.write(CLEAR_LINE);
    drawn = false;
  };
  const printLine = (text: string): void => {
    clear();
    out.write(`${text}\n`);
    lastDraw = -Infinity;
  };

  return {
    begin(url: string): void {
      name = urlLabel(url);
    },
    onEvent(e: DownloadEvent): void {
      switch (e.type) {
        case "start":
          name = basename(e.path);
          draw(`${name}  ${e.size === null ? "size unknown" : formatBytes(e.size)}  connecting`);
          return;
        case "progress":
          if (now() - lastDraw < REDRAW_MS) return;
          draw(`${name}  ${progressText(e)}  ${e.activeConnections} conn`);
          return;
        case "retry":
          printLine(`${name}: ${retryText(e)}`);
          return;
        case "reconnect":
          printLine(`${name}: ${reconnectText(e)}`);
          return;
        case "restart":
          printLine(`${name}: restarting from scratch: ${shownText(e.reason)}`);
          return;
        case "verifying":
          draw(`${name}  verifying ${e.algorithms.join(", ")}`);
          return;
        case "done":
          printLine(savedText(e.result));
          return;
      }
    },
    // main.ts prints the error line; it must not land after a half-drawn status.
    onError: clear,
    close: clear,
  };
}
