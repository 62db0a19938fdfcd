/** Text shared by the human-readable reporters and main.ts's error line. */
import { basename } from "node:path";
import {
  PargetError,
  formatBytes,
  redactText,
  redactUrl,
  type DownloadEvent,
  type DownloadResult,
} from "../../index.js";

type Progress = Extract<DownloadEvent, { type: "progress" }>;

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

/** `42%  108 MiB / 256 MiB  64.0 MiB/s  ETA 2s` (no percent or ETA when the size is unknown). */
export function progressText(e: Progress): string {
  const parts =
    e.size === null
      ? [formatBytes(e.bytes)]
      : [`${percent(e.bytes, e.size)}%`, `${formatBytes(e.bytes)} / ${formatBytes(e.size)}`];
  parts.push(speed(e.bytesPerSecond));
  if (e.etaSeconds !== null) parts.push(`ETA ${eta(e.etaSeconds)}`);
  return parts.join("  ");
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
