/**
 * A small file that the first answer carries whole is read into memory, hashed there and written
 * with one write: no resume state, no journal, no lanes and no hashing thread. A kill costs at most
 * this one answer, which a rerun asks for again.
 */
import { createRequire } from "node:module";
import type { DigestAlgorithm } from "./options.js";
import type { TransportResponse } from "./io/transport.js";
import { BadResponseError } from "./errors.js";
import { crc32c, crc32cHex } from "./integrity/crc32c.js";
import type { SequentialAlgorithm } from "./integrity/frontier-hasher.js";

/**
 * Files up to this size that come whole in the first answer take this path. Each is held in
 * memory until written, so 16 at once stay within a few MiB of the CLI's memory budget.
 */
export const WHOLE_FILE_MAX = 256 * 1024;

/**
 * Reads the body of an answer carrying bytes [0, size): its chunks, copied (a transport may reuse
 * their memory);
 * `onBytes` sees the count so far. A body longer or shorter than announced is a retryable bad
 * response.
 */
export async function receiveWhole(
  response: TransportResponse,
  size: number,
  onBytes: (received: number) => void,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let at = 0;
  try {
    for await (const chunk of response.body) {
      if (at + chunk.length > size) {
        throw new BadResponseError(`server sent more than the ${size} bytes it announced`, {
          retryable: true,
        });
      }
      chunks.push(Buffer.from(chunk));
      at += chunk.length;
      onBytes(at);
    }
  } finally {
    response.cancel();
  }
  if (at < size) {
    throw new BadResponseError(`connection closed at byte ${at}, short of ${size}`, {
      retryable: true,
    });
  }
  return chunks;
}

/** What can be hashed here, on the main thread, with Node's own code (CRC-64/NVME cannot). */
export function hashableInMemory(algorithms: readonly SequentialAlgorithm[]): boolean {
  return algorithms.every((a) => a !== "crc64nvme");
}

/** The digests of the bytes in `chunks`, in order, for the algorithms asked (see hashableInMemory). */
export function digestsOfChunks(
  chunks: readonly Uint8Array[],
  needed: { sequential: readonly SequentialAlgorithm[]; crc32c: boolean },
): Partial<Record<DigestAlgorithm, string>> {
  const digests: Partial<Record<DigestAlgorithm, string>> = {};
  // Loaded only when asked for: a download with no digest to check never loads them.
  const load = createRequire(import.meta.url);
  for (const algorithm of needed.sequential) {
    if (algorithm === "crc32") {
      // As S3's x-amz-checksum-crc32 spells it: 4 big-endian bytes.
      const { crc32 } = load("node:zlib") as typeof import("node:zlib");
      const crc = chunks.reduce((value, chunk) => crc32(chunk, value), 0);
      digests.crc32 = (crc >>> 0).toString(16).padStart(8, "0");
    } else {
      const { createHash } = load("node:crypto") as typeof import("node:crypto");
      const hash = createHash(algorithm);
      for (const chunk of chunks) hash.update(chunk);
      digests[algorithm] = hash.digest("hex");
    }
  }
  if (needed.crc32c) {
    digests.crc32c = crc32cHex(chunks.reduce((value, chunk) => crc32c(chunk, value), 0));
  }
  return digests;
}
