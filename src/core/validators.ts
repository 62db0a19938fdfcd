/**
 * What identifies one version of the remote file, and how to read a ranged response against it.
 * A byte is written only if the response it came from is provably the same version and the
 * exact range that was asked for: that is what keeps two versions from being spliced.
 */
import { isWeakEtag, parseContentLength, parseContentRange } from "./headers.js";

export interface Validators {
  etag: string | null;
  lastModified: string | null;
  /** Total length of the file; null when the server did not say. */
  size: number | null;
}

export function validatorsOf(headers: Record<string, string>, size: number | null): Validators {
  return { etag: headers["etag"] ?? null, lastModified: headers["last-modified"] ?? null, size };
}

/**
 * The If-Range value for range requests (RFC 9110 §13.1.5): a strong ETag, or Last-Modified when
 * the client holds no entity tag at all. A weak ETag cannot be sent, and a date must not stand in
 * for it (two versions within the same second share a date): such a client sends no If-Range and
 * checks each 206's validators instead.
 */
export function ifRangeValue(v: Validators): string | undefined {
  if (v.etag) return isWeakEtag(v.etag) ? undefined : v.etag;
  return v.lastModified ?? undefined;
}

/**
 * "etag-changed": the ETag differs while the length and Last-Modified agree. It is a change all
 * the same (a file replaced within the second, or copied with its date kept), unless the bytes
 * are proven the same; it is told apart only so that a server whose edges tag the same bytes
 * differently can be recognised and handled without splicing.
 */
export type Comparison = "same" | "etag-changed" | "changed";

/** Compares a response's validators with the download's. */
export function compareValidators(expected: Validators, actual: Validators): Comparison {
  if (expected.size !== null && actual.size !== null && expected.size !== actual.size) {
    return "changed";
  }
  const lastModifiedKnown = expected.lastModified !== null && actual.lastModified !== null;
  if (lastModifiedKnown && expected.lastModified !== actual.lastModified) return "changed";
  if (expected.etag !== null && actual.etag !== null && expected.etag !== actual.etag) {
    return lastModifiedKnown ? "etag-changed" : "changed";
  }
  return "same";
}

/** A whole-object digest, as the server announced it (see digest-headers.ts). */
export interface AnnouncedDigest {
  algorithm: string;
  hex: string;
}

/**
 * Whether two responses provably carry the same bytes: both announce a whole-object digest of the
 * same algorithm, and every such pair agrees.
 */
export function sameDigests(
  expected: readonly AnnouncedDigest[],
  actual: readonly AnnouncedDigest[],
): boolean {
  let agreed = false;
  for (const a of expected) {
    for (const b of actual) {
      if (a.algorithm !== b.algorithm) continue;
      if (a.hex !== b.hex) return false;
      agreed = true;
    }
  }
  return agreed;
}

export type RangeAnswer =
  /** A 206 carrying exactly the bytes asked for. */
  | { kind: "partial"; size: number }
  /** A 200: the whole file from byte 0. */
  | { kind: "full"; size: number | null }
  /** A 416: the file is shorter than where we asked to start. */
  | { kind: "unsatisfiable"; size: number | null }
  /** A 206 we must not write: wrong, shifted or multipart range. */
  | { kind: "bad"; reason: string; multipart?: true };

/** Reads a response to `Range: bytes=start-(end-1)` (end undefined: open-ended). */
export function interpretRangeResponse(
  status: number,
  headers: Record<string, string>,
  asked: { start: number; end?: number | undefined },
): RangeAnswer {
  if (status === 200)
    return { kind: "full", size: parseContentLength(headers["content-length"]) ?? null };
  if (status === 416) {
    const range = parseContentRange(headers["content-range"]);
    return { kind: "unsatisfiable", size: range && "unsatisfied" in range ? range.size : null };
  }
  if (status !== 206) return { kind: "bad", reason: `unexpected status ${status}` };
  const contentRange = headers["content-range"];
  const range = parseContentRange(contentRange);
  if ((headers["content-type"] ?? "").toLowerCase().startsWith("multipart/")) {
    return { kind: "bad", reason: "multipart answer to a single range", multipart: true };
  }
  if (!range || "unsatisfied" in range || range.size === null) {
    return {
      kind: "bad",
      reason: `unusable Content-Range ${JSON.stringify(contentRange ?? null)}`,
    };
  }
  const wantedEnd = Math.min(asked.end ?? range.size, range.size);
  if (range.start !== asked.start || range.end + 1 !== wantedEnd) {
    return {
      kind: "bad",
      reason: `asked for bytes ${asked.start}-${wantedEnd - 1}, got Content-Range ${contentRange}`,
    };
  }
  const length = parseContentLength(headers["content-length"]);
  if (length !== undefined && length !== range.end - range.start + 1) {
    return { kind: "bad", reason: `Content-Length ${length} does not match ${contentRange}` };
  }
  return { kind: "partial", size: range.size };
}
