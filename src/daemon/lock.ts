/**
 * One daemon per state directory: two would replace each other's session and run the same
 * downloads into the same partial files. `daemon.pid` holds the owner's process id; one left by
 * a killed daemon (its process gone) is taken over.
 */
import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../index.js";

export const LOCK_FILE = "daemon.pid";

/** Directories this process holds (a pid file naming this process is not stale for them). */
const held = new Set<string>();

/** Takes the state directory; resolves with its release. */
export async function lockStateDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      held.add(dir);
      return async () => {
        held.delete(dir);
        await unlink(path).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
    }
    const pid = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (isRunning(pid) && (pid !== process.pid || held.has(dir))) {
      throw new UsageError(
        `another parget daemon (process ${pid}) uses ${dir}; stop it, or give --state-dir another directory`,
      );
    }
    await unlink(path).catch(() => {});
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
