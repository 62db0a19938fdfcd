/** The verdict: which expected digests the finished file matches, and which it does not. */
import type { DigestMismatch } from "../errors.js";
import type { DigestAlgorithm, ExpectedDigest } from "../options.js";
import type { SequentialAlgorithm } from "./frontier-hasher.js";

/** What the engine must compute: sequential hashes for the frontier hasher, and whether CRC32C. */
export function algorithmsNeeded(expected: readonly ExpectedDigest[]): {
  sequential: SequentialAlgorithm[];
  crc32c: boolean;
} {
  const sequential = new Set<SequentialAlgorithm>();
  let crc32c = false;
  for (const { algorithm } of expected) {
    if (algorithm === "crc32c") crc32c = true;
    else sequential.add(algorithm);
  }
  return { sequential: [...sequential], crc32c };
}

export function compareDigests(
  expected: readonly ExpectedDigest[],
  actual: Partial<Record<DigestAlgorithm, string>>,
): { verified: ExpectedDigest[]; mismatches: DigestMismatch[] } {
  const verified: ExpectedDigest[] = [];
  const mismatches: DigestMismatch[] = [];
  for (const digest of expected) {
    const computed = actual[digest.algorithm];
    if (computed === undefined) {
      throw new Error(
        `bug: no ${digest.algorithm} digest was computed, yet ${digest.source} expects one`,
      );
    }
    const want = digest.hex.toLowerCase();
    const got = computed.toLowerCase();
    if (want === got) verified.push(digest);
    else
      mismatches.push({
        algorithm: digest.algorithm,
        source: digest.source,
        expected: want,
        actual: got,
      });
  }
  return { verified, mismatches };
}

/** The same digest from the same source counts once. */
export function dedupeDigests(digests: readonly ExpectedDigest[]): ExpectedDigest[] {
  const seen = new Set<string>();
  return digests.filter((d) => {
    const key = `${d.algorithm}:${d.hex.toLowerCase()}:${d.source}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
