/** Byte sizes and durations as people type and read them. */

import { UsageError } from "../errors.js";

const POWERS: Record<string, number> = { "": 0, k: 1, m: 2, g: 3, t: 4 };

// The suffix letter may be followed by "i", "iB" or "B"; a bare "B" means bytes.
const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmgt])(?:i?b|i)?|b)?$/i;

/** Parses a CLI size such as `1M`, `512k`, `1.5G`, `4MiB` or `1048576`; K, M, G and T are binary. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text.trim());
  const invalid = `invalid size "${text}": use a number with an optional K, M, G or T suffix`;
  if (!match) throw new UsageError(invalid);
  const power = POWERS[(match[2] ?? "").toLowerCase()] ?? 0;
  const bytes = Number(match[1]) * 1024 ** power;
  if (bytes === 0) throw new UsageError(`invalid size "${text}": must be greater than zero`);
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(
      bytes > Number.MAX_SAFE_INTEGER
        ? `invalid size "${text}": too large`
        : `invalid size "${text}": must be a whole number of bytes`,
    );
  }
  return bytes;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** Formats a byte count for people: `1023 B`, `1.50 KiB`, `12.3 MiB`, `1.00 GiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`not a byte count: ${n}`);
  if (n < 1024) return `${Math.round(n)} B`;
  let value = n;
  for (let unit = 1; unit < BYTE_UNITS.length; unit++) {
    value /= 1024;
    let text = value.toPrecision(3);
    if (text.includes("e")) text = value.toFixed(0);
    // Rounding can reach 1024 (1023.7 KiB): that reads better as the next unit.
    if (Number(text) < 1024 || unit === BYTE_UNITS.length - 1) return `${text} ${BYTE_UNITS[unit]}`;
  }
  throw new Error("unreachable");
}

/** Formats seconds as `m:ss` or `h:mm:ss` (an ETA); `--:--` when unknown (not finite or negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const total = Math.round(seconds);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
