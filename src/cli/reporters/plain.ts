/** For logs and pipes (stderr is not a terminal): whole lines only, and few of them. */
import { basename } from "node:path";
import { formatBytes, redactUrl, type DownloadEvent } from "../../index.js";
import {
  percent,
  progressText,
  reconnectText,
  retryText,
  savedText,
  shownText,
  urlLabel,
} from "./format.js";
import type { Reporter, Sink } from "./index.js";

/** A progress line every 10% of the file, but never more often than MIN_GAP_MS... */
const MIN_GAP_MS = 1_000;
/** ...and at least this often when the percentages crawl or the size is unknown. */
const MAX_GAP_MS = 5_000;

export function plainReporter(out: Sink, now: () => number = () => performance.now()): Reporter {
  let name = "";
  let lastLine = 0;
  let lastTenth = 0;
  const line = (text: string): void => {
    out.write(`${name}: ${text}\n`);
    lastLine = now();
  };

  return {
    begin(url: string): void {
      name = urlLabel(url);
    },
    onEvent(e: DownloadEvent): void {
      switch (e.type) {
        case "start": {
          name = basename(e.path);
          const size = e.size === null ? "size unknown" : formatBytes(e.size);
          const how = !e.ranges
            ? "1 connection (no range support)"
            : e.adaptive
              ? `up to ${e.connections} connections, as many as help`
              : `${e.connections} connection${e.connections === 1 ? "" : "s"}`;
          const resumed = e.resumedBytes > 0 ? `, resuming at ${formatBytes(e.resumedBytes)}` : "";
          line(`fetching ${redactUrl(e.url)} into ${e.path} (${size}, ${how}${resumed})`);
          lastTenth = e.size ? Math.floor(percent(e.resumedBytes, e.size) / 10) : 0;
          return;
        }
        case "progress": {
          const tenth = e.size === null ? lastTenth : Math.floor(percent(e.bytes, e.size) / 10);
          const gap = now() - lastLine;
          if (gap < MIN_GAP_MS || (tenth <= lastTenth && gap < MAX_GAP_MS)) return;
          lastTenth = tenth;
          line(progressText(e));
          return;
        }
        case "retry":
          line(retryText(e));
          return;
        case "reconnect":
          line(reconnectText(e));
          return;
        case "restart":
          line(`restarting from scratch: ${shownText(e.reason)}`);
          return;
        case "verifying":
          line(`verifying ${e.algorithms.join(", ")}`);
          return;
        case "done":
          out.write(`${savedText(e.result)}\n`);
          return;
      }
    },
    onError() {},
    close() {},
  };
}
