/**
 * `--json`: one object per line on stdout, and nothing else there. Every line names its file by
 * `id` and `url` (credentials removed). A failure also gets its `parget:` line on stderr.
 */
import { exitCodeOf, redactUrl } from "../../index.js";
import { errorCode, errorMessage, failureLine, shownText } from "./format.js";
import type { Reporter, Sink } from "./index.js";

const PROGRESS_GAP_MS = 1_000;

export function jsonReporter(
  out: Sink,
  err: Sink,
  now: () => number = () => performance.now(),
): Reporter {
  /** Per file: its URL, redacted, and when its last progress line was written. */
  const files = new Map<number, { url: string; lastProgress: number }>();
  const file = (id: number): { url: string; lastProgress: number } => {
    let f = files.get(id);
    if (f === undefined) files.set(id, (f = { url: "", lastProgress: -Infinity }));
    return f;
  };
  const emit = (record: Record<string, unknown>): void => {
    out.write(`${JSON.stringify(record)}\n`);
  };

  return {
    onEvent(e) {
      switch (e.type) {
        case "summary":
          // A single download's last line stays its "done" or "error", as before sets.
          if (e.summary.files > 1) emit({ type: e.type, ...e.summary });
          return;
        case "queued":
          // Not printed: the URL names the file's lines from its first one on.
          file(e.id).url = redactUrl(e.url);
          return;
        case "start": {
          const f = file(e.id);
          f.url = redactUrl(e.url);
          const { type, id, ...fields } = e;
          emit({ type, id, ...fields, url: f.url, finalUrl: redactUrl(e.finalUrl) });
          return;
        }
        case "done": {
          const { url } = file(e.id);
          const finalUrl = redactUrl(e.result.finalUrl);
          emit({ type: e.type, id: e.id, ...e.result, url, finalUrl });
          return;
        }
        case "skipped": {
          const { path, size, verified } = e.result;
          emit({ type: e.type, id: e.id, url: redactUrl(e.result.url), path, size, verified });
          return;
        }
        case "failed":
          emit({
            type: "error",
            id: e.id,
            url: redactUrl(e.url),
            code: errorCode(e.error),
            exitCode: exitCodeOf(e.error),
            message: errorMessage(e.error),
          });
          err.write(`${failureLine(e.error)}\n`);
          return;
        case "cancelled":
          emit({ type: e.type, id: e.id, url: redactUrl(e.url) });
          return;
        case "progress": {
          const f = file(e.id);
          if (now() - f.lastProgress < PROGRESS_GAP_MS) return;
          f.lastProgress = now();
        }
      }
      // A reason quotes an error's message: redacted, as the other reporters show it.
      const reason = "reason" in e ? { reason: shownText(e.reason) } : {};
      const { type, id, ...fields } = e;
      emit({ type, id, url: file(id).url, ...fields, ...reason });
    },
    close() {},
  };
}
