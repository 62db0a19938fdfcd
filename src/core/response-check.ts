/**
 * The one check that guards "never splice": may this response's body be written? Both the first
 * request (the probe) and every range request of the lanes ask it, with what they asked for and
 * the version they are downloading.
 */
import {
  compareValidators,
  interpretRangeResponse,
  sameDigests,
  validatorsOf,
  type AnnouncedDigest,
  type Validators,
} from "./validators.js";

/** The version a download holds: its validators, and the whole-object digests announced with it. */
export interface Version {
  validators: Validators;
  digests: readonly AnnouncedDigest[];
}

export interface ResponseCheck {
  status: number;
  headers: Record<string, string>;
  /** Digests this response announces for the whole object. */
  digests: readonly AnnouncedDigest[];
  /** The range asked for: `bytes=start-(end-1)`, open-ended without `end`. */
  asked: { start: number; end?: number | undefined };
  /** The version held; none for a first request that starts a download. */
  version?: Version | undefined;
  /** Whether a 200 (the whole file) may be written; a lane that asked for a range past 0 may not. */
  wholeFile: boolean;
}

export type ResponseVerdict =
  /** Write it: a 206 with exactly the bytes asked for, or a 200 read from byte 0. */
  | {
      kind: "write";
      status: 200 | 206;
      /** The file's length (null: a 200 that does not say). */
      size: number | null;
      /**
       * The ETag differs from the version's, yet a digest proves the same bytes: an If-Range with
       * the version's ETag will fail wherever the server tags them this way, so send none.
       */
      otherTag: boolean;
    }
  /** A broken answer (wrong, shifted or multipart range): never written, worth asking again. */
  | { kind: "bad"; reason: string; multipart?: true }
  /** Another version, or a file now shorter than asked: start over. */
  | { kind: "changed"; reason: string; etags?: { held: string; seen: string } }
  /**
   * A 200 where a range was needed, of the held version: if it answered an If-Range, the server
   * judged that validator too weak, and the next request should go without it.
   */
  | { kind: "whole-file" }
  /** A 416 to a first request: the file is shorter than asked (empty, for `bytes=0-`). */
  | { kind: "unsatisfiable"; size: number | null };

export function checkResponse(r: ResponseCheck): ResponseVerdict {
  const answer = interpretRangeResponse(r.status, r.headers, r.asked);
  if (answer.kind === "bad") return answer;
  if (answer.kind === "unsatisfiable") {
    if (!r.version) return answer;
    return { kind: "changed", reason: `the file is now shorter than byte ${r.asked.start}` };
  }
  let otherTag = false;
  if (r.version) {
    const held = r.version.validators;
    const seen = validatorsOf(r.headers, answer.size);
    const comparison = compareValidators(held, seen);
    if (comparison === "changed") {
      return { kind: "changed", reason: "the file changed on the server" };
    }
    if (comparison === "etag-changed") {
      otherTag = sameDigests(r.version.digests, r.digests);
      if (!otherTag) {
        return {
          kind: "changed",
          reason: `the file's ETag changed from ${held.etag} to ${seen.etag}`,
          etags: { held: held.etag!, seen: seen.etag! },
        };
      }
    }
  }
  if (answer.kind === "full" && !r.wholeFile) return { kind: "whole-file" };
  return {
    kind: "write",
    status: answer.kind === "full" ? 200 : 206,
    size: answer.size,
    otherTag,
  };
}
