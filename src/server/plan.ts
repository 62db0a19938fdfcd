/**
 * What to answer, decided without touching a socket: the status, the headers, and the body as a
 * list of pieces of the file and literal text. The handler then sends it, paced and perhaps cut.
 */
import type { FaultContext, FaultRule } from "./faults.js";
import type { FileVersion } from "./files.js";
import { contentRange, ifRangeHolds, parseRange, type ByteRange } from "./ranges.js";

export type Answer =
  | { kind: "full" }
  | { kind: "range"; range: ByteRange }
  | { kind: "multipart"; ranges: ByteRange[] }
  | { kind: "unsatisfiable" }
  | { kind: "status"; status: number; retryAfter?: string };

export type BodyPart = { range: ByteRange } | { text: Buffer };

export interface Plan {
  status: number;
  headers: Record<string, string>;
  body: BodyPart[];
}

export interface RequestView {
  method: string;
  range: string | undefined;
  ifRange: string | undefined;
}

/** The answer a well-behaved server gives, and what faults need to know about it. */
export function interpret(
  file: FileVersion,
  req: RequestView,
): { answer: Answer; requested: ByteRange[]; context: FaultContext } {
  const mode = file.spec.ranges ?? "yes";
  // Range is defined for GET only (RFC 9110 §14.2), so HEAD describes the whole file.
  const considered =
    mode === "yes" &&
    req.method === "GET" &&
    ifRangeHolds(req.ifRange, file.etag, file.lastModified, file.spec.ifRangeDates ?? true);
  const parsed = considered ? parseRange(req.range, file.size) : { kind: "none" as const };
  const requested = parsed.kind === "satisfiable" ? parsed.ranges : [];
  let answer: Answer = { kind: "full" };
  if (parsed.kind === "unsatisfiable") answer = { kind: "unsatisfiable" };
  // Several ranges are legal to answer with the whole file, which is what most servers do.
  else if (requested.length === 1) answer = { kind: "range", range: requested[0]! };
  const context: FaultContext = {
    hasRangeHeader: req.range !== undefined,
    honoured: requested.length === 0 ? "none" : requested.length === 1 ? "single" : "multiple",
    bodyLength: req.method === "HEAD" ? 0 : bodyLength(answer, file.size),
  };
  return { answer, requested, context };
}

function bodyLength(answer: Answer, size: number): number {
  if (answer.kind === "full") return size;
  if (answer.kind === "range") return answer.range.end - answer.range.start + 1;
  return 0;
}

/** How a fault changes the answer; faults that act on the body alone leave it as it is. */
export function disturb(
  answer: Answer,
  requested: ByteRange[],
  fault: FaultRule,
  size: number,
): Answer {
  switch (fault.kind) {
    case "status":
      return fault.retryAfter === undefined
        ? { kind: "status", status: fault.status }
        : { kind: "status", status: fault.status, retryAfter: fault.retryAfter };
    case "ignore-range":
      return { kind: "full" };
    case "multipart":
      return { kind: "multipart", ranges: requested };
    case "wrong-range": {
      if (answer.kind !== "range") return answer;
      const start = Math.min(Math.max(0, answer.range.start + fault.shift), size - 1);
      const end = Math.min(Math.max(start, answer.range.end + fault.shift), size - 1);
      return { kind: "range", range: { start, end } };
    }
    case "other-range": {
      if (answer.kind !== "range") return answer;
      const { start, end } = answer.range;
      return { kind: "range", range: { start, end: start + Math.ceil((end - start + 1) / 2) - 1 } };
    }
    default:
      return answer;
  }
}

const BOUNDARY = "parget-byteranges-6b1f0c";

/** `checksumMode`: the request asked for S3's checksums (`x-amz-checksum-mode: ENABLED`). */
export function buildPlan(
  file: FileVersion,
  answer: Answer,
  method: string,
  checksumMode = false,
): Plan {
  if (answer.kind === "status") {
    const text = Buffer.from(`injected ${answer.status}\n`);
    const headers: Record<string, string> = {
      "content-type": "text/plain",
      "content-length": String(text.length),
    };
    if (answer.retryAfter !== undefined) headers["retry-after"] = answer.retryAfter;
    return { status: answer.status, headers, body: method === "HEAD" ? [] : [{ text }] };
  }

  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (file.etag !== undefined) headers["etag"] = file.etag;
  if (file.lastModified !== undefined) headers["last-modified"] = file.lastModified.toUTCString();
  if ((file.spec.ranges ?? "yes") !== "no") headers["accept-ranges"] = "bytes";
  for (const [name, value] of Object.entries(file.spec.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }

  const wholeFile =
    answer.kind === "full" ||
    (answer.kind === "range" && answer.range.start === 0 && answer.range.end === file.size - 1);
  // Like S3, which names every answer's request, whether or not it carries the checksums.
  if (file.spec.s3Checksums) headers["x-amz-request-id"] = "PARGETFAULTSERVER";
  if (checksumMode && wholeFile) {
    for (const [name, value] of Object.entries(file.spec.s3Checksums ?? {})) {
      headers[name.toLowerCase()] = value;
    }
  }

  let status = 200;
  let body: BodyPart[] = [{ range: { start: 0, end: file.size - 1 } }];
  if (answer.kind === "unsatisfiable") {
    status = 416;
    headers["content-range"] = `bytes */${file.size}`;
    body = [];
  } else if (answer.kind === "range") {
    status = 206;
    headers["content-range"] = contentRange(answer.range, file.size);
    body = [{ range: answer.range }];
  } else if (answer.kind === "multipart") {
    status = 206;
    body = multipartBody(answer.ranges, file.size, headers["content-type"] ?? "");
    headers["content-type"] = `multipart/byteranges; boundary=${BOUNDARY}`;
  } else if (file.size === 0) {
    body = [];
  }

  // The 416 has nothing to chunk; elsewhere `chunked` means "do not tell the length".
  if (!file.spec.chunked || status === 416) headers["content-length"] = String(lengthOf(body));
  return { status, headers, body: method === "HEAD" ? [] : body };
}

function multipartBody(ranges: ByteRange[], size: number, type: string): BodyPart[] {
  const body: BodyPart[] = [];
  for (const [i, range] of ranges.entries()) {
    const head = `${i === 0 ? "" : "\r\n"}--${BOUNDARY}\r\ncontent-type: ${type}\r\ncontent-range: ${contentRange(range, size)}\r\n\r\n`;
    body.push({ text: Buffer.from(head) }, { range });
  }
  body.push({ text: Buffer.from(`\r\n--${BOUNDARY}--\r\n`) });
  return body;
}

export function lengthOf(body: BodyPart[]): number {
  let total = 0;
  for (const part of body) {
    total += "text" in part ? part.text.length : part.range.end - part.range.start + 1;
  }
  return total;
}
