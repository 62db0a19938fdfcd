/** Digests of a whole file already on disk: a skipped file asked for a digest it never had. */
import { open } from "node:fs/promises";
import type { DigestAlgorithm, ExpectedDigest } from "../options.js";
import { crcOfRange, fileSystemError } from "../io/files.js";
import { crc32cHex } from "./crc32c.js";
import { FrontierHasher } from "./frontier-hasher.js";
import { algorithmsNeeded } from "./verdict.js";

export async function digestsOfFile(
  path: string,
  size: number,
  expected: readonly ExpectedDigest[],
): Promise<Partial<Record<DigestAlgorithm, string>>> {
  const needed = algorithmsNeeded(expected);
  const hasher = FrontierHasher.start(path, needed.sequential, size);
  try {
    hasher.advance(size);
    const [sequential, crc] = await Promise.all([
      hasher.finish(size),
      needed.crc32c ? crc32cOfFile(path, size) : undefined,
    ]);
    return { ...sequential, ...(crc === undefined ? {} : { crc32c: crc32cHex(crc) }) };
  } finally {
    await hasher.close();
  }
}

async function crc32cOfFile(path: string, size: number): Promise<number> {
  const handle = await open(path, "r").catch((error: unknown) => {
    throw fileSystemError("read", path, error);
  });
  try {
    const crc = await crcOfRange(handle, 0, size);
    if (crc === undefined) throw fileSystemError("read", path, new Error("it is shorter now"));
    return crc;
  } finally {
    await handle.close();
  }
}
