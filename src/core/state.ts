/**
 * The resume state kept beside a partial download: which version of which URL it is, which
 * extents are durably on disk (with their CRC32Cs), and which digests the whole file must match.
 * A state that fails to decode is ignored, and the download starts over.
 */
import type { VerifiedDigest } from "../events.js";
import type { DigestAlgorithm, ExpectedDigest } from "../options.js";
import { HEX_LENGTH } from "./checksum-spec.js";
import type { Extent } from "./planner.js";
import type { Validators } from "./validators.js";
import { isGeneration } from "./journal.js";

export interface ResumeState {
  /**
   * Which object the data belongs to: the URL without userinfo, credentials or a presigned
   * URL's signing fields (secrets.ts, resumeIdentity), so a fresh URL for it resumes.
   */
  url: string;
  size: number;
  etag: string | null;
  lastModified: string | null;
  extents: Extent[];
  /** Whether the extents' CRCs were computed; they are only when a CRC32C was expected. */
  crcs: boolean;
  /**
   * Every digest the server announced to earlier runs. Servers may announce a digest only on a
   * whole-file response (S3 sends none on a partial range), so a resumed download would otherwise
   * verify less than a fresh one. The user's digests are not kept: each run passes its own.
   */
  expected: ExpectedDigest[];
  /** Set once every byte is on disk and verified; the rename to the final path is all that is left. */
  verified?: VerifiedDigest[];
  /**
   * Names the run that began this partial file; its journal carries the same one, so a journal
   * left by another version of the file is never read into this state. Absent in older states.
   */
  generation?: string;
}

const VERSION = 1;

export function encodeState(state: ResumeState): string {
  return JSON.stringify({
    version: VERSION,
    url: state.url,
    size: state.size,
    etag: state.etag,
    lastModified: state.lastModified,
    extents: state.extents.map((e) => [e.start, e.end, e.crc]),
    crcs: state.crcs,
    expected: state.expected,
    ...(state.verified ? { verified: state.verified } : {}),
    ...(state.generation ? { generation: state.generation } : {}),
  });
}

const isOffset = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isStringOrNull = (s: unknown): s is string | null => s === null || typeof s === "string";

export function isExpectedDigest(value: unknown): value is ExpectedDigest {
  if (typeof value !== "object" || value === null) return false;
  const { algorithm, hex, source } = value as Record<string, unknown>;
  return (
    typeof algorithm === "string" &&
    Object.hasOwn(HEX_LENGTH, algorithm) &&
    typeof hex === "string" &&
    hex.length === HEX_LENGTH[algorithm as DigestAlgorithm] &&
    /^[0-9a-f]*$/.test(hex) &&
    typeof source === "string"
  );
}

export function decodeState(text: string): ResumeState | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r["version"] !== VERSION || typeof r["url"] !== "string" || !isOffset(r["size"]))
    return undefined;
  if (!isStringOrNull(r["etag"]) || !isStringOrNull(r["lastModified"])) return undefined;
  if (!Array.isArray(r["extents"])) return undefined;
  // States from before the field existed always carried CRCs.
  const crcs = r["crcs"] ?? true;
  if (typeof crcs !== "boolean") return undefined;
  // States from before the field existed knew nothing beyond what the rerun is told again.
  const expected = r["expected"] ?? [];
  if (!Array.isArray(expected) || !expected.every(isExpectedDigest)) return undefined;
  const size = r["size"];
  const extents: Extent[] = [];
  let previousEnd = 0;
  for (const item of r["extents"] as unknown[]) {
    if (!Array.isArray(item) || item.length !== 3) return undefined;
    const [start, end, crc] = item as unknown[];
    if (!isOffset(start) || !isOffset(end) || !isOffset(crc) || crc > 0xffffffff) return undefined;
    if (start < previousEnd || end <= start || end > size) return undefined;
    extents.push({ start, end, crc });
    previousEnd = end;
  }
  const state: ResumeState = {
    url: r["url"],
    size,
    etag: r["etag"],
    lastModified: r["lastModified"],
    extents,
    crcs,
    expected: expected.map(({ algorithm, hex, source }) => ({ algorithm, hex, source })),
  };
  if (Array.isArray(r["verified"])) state.verified = r["verified"] as VerifiedDigest[];
  const generation = r["generation"];
  if (generation !== undefined && !isGeneration(generation)) return undefined;
  if (generation !== undefined) state.generation = generation;
  return state;
}

/** The first byte not covered by the state's extents, counting from 0. */
export function firstMissing(extents: readonly Extent[]): number {
  let at = 0;
  for (const e of extents) {
    if (e.start > at) break;
    at = e.end;
  }
  return at;
}

export function totalBytes(extents: readonly Extent[]): number {
  return extents.reduce((sum, e) => sum + (e.end - e.start), 0);
}

export function validatorsOfState(state: ResumeState): Validators & { size: number } {
  return { etag: state.etag, lastModified: state.lastModified, size: state.size };
}
