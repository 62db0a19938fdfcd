/** Shared pieces of the end-to-end tests: temp directories, byte checks, the --json output. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { LEDGER_NAME } from "../../src/core/ledger.js";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";
import { generateContent } from "../../src/server/index.js";

export const MiB = 1024 * 1024;

/** A fresh directory, removed when the test ends. */
export async function tempDir(t: TestContext, label = "e2e"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `parget-${label}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The directory's entries, sorted, but for the ledger of saved files (its own tests). */
export async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== LEDGER_NAME).sort();
}

/** The file holds exactly `size` bytes of the stream named by `seed`; says where they part if not. */
export async function assertGenerated(file: string, seed: string, size: number): Promise<void> {
  const actual = await readFile(file);
  assert.equal(actual.length, size, `${file} has ${actual.length} bytes, expected ${size}`);
  const expected = generateContent(seed, 0, size);
  if (!actual.equals(expected)) {
    let at = 0;
    while (actual[at] === expected[at]) at++;
    assert.fail(`${file} differs from the generated "${seed}" first at byte ${at}`);
  }
}

export type JsonEvent = { type: string } & Record<string, unknown>;

/** Parses `--json` output: every line must be a JSON object with a `type`. */
export function jsonEvents(stdout: string): JsonEvent[] {
  const lines = stdout.split("\n");
  assert.equal(lines.pop(), "", "--json output must end with a newline");
  return lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      assert.fail(`--json line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
    assert.ok(
      typeof value === "object" && value !== null && typeof (value as JsonEvent).type === "string",
      `--json line ${i + 1} has no "type": ${line.slice(0, 200)}`,
    );
    return value as JsonEvent;
  });
}

/** The one event of `type` (fails if there is not exactly one). */
export function only(events: JsonEvent[], type: string): JsonEvent {
  const found = events.filter((e) => e.type === type);
  assert.equal(found.length, 1, `expected one "${type}" event, got ${found.length}`);
  return found[0]!;
}

// Kept beside the code that uses them: this section was appended while others edited the file.

const run = promisify(execFile);

/** A small file system of its own, to fill up: writes past its size fail with ENOSPC. */
export interface Tmpfs {
  readonly dir: string;
  /** Changes the size in place (`mount -o remount`): unlike a new mount, the files stay. */
  resize(bytes: number): Promise<void>;
}

/**
 * Mounts a tmpfs of `bytes` on a fresh directory, unmounted when the test ends. Mounting needs
 * root (or CAP_SYS_ADMIN); where it is refused, says why instead, for the test to skip with.
 */
export async function mountTmpfs(
  t: TestContext,
  bytes: number,
): Promise<Tmpfs | { unavailable: string }> {
  if (process.platform !== "linux") return { unavailable: "tmpfs mounts need Linux" };
  const dir = await mkdtemp(path.join(os.tmpdir(), "parget-tmpfs-"));
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { timeout: 10_000 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const { stderr, message } = error as Error & { stderr?: string };
    const why = (stderr || message).trim().split("\n")[0];
    return { unavailable: `cannot mount a tmpfs (${why})` };
  }
  // Not tempDir: hooks run in the order they were added, and the unmount must come first.
  t.after(async () => {
    try {
      await run("umount", [dir], { timeout: 10_000 });
    } catch {
      // Still busy (a process that outlived its test holds a file): detach now, freed later.
      await run("umount", ["-l", dir], { timeout: 10_000 });
    }
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    resize: async (size) => {
      await run("mount", ["-o", `remount,size=${size}`, dir], { timeout: 10_000 });
    },
  };
}
