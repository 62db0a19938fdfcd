/**
 * Reporters turn download events into output. main.ts picks one; each URL's events arrive in order,
 * starting with "start", and a failed URL ends with onError instead of "done".
 */
import type { DownloadEvent } from "../../index.js";
import { jsonReporter } from "./json.js";
import { plainReporter } from "./plain.js";
import { ttyReporter } from "./tty.js";

export interface Reporter {
  /** A URL's download begins; what it reports before its "start" event (retries) names the URL. */
  begin(url: string): void;
  onEvent(event: DownloadEvent): void;
  /** The URL failed; main.ts prints the one-line error on stderr after this. */
  onError(url: string, err: unknown): void;
  /** No more events: leave the terminal tidy. */
  close(): void;
}

/** The part of a stream a reporter writes to. */
export interface Sink {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

export const quietReporter: Reporter = { begin() {}, onEvent() {}, onError() {}, close() {} };

export function createReporter(
  mode: { json: boolean; quiet: boolean },
  streams: { stdout: Sink; stderr: Sink },
): Reporter {
  if (mode.json) return jsonReporter(streams.stdout);
  if (mode.quiet) return quietReporter;
  return streams.stderr.isTTY ? ttyReporter(streams.stderr) : plainReporter(streams.stderr);
}
