/**
 * The daemon's secret: 256 random bits, made at first start into a file only its owner may read
 * (never on argv, so never in the process list), and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../index.js";

/** Reads the secret at `path`, or makes one there if there is none. */
export async function loadOrCreateSecret(
  path: string,
): Promise<{ secret: string; created: boolean }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const created = await createSecret(path);
  const info = await stat(path);
  // Group or world bits mean someone else may read it (or already has): refuse, and say how to fix.
  if ((info.mode & 0o077) !== 0) {
    throw new UsageError(
      `the secret file ${path} may be read by others (mode ${(info.mode & 0o777).toString(8)}); ` +
        `run "chmod 600 ${path}" or delete it to make a new secret`,
    );
  }
  if (typeof process.getuid === "function" && info.uid !== process.getuid()) {
    throw new UsageError(`the secret file ${path} belongs to another user`);
  }
  const secret = (await readFile(path, "utf8")).trim();
  // 128 bits at least: 22 base64url characters, or 32 hex digits.
  if (!/^[A-Za-z0-9_-]{22,}$/.test(secret)) {
    throw new UsageError(
      `the secret file ${path} holds no usable secret (at least 22 characters of A-Z, a-z, 0-9, - and _); delete it to make a new one`,
    );
  }
  return { secret, created };
}

/** Creates the file with a fresh secret; false when it already exists (never replaced). */
async function createSecret(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    await handle.writeFile(`${randomBytes(32).toString("base64url")}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Whether `given` is the secret. Both sides are hashed first, so the comparison takes the same
 * time whatever the lengths, and timingSafeEqual never sees buffers of different sizes.
 */
export function secretMatches(secret: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(secret).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}
