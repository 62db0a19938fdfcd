/**
 * Parsers for the response headers the engine reads. Each returns null or undefined for a value
 * it cannot trust rather than throwing: the caller decides what a missing header means.
 */

/** A 206's `Content-Range` (end inclusive; size null when unknown), or the size a 416 reports. */
export type ContentRange =
  { start: number; end: number; size: number | null } | { unsatisfied: true; size: number };

function safeInteger(digits: string | undefined): number | undefined {
  const n = Number(digits);
  return digits !== undefined && /^\d+$/.test(digits) && Number.isSafeInteger(n) ? n : undefined;
}

const CONTENT_RANGE = /^bytes[ \t]+(\d+)-(\d+)\/(\d+|\*)$/i;
const UNSATISFIED_RANGE = /^bytes[ \t]+\*\/(\d+)$/i;

/** Parses `Content-Range` (RFC 9110 §14.4); null when absent, malformed or inconsistent. */
export function parseContentRange(value: string | undefined): ContentRange | null {
  if (value === undefined) return null;
  const text = value.trim();
  const unsatisfied = UNSATISFIED_RANGE.exec(text);
  if (unsatisfied) {
    const size = safeInteger(unsatisfied[1]);
    return size === undefined ? null : { unsatisfied: true, size };
  }
  const match = CONTENT_RANGE.exec(text);
  if (!match) return null;
  const start = safeInteger(match[1]);
  const end = safeInteger(match[2]);
  const size = match[3] === "*" ? null : safeInteger(match[3]);
  if (start === undefined || end === undefined || size === undefined || end < start) return null;
  if (size !== null && end >= size) return null;
  return { start, end, size };
}

/** The `Range` request header for bytes [start, endExclusive), or from start to the end. */
export function formatRange(start: number, endExclusive?: number): string {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`bad range start ${start}`);
  if (endExclusive === undefined) return `bytes=${start}-`;
  if (!Number.isSafeInteger(endExclusive) || endExclusive <= start) {
    throw new RangeError(`bad range end ${endExclusive} for start ${start}`);
  }
  return `bytes=${start}-${endExclusive - 1}`;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY = "(?:mon|tue|wed|thu|fri|sat|sun)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
const MONTH = "([a-z]{3})";
// The three HTTP-date forms of RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850, and asctime.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, "i");
const RFC850_DATE = new RegExp(`^${DAY}[a-z]*, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, "i");
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, "i");

/** Milliseconds since the epoch for an HTTP-date, read by hand: Date.parse is too forgiving. */
function parseHttpDate(text: string, nowMs: number): number | undefined {
  let parts: (string | undefined)[];
  let match: RegExpExecArray | null;
  if ((match = IMF_FIXDATE.exec(text))) {
    parts = [match[3], match[2], match[1], match[4], match[5], match[6]];
  } else if ((match = RFC850_DATE.exec(text))) {
    parts = [match[3], match[2], match[1], match[4], match[5], match[6]];
  } else if ((match = ASCTIME_DATE.exec(text))) {
    parts = [match[6], match[1], match[2], match[3], match[4], match[5]];
  } else {
    return undefined;
  }
  const month = MONTHS.indexOf((parts[1] ?? "").toLowerCase());
  const [fullYear = NaN, , day = NaN, hour = NaN, minute = NaN, second = NaN] = parts.map((part) =>
    Number((part ?? "").trim()),
  );
  let year = fullYear;
  if ((parts[0] ?? "").length === 2) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead belongs to the last century.
    const nowYear = new Date(nowMs).getUTCFullYear();
    year += nowYear - (nowYear % 100);
    if (year > nowYear + 50) year -= 100;
  }
  if (month < 0 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, month, day, hour, minute, second);
  // Date.UTC rolls 31 Feb over into March; such a date is malformed.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/** `Retry-After` as milliseconds from `nowMs` (never negative): delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  const date = parseHttpDate(text, nowMs);
  return date === undefined ? undefined : Math.max(0, date - nowMs);
}

/** `Content-Length` as a safe integer; a repeated header counts only if every copy agrees. */
export function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const copies = value.split(",").map((copy) => copy.trim());
  if (copies.some((copy) => copy !== copies[0])) return undefined;
  return safeInteger(copies[0]);
}

/** A strong or weak entity tag; weak ones cannot validate a range (RFC 9110 §13.1.5). */
export function isWeakEtag(etag: string): boolean {
  return etag.trimStart().startsWith("W/");
}

function after(index: number): number {
  return index < 0 ? -1 : index + 1;
}

/** Splits `type; a=1; b="x;y"` into its parameters (lower-case names, first occurrence wins). */
function dispositionParameters(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const firstSemicolon = header.indexOf(";");
  // Some servers omit the type and send just `filename=x`.
  const typeless = header.slice(0, firstSemicolon < 0 ? undefined : firstSemicolon).includes("=");
  let i = typeless ? 0 : after(firstSemicolon);
  while (i >= 0 && i < header.length) {
    const eq = header.indexOf("=", i);
    const semicolon = header.indexOf(";", i);
    if (eq < 0) break;
    if (semicolon >= 0 && semicolon < eq) {
      i = semicolon + 1; // a parameter without a value
      continue;
    }
    const name = header.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (header[j] === " " || header[j] === "\t") j++;
    let value = "";
    if (header[j] === '"') {
      for (j++; j < header.length && header[j] !== '"'; j++) {
        if (header[j] === "\\" && j + 1 < header.length) j++;
        value += header[j];
      }
      if (j >= header.length) break; // unterminated quoted-string: nothing after it is reliable
      i = after(header.indexOf(";", j));
    } else {
      const end = header.indexOf(";", j);
      // Unquoted names with spaces are common enough to accept whole.
      value = header.slice(j, end < 0 ? undefined : end).trim();
      i = after(end);
    }
    if (name && !params.has(name)) params.set(name, value);
  }
  return params;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes an RFC 8187 ext-value such as `UTF-8''%e2%82%ac%20rates.txt`. */
function decodeExtValue(value: string): string | undefined {
  const match = /^([^']*)'[^']*'(.*)$/s.exec(value);
  if (!match) return undefined;
  const charset = (match[1] ?? "").toLowerCase();
  if (charset !== "utf-8" && charset !== "iso-8859-1") return undefined;
  const text = match[2] ?? "";
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? "";
    if (char === "%") {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/i.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (char.charCodeAt(0) < 0x80) {
      bytes.push(char.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  if (charset === "iso-8859-1") return String.fromCharCode(...bytes);
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

/** Header values arrive as Latin-1; servers that put raw UTF-8 in `filename` are read as browsers do. */
function reinterpretUtf8(text: string): string {
  if (!/[\x80-\xff]/.test(text) || /[\u0100-\uffff]/.test(text)) return text;
  try {
    return utf8.decode(Uint8Array.from(text, (c) => c.charCodeAt(0)));
  } catch {
    return text;
  }
}

/**
 * The file name a `Content-Disposition` suggests (RFC 6266): `filename*` when it decodes, else
 * `filename`. The name is returned as sent; making it safe is filename.ts's job.
 */
export function parseContentDisposition(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const params = dispositionParameters(value);
  const extended = params.get("filename*");
  const decoded = extended === undefined ? undefined : decodeExtValue(extended);
  if (decoded) return decoded;
  const plain = params.get("filename");
  return plain ? reinterpretUtf8(plain) : undefined;
}
