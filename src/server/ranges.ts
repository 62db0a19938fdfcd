/**
 * How the server reads `Range` and `If-Range` (RFC 9110 §14). Kept apart from core/'s parsers on
 * purpose: a bug shared by client and server would hide itself in every test.
 */

/** Inclusive byte positions, as in `Content-Range`. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeRequest =
  /** No `Range`, or one the server must ignore (bad syntax, another unit): a 200. */
  | { kind: "none" }
  /** One or more ranges, clamped to the file. */
  | { kind: "satisfiable"; ranges: ByteRange[] }
  /** Well formed, but no range overlaps the file: a 416. */
  | { kind: "unsatisfiable" };

const NONE: RangeRequest = { kind: "none" };

export function parseRange(header: string | undefined, size: number): RangeRequest {
  const set = header === undefined ? null : /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!set) return NONE;
  const ranges: ByteRange[] = [];
  let specs = 0;
  for (const part of set[1]!.split(",")) {
    const spec = part.trim();
    // The list grammar allows empty elements.
    if (spec === "") continue;
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (!m || (m[1] === "" && m[2] === "")) return NONE;
    specs++;
    if (m[1] === "") {
      const suffix = Number(m[2]);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(m[1]);
    const end = m[2] === "" ? size - 1 : Number(m[2]);
    if (m[2] !== "" && end < start) return NONE;
    if (start < size) ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (specs === 0) return NONE;
  return ranges.length > 0 ? { kind: "satisfiable", ranges } : { kind: "unsatisfiable" };
}

/**
 * Whether the representation still matches the client's `If-Range`. Only a strong validator
 * matches: a weak ETag never does, and a date must equal Last-Modified exactly.
 */
export function ifRangeHolds(
  ifRange: string | undefined,
  etag: string | undefined,
  lastModified: Date | undefined,
  acceptDates = true,
): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) {
    return etag !== undefined && !etag.startsWith("W/") && value === etag;
  }
  const date = Date.parse(value);
  return acceptDates && lastModified !== undefined && date === lastModified.getTime();
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}
