/**
 * Where a download asked over RPC may save: `confine` (core/rpc-guard.ts) keeps the path inside
 * the root lexically; this follows symbolic links too, so a link inside the root that points
 * out of it is refused as well.
 */
import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../index.js";
import { confine, isInsideOrSame, type ConfinedPath } from "../core/rpc-guard.js";

/** The real path of `path`: its deepest existing ancestor resolved, the rest appended. */
async function realPathOf(path: string): Promise<string> {
  const missing: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    try {
      return join(await realpath(at), ...missing.reverse());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dirname(at) === at) throw error;
      missing.push(basename(at));
    }
  }
}

/**
 * `dir` and `out` confined to `root` (already a real path): after links are followed, the
 * directory and the file's own directory are inside it, and the file itself is not a link.
 */
export async function confineReal(root: string, dir?: string, out?: string): Promise<ConfinedPath> {
  const lexical = confine(root, dir, out);
  const realDir = await realPathOf(lexical.dir);
  if (!isInsideOrSame(root, realDir)) {
    throw new UsageError(`dir ${JSON.stringify(dir)} leads outside the download root ${root}`);
  }
  if (lexical.out !== undefined) {
    const file = join(realDir, lexical.out);
    const realParent = await realPathOf(dirname(file));
    if (!isInsideOrSame(root, realParent)) {
      throw new UsageError(`out ${JSON.stringify(out)} leads outside the download root ${root}`);
    }
    const link = await lstat(join(realParent, basename(file))).catch(() => undefined);
    if (link?.isSymbolicLink()) {
      throw new UsageError(
        `out ${JSON.stringify(out)} is a symbolic link; parget does not write through links`,
      );
    }
  }
  return { dir: realDir, out: lexical.out };
}
