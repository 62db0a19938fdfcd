/** The served test files (generated, digests known), output checks, and file-system facts. */
import { createHash, type Hash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import { generateContent } from "../src/server/index.js";
import { sizeTag } from "./core/plan.js";
import { runQuiet } from "./processes.js";

/** The keystream every file is a prefix of; parget's own server serves the same bytes. */
export const SEED = "parget-bench";

export interface TestFile {
  name: string;
  size: number;
  sha256: string;
}

export function fileName(size: number): string {
  return `bench-${sizeTag(size)}.bin`;
}

const STEP = 4 * 1024 * 1024;

/**
 * Writes `bench-<size>.bin` into `dir` for each size, all prefixes of one keystream, generated
 * once and hashed on the way (a hash is copied off at each smaller size).
 */
export async function generateFiles(
  dir: string,
  sizes: readonly number[],
): Promise<Map<number, TestFile>> {
  const wanted = [...new Set(sizes)].sort((a, b) => a - b);
  const largest = wanted.at(-1) ?? 0;
  const files = new Map<number, TestFile>();
  const handles = await Promise.all(
    wanted.map((size) => open(path.join(dir, fileName(size)), "w")),
  );
  const hash: Hash = createHash("sha256");
  try {
    for (let at = 0; at < largest; at += STEP) {
      // Sizes are whole MiB, so a step never straddles one.
      const chunk = generateContent(SEED, at, Math.min(STEP, largest - at));
      hash.update(chunk);
      await Promise.all(
        wanted.map((size, i) => (at < size ? handles[i]!.write(chunk, 0, chunk.length, at) : null)),
      );
      for (const size of wanted) {
        if (at + chunk.length === size) {
          const sha256 = size === largest ? hash.digest("hex") : hash.copy().digest("hex");
          files.set(size, { name: fileName(size), size, sha256 });
        }
      }
    }
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
  return files;
}

/** One reused buffer: fresh 4 MiB chunks per read cost this VM twice the time of hashing. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(file, "r");
  const buffer = Buffer.allocUnsafe(STEP);
  try {
    for (let at = 0; ;) {
      const { bytesRead } = await handle.read(buffer, 0, STEP, at);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

/** "ext4", "tmpfs", ... of the file system holding `dir`. */
export async function fileSystemOf(dir: string): Promise<string> {
  const found = await runQuiet(["findmnt", "-n", "-o", "FSTYPE", "-T", dir]);
  if (found.code === 0 && found.stdout.trim()) return found.stdout.trim().split("\n")[0]!;
  const df = await runQuiet(["df", "--output=fstype", dir]);
  return df.code === 0 ? (df.stdout.trim().split("\n")[1]?.trim() ?? "unknown") : "unknown";
}
