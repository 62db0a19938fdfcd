/**
 * `--json`: one object per line on stdout, and nothing else there. Every line names its `url`
 * (credentials removed), so the output of several URLs can be told apart.
 */
import { exitCodeOf, redactUrl, type DownloadEvent } from "../../index.js";
import { errorCode, errorMessage, shownText } from "./format.js";
import type { Reporter, Sink } from "./index.js";

const PROGRESS_GAP_MS = 1_000;

export function jsonReporter(out: Sink, now: () => number = () => performance.now()): Reporter {
  let url = "";
  let lastProgress = -Infinity;
  const emit = (record: Record<string, unknown>): void => {
    out.write(`${JSON.stringify(record)}\n`);
  };

  return {
    begin(next: string): void {
      url = redactUrl(next);
    },
    onEvent(e: DownloadEvent): void {
      switch (e.type) {
        case "start":
          url = redactUrl(e.url);
          lastProgress = -Infinity;
          emit({ ...e, url, finalUrl: redactUrl(e.finalUrl) });
          return;
        case "done":
          emit({ type: e.type, ...e.result, url, finalUrl: redactUrl(e.result.finalUrl) });
          return;
        case "progress":
          if (now() - lastProgress < PROGRESS_GAP_MS) return;
          lastProgress = now();
      }
      const { type, ...fields } = e;
      // A reason quotes an error's message: redacted, as the other reporters show it.
      const reason = "reason" in e ? { reason: shownText(e.reason) } : {};
      emit({ type, url, ...fields, ...reason });
    },
    onError(failedUrl: string, err: unknown): void {
      emit({
        type: "error",
        url: redactUrl(failedUrl),
        code: errorCode(err),
        exitCode: exitCodeOf(err),
        message: errorMessage(err),
      });
    },
    close() {},
  };
}
