/**
 * The ledger: what a directory holds that parget saved and verified. One JSON line per file saved,
 * appended after its rename, in `.parget-ledger` beside the files. A rerun of the same command
 * finds each finished file here and skips it without a request and without reading it back, as
 * long as the file on disk is still the one recorded (same size, modification time and inode).
 * Pure: encoding, decoding, and the decision; src/io/ledger.ts reads and appends.
 */
import type { VerifiedDigest } from "../events.js";
import type { ExpectedDigest } from "../options.js";
import { isExpectedDigest } from "./state.js";

export const LEDGER_NAME = ".parget-ledger";

export interface LedgerRecord {
  /** The file's name in the ledger's directory. */
  name: string;
  /** The object it holds, as core/secrets' resumeIdentity gives it: no credentials. */
  url: string;
  size: number;
  /** The file's modification time and inode when it was published. */
  mtimeMs: number;
  ino: number;
  /** The digests it was checked against (empty when none was known). */
  verified: VerifiedDigest[];
}

/** What is on disk at the recorded path now. */
export interface FileFacts {
  size: number;
  mtimeMs: number;
  ino: number;
}

export function encodeRecord(record: LedgerRecord): string {
  const { name, url, size, mtimeMs, ino, verified } = record;
  return `${JSON.stringify({ name, url, size, mtimeMs, ino, verified })}\n`;
}

/** Every well-formed record, in order; a torn last line (a kill mid-append) is ignored. */
export function decodeLedger(text: string): LedgerRecord[] {
  const records: LedgerRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    if (isRecord(raw)) records.push(raw);
  }
  return records;
}

function isRecord(value: unknown): value is LedgerRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r["name"] === "string" &&
    r["name"] !== "" &&
    !r["name"].includes("/") &&
    typeof r["url"] === "string" &&
    Number.isSafeInteger(r["size"]) &&
    typeof r["mtimeMs"] === "number" &&
    Number.isSafeInteger(r["ino"]) &&
    Array.isArray(r["verified"]) &&
    r["verified"].every(isExpectedDigest)
  );
}

/**
 * The file saved from `url`, by the record written last for it: under `name` when the caller
 * names the file, else under whatever name the server gave it.
 */
export function findSaved(
  records: readonly LedgerRecord[],
  url: string,
  name: string | undefined,
): LedgerRecord | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (name !== undefined ? r.name !== name : r.url !== url) continue;
    if (r.url !== url) return undefined;
    // A later record under the same name, from another URL, replaced this one's file.
    const latest = records.findLast((other) => other.name === r.name);
    return latest === r ? r : undefined;
  }
  return undefined;
}

/** Whether the file on disk is still the one recorded: nothing has rewritten or replaced it. */
export function stillSaved(record: LedgerRecord, facts: FileFacts): boolean {
  return facts.size === record.size && facts.mtimeMs === record.mtimeMs && facts.ino === record.ino;
}

/**
 * How the recorded digests answer the digests this run expects: every one matched by a recorded
 * digest of the same algorithm ("proven"), one contradicted ("mismatch", with the pair), or some
 * algorithm never computed for this file ("unknown": it must be read back to tell).
 */
export function judgeRecorded(
  recorded: readonly VerifiedDigest[],
  expected: readonly ExpectedDigest[],
):
  | { kind: "proven" }
  | { kind: "mismatch"; expected: ExpectedDigest; recorded: VerifiedDigest }
  | { kind: "unknown" } {
  let unknown = false;
  for (const want of expected) {
    const have = recorded.find((r) => r.algorithm === want.algorithm);
    if (!have) unknown = true;
    else if (have.hex.toLowerCase() !== want.hex.toLowerCase())
      return { kind: "mismatch", expected: want, recorded: have };
  }
  return unknown ? { kind: "unknown" } : { kind: "proven" };
}
