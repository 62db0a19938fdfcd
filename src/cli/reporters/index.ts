/**
 * Reporters turn a set's events into output; main.ts picks one. Every mode prints each failure as
 * one `parget: <message>` line on stderr when its "failed" event arrives; -q prints nothing else.
 */
import type { SetEvent } from "../../index.js";
import { failureLine } from "./format.js";
import { jsonReporter } from "./json.js";
import { plainReporter } from "./plain.js";
import { ttyReporter } from "./tty.js";

export interface Reporter {
  /** A file's events arrive in order, between its "queued" and how it ended; "summary" is last. */
  onEvent(event: SetEvent): void;
  /** No more events: leave the terminal tidy, the cursor on a fresh line. */
  close(): void;
}

/** The part of a stream a reporter writes to. */
export interface Sink {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
  /** The terminal's height, when it is one. */
  rows?: number;
}

/** -q: the failures' lines, nothing else. */
export function quietReporter(stderr: Sink): Reporter {
  return {
    onEvent(e) {
      if (e.type === "failed") stderr.write(`${failureLine(e.error)}\n`);
    },
    close() {},
  };
}

export function createReporter(
  mode: { json: boolean; quiet: boolean },
  streams: { stdout: Sink; stderr: Sink },
): Reporter {
  if (mode.json) return jsonReporter(streams.stdout, streams.stderr);
  if (mode.quiet) return quietReporter(streams.stderr);
  return streams.stderr.isTTY ? ttyReporter(streams.stderr) : plainReporter(streams.stderr);
}
