/** For logs and pipes (stderr is not a terminal): whole lines only, and few of them. */
import { formatBytes, redactUrl, type DownloadEvent } from "../../index.js";
import {
  failureLine,
  joined,
  percent,
  progressText,
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

/** A file's progress line every 10% of it, but never more often than MIN_GAP_MS... */
const MIN_GAP_MS = 1_000;
/** ...and at least this often when the percentages crawl or the size is unknown. */
const MAX_GAP_MS = 5_000;
/** A set's total line, at most this often. */
const TOTAL_GAP_MS = 5_000;

function startText(e: Extract<DownloadEvent, { type: "start" }>): string {
  const size = e.size === null ? "size unknown" : formatBytes(e.size);
  const how = !e.ranges
    ? "1 connection (no range support)"
    : e.adaptive
      ? `up to ${e.connections} connections, as many as help`
      : `${e.connections} connection${e.connections === 1 ? "" : "s"}`;
  const resumed = e.resumedBytes > 0 ? `, resuming at ${formatBytes(e.resumedBytes)}` : "";
  return `fetching ${redactUrl(e.url)} into ${e.path} (${size}, ${how}${resumed})`;
}

export function plainReporter(out: Sink, now: () => number = () => performance.now()): Reporter {
  const view = new SetView();
  /** Per file: when its last line was written, and the tenth of it reached then. */
  const paces = new Map<number, { lastLine: number; lastTenth: number }>();
  /** From the first progress on: a set done within TOTAL_GAP_MS needs only its summary. */
  let lastTotal: number | undefined;

  const write = (text: string): void => {
    out.write(`${text}\n`);
  };
  const pace = (id: number): { lastLine: number; lastTenth: number } => {
    let p = paces.get(id);
    if (p === undefined) paces.set(id, (p = { lastLine: -Infinity, lastTenth: 0 }));
    return p;
  };
  const line = (file: FileView, text: string): void => {
    write(`${file.name}: ${text}`);
    pace(file.id).lastLine = now();
  };

  return {
    onEvent(e) {
      if (e.type === "summary") {
        if (e.summary.files > 1) summaryLines(e.summary, view).forEach(write);
        return;
      }
      const file = view.apply(e);
      switch (e.type) {
        case "start":
          line(file, startText(e));
          pace(e.id).lastTenth = e.size ? Math.floor(percent(e.resumedBytes, e.size) / 10) : 0;
          return;
        case "progress": {
          const p = pace(e.id);
          const tenth = e.size === null ? p.lastTenth : Math.floor(percent(e.bytes, e.size) / 10);
          const gap = now() - p.lastLine;
          if (gap >= MIN_GAP_MS && (tenth > p.lastTenth || gap >= MAX_GAP_MS)) {
            p.lastTenth = tenth;
            line(file, progressText(e));
          }
          lastTotal ??= now();
          if (view.size > 1 && now() - lastTotal >= TOTAL_GAP_MS) {
            lastTotal = now();
            write(joined(totalFigures(view.totals())));
          }
          return;
        }
        case "retry":
          line(file, retryText(e));
          return;
        case "reconnect":
          line(file, reconnectText(e));
          return;
        case "restart":
          line(file, `restarting from scratch: ${shownText(e.reason)}`);
          return;
        case "verifying":
          line(file, `verifying ${e.algorithms.join(", ")}`);
          return;
        case "done":
          write(savedText(e.result));
          return;
        case "skipped":
          write(skippedText(e.result));
          return;
        case "failed":
          write(failureLine(e.error));
          return;
        case "queued":
        case "cancelled":
          return;
      }
    },
    close() {},
  };
}
