/**
 * Local faults through the real binary: a disk that fills up mid-download, and one that is full
 * just when the resume state is saved. Both exit 3 with one clear line and keep a state a rerun
 * resumes from once there is room again. (An unwritable directory is in exit-codes.test.ts.)
 *
 * The full disk is a real one: a small tmpfs mounted for the test, so every ENOSPC comes from the
 * kernel. Where mounting is refused (not root, no CAP_SYS_ADMIN), the tests skip and say why.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { open, readFile, rm, statfs, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { generateContent, type RangeServer } from "../../src/server/index.js";
import { runCli, type CliResult } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import {
  MiB,
  assertGenerated,
  entries,
  jsonEvents,
  mountTmpfs,
  only,
  type Tmpfs,
} from "./support.js";

const SEED = "disk-full";
const SIZE = 12 * MiB;
/** A little more than half the file: the download fills it part way. */
const SMALL_DISK = 8 * MiB;
/** Room for the file, the state and the filler of the second test. */
const ROOMY_DISK = 32 * MiB;
const CONNECTIONS = 4;
/**
 * 4 MiB/s in all: the small disk fills after ~2 s, when the state saved at the first timed
 * checkpoint (~1 s) already records some extents.
 */
const RATE_PER_CONNECTION = 1 * MiB;
/**
 * What a rerun may fetch beyond the bytes the state lacks: the lanes' in-flight overshoot, and
 * at the end the bytes a connection already carried past a steal's cut or a hedge it lost.
 */
const REFETCH_SLACK = 2 * MiB;
const DISK_FULL = /no space left on device/i;

function explain(result: CliResult): string {
  return `exit ${result.code} (signal ${result.signal})\nstdout: ${result.stdout.slice(-500)}\nstderr: ${result.stderr.slice(0, 500)}`;
}

interface SmallDisk {
  disk: Tmpfs;
  server: RangeServer;
  args: string[];
  final: string;
  /** The first run, which filled the disk. */
  first: CliResult;
}

/** Runs the download onto a disk too small for it. Undefined when no tmpfs can be mounted. */
async function downloadOntoSmallDisk(t: TestContext): Promise<SmallDisk | undefined> {
  const disk = await mountTmpfs(t, SMALL_DISK);
  if ("unavailable" in disk) {
    t.skip(`${disk.unavailable}; a full disk cannot be made for real here`);
    return undefined;
  }
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: SEED, size: SIZE } } },
    ratePerConnection: RATE_PER_CONNECTION,
  });
  const final = path.join(disk.dir, "f.bin");
  const args = [server.url("/f.bin"), "-d", disk.dir, "-n", String(CONNECTIONS), "--json"];
  const first = await runCli(args);
  return { disk, server, args, final, first };
}

/** The extents the saved state claims, after checking each one holds the right bytes. */
async function keptExtents(final: string): Promise<[number, number][]> {
  const text = await readFile(`${final}.parget.state`, "utf8");
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    assert.fail(`the state is not JSON: ${text.slice(0, 200)}`);
  }
  const extents = (state as { extents?: unknown }).extents;
  assert.ok(Array.isArray(extents), `the state lists no extents: ${text.slice(0, 200)}`);
  const data = await readFile(`${final}.parget`);
  return extents.map((extent: unknown) => {
    assert.ok(Array.isArray(extent), `an extent is not [start, end, ...]: ${String(extent)}`);
    const [start, end] = extent as [number, number];
    assert.ok(
      0 <= start && start < end && end <= SIZE,
      `extent [${start}, ${end}) is out of range`,
    );
    const expected = generateContent(SEED, start, end - start);
    assert.ok(
      data.subarray(start, end).equals(expected),
      `the state claims bytes ${start}-${end - 1}, but the partial file does not hold them`,
    );
    return [start, end];
  });
}

const sum = (extents: [number, number][]): number =>
  extents.reduce((total, [start, end]) => total + end - start, 0);

/** The same command once there is room: the whole file, fetching little more than was missing. */
async function assertResumes(small: SmallDisk, kept: number, t: TestContext): Promise<void> {
  const { server, args, final } = small;
  server.resetStats();
  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, `the rerun failed\n${explain(rerun)}`);
  await assertGenerated(final, SEED, SIZE);
  assert.deepEqual(await entries(path.dirname(final)), ["f.bin"], "only the final file may remain");
  const start = only(jsonEvents(rerun.stdout), "start");
  // The journal may prove writes that came after the state's checkpoint.
  const resumed = Number(start.resumedBytes);
  assert.ok(resumed >= kept, "the rerun must resume at least what the state recorded");
  const sent = server.stats.bytesSent;
  t.diagnostic(
    `state kept ${mib(kept)} MiB of ${mib(SIZE)}, the rerun resumed ${mib(resumed)} MiB and ` +
      `fetched ${mib(sent)} MiB (${mib(SIZE - resumed)} MiB were missing)`,
  );
  assert.ok(
    sent <= SIZE - resumed + REFETCH_SLACK,
    `the rerun fetched ${sent} bytes; only ${SIZE - resumed} were missing`,
  );
}

test("3: the disk fills mid-download; once there is room, the same command resumes", async (t) => {
  const small = await downloadOntoSmallDisk(t);
  if (!small) return;
  const { disk, final, first } = small;

  t.diagnostic(`first run: ${first.stderr.trim()}`);
  assert.equal(first.code, 3, explain(first));
  assert.match(first.stderr, /^parget: [^\n]+\n$/, `exactly one line on stderr\n${explain(first)}`);
  assert.match(first.stderr, DISK_FULL, `the message must say the disk is full\n${explain(first)}`);
  assert.equal(
    jsonEvents(first.stdout).at(-1)?.exitCode,
    3,
    "the --json output ends with the error",
  );
  assert.equal(existsSync(final), false, "an incomplete file must not reach the final path");
  const kept = sum(await keptExtents(final));
  assert.ok(kept > 0, "the state must record the data that reached the disk");
  assert.ok(kept < SIZE, "the state cannot record more than the disk holds");

  // Room made in place: a new, bigger mount would lose the partial data and the state.
  await disk.resize(ROOMY_DISK);
  await assertResumes(small, kept, t);
});

test("3: the disk is full when the state is saved; the previous state is kept", async (t) => {
  const small = await downloadOntoSmallDisk(t);
  if (!small) return;
  const { disk, final, first } = small;
  assert.equal(first.code, 3, `setting up: the small disk should have filled\n${explain(first)}`);
  const kept = sum(await keptExtents(final));
  assert.ok(kept > 0, "setting up: the first run should have saved a state with extents");

  await disk.resize(ROOMY_DISK);
  // Give the partial file's holes their pages, then take every page left: writes into the
  // partial file still succeed, and only a new file (the state's replacement) finds no space.
  const partial = `${final}.parget`;
  await writeFile(partial, await readFile(partial), { flag: "r+" });
  const filler = await fillUp(disk.dir);
  const stateBefore = await readFile(`${final}.parget.state`, "utf8");

  const second = await runCli(small.args);
  t.diagnostic(`second run: ${second.stderr.trim()}`);
  assert.equal(second.code, 3, explain(second));
  assert.match(
    second.stderr,
    /^parget: [^\n]+\n$/,
    `exactly one line on stderr\n${explain(second)}`,
  );
  assert.match(second.stderr, DISK_FULL, explain(second));
  assert.ok(
    second.stderr.includes(`${final}.parget.state`),
    `the message must name the state file it could not save\n${explain(second)}`,
  );
  assert.equal(existsSync(final), false, "an unsaved download must not reach the final path");
  assert.equal(
    await readFile(`${final}.parget.state`, "utf8"),
    stateBefore,
    "a failed save must leave the previous state as it was",
  );

  await rm(filler);
  await assertResumes(small, kept, t);
});

/** Writes a file until the file system has no block left; returns its path. */
async function fillUp(dir: string): Promise<string> {
  const filler = path.join(dir, "filler");
  const handle = await open(filler, "w");
  const block = Buffer.alloc(64 * 1024, 0xa5);
  try {
    for (;;) {
      try {
        await handle.write(block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw error;
      }
    }
  } finally {
    await handle.close();
  }
  const { bavail } = await statfs(dir);
  assert.equal(bavail, 0, `${dir} should be full after filling it`);
  return filler;
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(2);
}
