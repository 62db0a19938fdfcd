/** Text shared by the reporters and main.ts's error line. */
import { basename } from "node:path";
import type { SetSummary } from "../../index.js";
import {
  PargetError,
  formatBytes,
  redactText,
  redactUrl,
  type DownloadEvent,
  type DownloadResult,
} from "../../index.js";
import type { Figure } from "./fit.js";
import type { Failure, Totals } from "./set-view.js";

type Progress = Pick<
  Extract<DownloadEvent, { type: "progress" }>,
  "bytes" | "size" | "bytesPerSecond" | "etaSeconds"
>;

export function speed(bytesPerSecond: number): string {
  return `${formatBytes(Math.max(0, bytesPerSecond))}/s`;
}

/** `42s`, `3m07s`, `1h05m`: an ETA's precision need not exceed what a reader can use. */
export function eta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/**
 * `42%`, `108 MiB / 256 MiB`, `64.0 MiB/s`, `ETA 2s` (no percent or ETA when the size is unknown).
 * A narrow line keeps the percent and the ETA longest: they say the most in the fewest columns.
 */
export function progressFigures(e: Progress): Figure[] {
  const figures: Figure[] =
    e.size === null
      ? [{ text: formatBytes(e.bytes), keep: 5 }]
      : [
          { text: `${percent(e.bytes, e.size)}%`, keep: 5 },
          { text: `${formatBytes(e.bytes)} / ${formatBytes(e.size)}`, keep: 2 },
        ];
  figures.push({ text: speed(e.bytesPerSecond), keep: 3 });
  if (e.etaSeconds !== null) figures.push({ text: `ETA ${eta(e.etaSeconds)}`, keep: 4 });
  return figures;
}

/** `42%  108 MiB / 256 MiB  64.0 MiB/s  ETA 2s`. */
export function progressText(e: Progress): string {
  return joined(progressFigures(e));
}

/**
 * A set's progress: `3/12 files  42%  1.20 GiB / 2.80 GiB  120 MiB/s  ETA 13s`. While some
 * file's size is unknown the total so far ends in `+`, and there is no percent or ETA.
 */
export function totalFigures(t: Totals): Figure[] {
  const figures: Figure[] = [{ text: `${t.finished}/${t.files} files`, keep: 6 }];
  if (!t.sizeUnknown) figures.push({ text: `${percent(t.bytes, t.size)}%`, keep: 5 });
  const bytes =
    t.sizeUnknown && t.size === 0
      ? formatBytes(t.bytes)
      : `${formatBytes(t.bytes)} / ${formatBytes(t.size)}${t.sizeUnknown ? "+" : ""}`;
  figures.push({ text: bytes, keep: t.sizeUnknown ? 5 : 2 });
  figures.push({ text: speed(t.bytesPerSecond), keep: 3 });
  if (t.etaSeconds !== null) figures.push({ text: `ETA ${eta(t.etaSeconds)}`, keep: 4 });
  return figures;
}

export function joined(figures: readonly Figure[]): string {
  return figures.map((f) => f.text).join("  ");
}

/** Rounded down, so 100% means every byte is on disk. */
export function percent(bytes: number, size: number): number {
  return size === 0 ? 100 : Math.floor((bytes / size) * 100);
}

/**
 * What names a download until the server's answer gives its file name: `host/path`, without the
 * query (it may hold a signature) or credentials.
 */
export function urlLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

export function retryText(e: Extract<DownloadEvent, { type: "retry" }>): string {
  const range = e.range === null ? "" : ` bytes ${e.range[0]}-${e.range[1]}`;
  return `retry ${e.attempt}${range} in ${(e.delayMs / 1000).toFixed(1)} s: ${shownText(e.reason)}`;
}

export function reconnectText(e: Extract<DownloadEvent, { type: "reconnect" }>): string {
  return (
    `reconnecting a connection at ${speed(e.bytesPerSecond)}; ` +
    `the others run at ${speed(e.othersBytesPerSecond)}`
  );
}

/** `saved demo.bin (256 MiB) in 3.2 s, 80.0 MiB/s; verified sha256 (user)`. */
export function savedText(result: DownloadResult): string {
  const seconds = Math.max(result.elapsedMs, 1) / 1000;
  const fetched = result.size - result.resumedBytes;
  const resumed =
    result.resumedBytes > 0 ? ` after resuming at ${formatBytes(result.resumedBytes)}` : "";
  const verified =
    result.verified.length === 0
      ? "not verified (no checksum given or announced)"
      : `verified ${result.verified.map((v) => `${v.algorithm} (${v.source})`).join(", ")}`;
  return (
    `saved ${basename(result.path)} (${formatBytes(result.size)}) in ${seconds.toFixed(1)} s, ` +
    `${speed(fetched / seconds)}${resumed}; ${verified}`
  );
}

/** `skipped demo.bin: already saved and verified`. */
export function skippedText(result: DownloadResult): string {
  return `skipped ${basename(result.path)}: already saved and verified`;
}

/**
 * `12 files: 9 saved (7 verified), 2 skipped, 1 failed, 2.10 GiB in 14.2 s`, then `  NAME: reason`
 * for each failure, so that the reasons are not lost among the lines above.
 */
export function summaryLines(
  s: SetSummary,
  seen: { savedVerified: number; failures: readonly Failure[] },
): string[] {
  // The count of verified saves comes from the "done" events: the summary's `verified` may
  // include skipped files.
  const counts = [s.saved === 0 ? "0 saved" : `${s.saved} saved (${seen.savedVerified} verified)`];
  if (s.skipped > 0) counts.push(`${s.skipped} skipped`);
  if (s.failed > 0) counts.push(`${s.failed} failed`);
  if (s.cancelled > 0) counts.push(`${s.cancelled} cancelled`);
  const fetched = `${formatBytes(s.fetchedBytes)} in ${(s.elapsedMs / 1000).toFixed(1)} s`;
  return [
    `${s.files} files: ${[...counts, fetched].join(", ")}`,
    ...seen.failures.map((f) => `  ${f.name}: ${f.message}`),
  ];
}

/** What every mode prints on stderr when a file fails. */
export function failureLine(err: unknown): string {
  return `parget: ${errorMessage(err)}`;
}

/** An error as one line with any credentials removed: what follows "parget: ". */
export function errorMessage(err: unknown): string {
  return shownText(err instanceof Error ? err.message : String(err));
}

/**
 * A message from the engine (an error, a retry's reason) as one line with every URL in it
 * redacted. The engine redacts its own messages; this also covers errors that quote a URL
 * verbatim, with userinfo or a presigned URL's signature.
 */
export function shownText(message: string): string {
  return oneLine(redactText(message));
}

export function errorCode(err: unknown): string | null {
  return err instanceof PargetError ? err.code : null;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}
