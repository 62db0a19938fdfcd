/**
 * A strict parser for the head of an HTTP/1.x response, for the fast transport's hot path. It
 * accepts a small subset: a status line `HTTP/1.x NNN reason` with a final status whose body
 * Content-Length or the chunked coding frames, CRLF line ends, `name: value` headers with token
 * names and printable values, exactly one Content-Length or else one `Transfer-Encoding: chunked`
 * (never both), a 206's Content-Range (if any) equal to its length, and a head of at most
 * MAX_HEAD_BYTES. Anything else is "odd": the caller hands the request to undici, which
 * stays the reference (tested differentially against it in test/core/response-head.test.ts).
 * Pure: bytes in, a verdict out.
 */
import { parseContentRange } from "./headers.js";

/** Larger heads go to undici (whose own limit is 16 KiB too). */
export const MAX_HEAD_BYTES = 16 * 1024;
export const MAX_HEADERS = 100;

export interface ResponseHead {
  status: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  /**
   * Names in lower case; values without leading whitespace; repeated headers joined with ", ":
   * as the undici transport gives them.
   */
  headers: Record<string, string>;
  /** Bytes of the body, from Content-Length; null when the body is chunked (core/chunked.ts). */
  contentLength: number | null;
  /** Whether the connection may carry another request after this body. */
  keepAlive: boolean;
  /** Bytes of the head, final CRLF included: the body starts there. */
  headLength: number;
}

export type HeadVerdict =
  { kind: "incomplete" } | { kind: "head"; head: ResponseHead } | { kind: "odd"; reason: string };

const PREFIX = "HTTP/1.";
const CR = 13;
const LF = 10;

/** tchar of RFC 9110 §5.6.2, as a table over bytes. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** field-vchar, SP and HTAB (RFC 9110 §5.5); obs-text is refused: undici's handling varies. */
function isValueByte(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c <= 0x7e);
}

/** Where the head ends (just past CRLFCRLF) in bytes[0, length), or -1. */
export function headEnd(bytes: Uint8Array, length = bytes.length, from = 0): number {
  for (let i = Math.max(3, from); i < length; i++) {
    if (bytes[i] === LF && bytes[i - 1] === CR && bytes[i - 2] === LF && bytes[i - 3] === CR) {
      return i + 1;
    }
  }
  return -1;
}

/**
 * Statuses whose body Content-Length frames. 1xx (interim answers before the real one), 204 and
 * 304 (no body whatever the headers say) go to undici.
 */
function framedByLength(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

/**
 * Parses the head at the start of bytes[0, length). "incomplete" until CRLFCRLF is seen (or
 * "odd" once the head outgrows MAX_HEAD_BYTES).
 */
export function parseResponseHead(bytes: Uint8Array, length = bytes.length): HeadVerdict {
  // Not HTTP/1.x from the first bytes: no need to wait for the rest.
  for (let i = 0; i < Math.min(length, PREFIX.length); i++) {
    if (bytes[i] !== PREFIX.charCodeAt(i)) return { kind: "odd", reason: "not HTTP/1.x" };
  }
  const end = headEnd(bytes, Math.min(length, MAX_HEAD_BYTES));
  if (end < 0) {
    return length >= MAX_HEAD_BYTES
      ? { kind: "odd", reason: "head too large" }
      : bareLf(bytes, length)
        ? { kind: "odd", reason: "bare LF" }
        : { kind: "incomplete" };
  }
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < end - 2; i++) {
    const c = bytes[i]!;
    if (c === CR) {
      if (bytes[i + 1] !== LF) return { kind: "odd", reason: "bare CR" };
      lines.push(latin1(bytes, start, i));
      start = i + 2;
      i++;
    } else if (c === LF) return { kind: "odd", reason: "bare LF" };
  }
  const statusLine = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e]*))?$/.exec(lines[0] ?? "");
  if (!statusLine) return { kind: "odd", reason: "status line" };
  const minor = statusLine[1] === "1" ? 1 : 0;
  const status = Number(statusLine[2]);
  if (!framedByLength(status)) return { kind: "odd", reason: `status ${status}` };
  if (lines.length - 1 > MAX_HEADERS) return { kind: "odd", reason: "too many headers" };
  // A Map: a header named "constructor" or "__proto__" must not meet Object's own properties.
  const fields = new Map<string, string>();
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return { kind: "odd", reason: "header line" };
    for (let i = 0; i < colon; i++) {
      if (!TOKEN[line.charCodeAt(i)]) return { kind: "odd", reason: "header name" };
    }
    for (let i = colon + 1; i < line.length; i++) {
      if (!isValueByte(line.charCodeAt(i))) return { kind: "odd", reason: "header value" };
    }
    const name = line.slice(0, colon).toLowerCase();
    // Leading whitespace goes, trailing stays: undici (llhttp) keeps it, and it is the reference.
    const value = line.slice(colon + 1).replace(/^[\t ]+/, "");
    if (name === "content-length") {
      if (contentLength !== undefined) return { kind: "odd", reason: "two Content-Lengths" };
      contentLength = value;
    }
    if (name === "transfer-encoding") {
      if (transferEncoding !== undefined) return { kind: "odd", reason: "two Transfer-Encodings" };
      transferEncoding = value;
    }
    if (name === "upgrade") return { kind: "odd", reason: "Upgrade" };
    const previous = fields.get(name);
    fields.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  const headers: Record<string, string> = Object.fromEntries(fields);
  const connection = (headers["connection"] ?? "").toLowerCase().split(/[\t ]*,[\t ]*/);
  const keepAlive = minor === 1 ? !connection.includes("close") : connection.includes("keep-alive");
  if (transferEncoding !== undefined) {
    // Chunked beside a length is how requests are smuggled; any other coding is undici's.
    if (
      contentLength !== undefined ||
      minor === 0 ||
      transferEncoding.toLowerCase() !== "chunked"
    ) {
      return { kind: "odd", reason: "Transfer-Encoding" };
    }
    return {
      kind: "head",
      head: { status, minor, headers, contentLength: null, keepAlive, headLength: end },
    };
  }
  if (contentLength === undefined || !/^\d{1,15}$/.test(contentLength)) {
    return { kind: "odd", reason: "no valid Content-Length" };
  }
  const length_ = Number(contentLength);
  // A 206 without Content-Range (multipart/byteranges) is framed all the same; the engine
  // refuses it. One whose Content-Range disagrees with its length is a framing doubt.
  if (status === 206 && headers["content-range"] !== undefined) {
    const range = parseContentRange(headers["content-range"]);
    if (!range || "unsatisfied" in range || range.end - range.start + 1 !== length_) {
      return { kind: "odd", reason: "Content-Range disagrees with Content-Length" };
    }
  }
  return {
    kind: "head",
    head: { status, minor, headers, contentLength: length_, keepAlive, headLength: end },
  };
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  let text = "";
  for (let i = from; i < to; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** Whether a LF not preceded by CR is among the bytes so far (such a head would never end). */
function bareLf(bytes: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) {
    if (bytes[i] === LF && (i === 0 || bytes[i - 1] !== CR)) return true;
  }
  return false;
}
