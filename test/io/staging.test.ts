import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, watch } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PLAN_NAME, encodeCommitPlan, stagedRelativeOf } from "../../src/core/commit-plan.js";
import { FileSystemError, UsageError, type PargetError } from "../../src/errors.js";
import { replaceFileAtomically } from "../../src/io/files.js";
import { STAGING_DIR, Staging, type StagedMove } from "../../src/io/staging.js";
import { REPO_ROOT, stopProcess, waitForExit } from "../helpers/processes.js";

async function tempRoot(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "parget-staging-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What the test writes for the file whose final path is `final`: different for each file. */
const contentOf = (final: string): string => `the verified bytes of ${final}\n`;

/** Writes each final's content at its staged path; returns the moves that commit them. */
async function stage(staging: Staging, finals: readonly string[]): Promise<StagedMove[]> {
  const moves = finals.map((f) => {
    const final = path.join(staging.root, f);
    return { staged: staging.stagedPathOf(final), final };
  });
  for (const [i, move] of moves.entries()) {
    await mkdir(path.dirname(move.staged), { recursive: true });
    await writeFile(move.staged, contentOf(finals[i] ?? ""));
  }
  return moves;
}

async function assertCommitted(root: string, finals: readonly string[]): Promise<void> {
  for (const f of finals) {
    assert.equal(await readFile(path.join(root, f), "utf8"), contentOf(f), f);
  }
}

/** Every file under `dir`, relative to it, sorted; [] when `dir` does not exist. */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function rejectsWith(
  promise: Promise<unknown>,
  type: typeof FileSystemError | typeof UsageError,
  code: string,
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: PargetError) => {
    assert.ok(error instanceof type, `${String(error)} is not a ${type.name}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

const escaped = (text: string): RegExp => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

test("commit moves files in nested directories into place and leaves no staging area", async (t) => {
  const root = await tempRoot(t);
  await writeFile(path.join(root, "keep.txt"), "the user's own file");
  const staging = await Staging.open(root);
  assert.equal(staging.dir, path.join(root, STAGING_DIR));
  assert.equal(existsSync(staging.dir), false, "open() creates nothing");
  const finals = ["a.bin", "sub/b.bin", "sub/deeper/c.bin", "sub/deeper/d.bin", "other/e.bin"];
  const moves = await stage(staging, finals);
  assert.equal(moves[2]?.staged, path.join(root, STAGING_DIR, "sub", "deeper", "c.bin"));

  await staging.commit(moves, { overwrite: false });

  await assertCommitted(root, finals);
  assert.equal(existsSync(staging.dir), false, "the staging area is removed once empty");
  assert.deepEqual((await readdir(root)).sort(), ["a.bin", "keep.txt", "other", "sub"]);
  assert.equal(await readFile(path.join(root, "keep.txt"), "utf8"), "the user's own file");
});

test("commit leaves what else is staged, and the directories that still hold it", async (t) => {
  const root = await tempRoot(t);
  const staging = await Staging.open(root);
  const moves = await stage(staging, ["sub/a.bin", "b.bin"]);
  // Another set's file, still being fetched.
  const [later] = await stage(staging, ["sub/later.bin"]);
  await staging.commit(moves, { overwrite: false });
  await assertCommitted(root, ["sub/a.bin", "b.bin"]);
  assert.deepEqual(await filesUnder(staging.dir), [path.join("sub", "later.bin")]);
  assert.equal(await readFile(later?.staged ?? "", "utf8"), contentOf("sub/later.bin"));
});

test("commit refuses before moving anything when a final file exists; overwrite replaces it", async (t) => {
  const root = await tempRoot(t);
  const staging = await Staging.open(root);
  const finals = ["a.bin", "sub/b.bin", "sub/c.bin", "z.bin"];
  const moves = await stage(staging, finals);
  // Last in the list, so a commit that moved as it checked would have moved the others.
  await writeFile(path.join(root, "z.bin"), "old");
  const staged = await filesUnder(staging.dir);

  await rejectsWith(
    staging.commit(moves, { overwrite: false }),
    FileSystemError,
    "PARGET_FILE_EXISTS",
    escaped(path.join(root, "z.bin")),
  );
  assert.deepEqual((await readdir(root)).sort(), [STAGING_DIR, "z.bin"], "nothing was moved");
  assert.equal(await readFile(path.join(root, "z.bin"), "utf8"), "old");
  assert.deepEqual(await filesUnder(staging.dir), staged, "everything is still staged, no plan");

  await staging.commit(moves, { overwrite: true });
  await assertCommitted(root, finals);
  assert.equal(existsSync(staging.dir), false);
});

test("commit refuses before moving anything when a move could not be done", async (t) => {
  const root = await tempRoot(t);
  const staging = await Staging.open(root);
  const cases: { what: string; prepare: () => Promise<void>; message: RegExp }[] = [
    {
      what: "a staged file is missing",
      prepare: () => rm(staging.stagedPathOf(path.join(root, "sub/b.bin"))),
      message: /is missing or not a file/,
    },
    {
      what: "a final path is a directory",
      prepare: async () => {
        await mkdir(path.join(root, "sub/b.bin"), { recursive: true });
      },
      message: /is a directory/,
    },
    {
      what: "a final path's directory is a file",
      prepare: () => writeFile(path.join(root, "sub"), "a file where a directory belongs"),
      message: /not a directory/,
    },
  ];
  for (const { what, prepare, message } of cases) {
    await rm(root, { recursive: true, force: true });
    await mkdir(root);
    const moves = await stage(staging, ["a.bin", "sub/b.bin"]);
    await prepare();
    const before = await filesUnder(root);
    // Even with overwrite: these are not files it may replace.
    await rejectsWith(
      staging.commit(moves, { overwrite: true }),
      FileSystemError,
      "PARGET_FILESYSTEM",
      message,
    );
    assert.deepEqual(await filesUnder(root), before, `${what}: nothing may change`);
  }
});

test("commit refuses moves that leave the root or the staging area", async (t) => {
  const root = await tempRoot(t);
  const staging = await Staging.open(root);
  const [move] = await stage(staging, ["a.bin"]);
  assert.ok(move);
  const refused: StagedMove[][] = [
    [{ staged: move.staged, final: path.join(root, "..", "a.bin") }],
    [{ staged: move.staged, final: path.join(staging.dir, "b.bin") }],
    [{ staged: path.join(root, "user.bin"), final: move.final }],
    [move, { staged: move.staged, final: path.join(root, "b.bin") }],
  ];
  for (const moves of refused) {
    await rejectsWith(staging.commit(moves, { overwrite: false }), UsageError, "PARGET_USAGE", /./);
  }
  assert.deepEqual(await filesUnder(root), [path.join(STAGING_DIR, "a.bin")]);
});

test("stagedPathOf refuses paths outside the root and inside the staging area", async (t) => {
  const root = await tempRoot(t);
  const staging = await Staging.open(root);
  assert.equal(
    staging.stagedPathOf(path.join(root, "x", "y.bin")),
    path.join(root, STAGING_DIR, "x", "y.bin"),
  );
  const refused = [
    root,
    `${root}/`,
    path.dirname(root),
    path.join(root, "..", "elsewhere.bin"),
    `${root}-sibling/a.bin`,
    "/etc/passwd",
    staging.dir,
    path.join(staging.dir, "a.bin"),
    path.join(root, PLAN_NAME),
  ];
  for (const final of refused) {
    assert.throws(() => staging.stagedPathOf(final), UsageError, final);
  }
});

/** The plan a commit of `finals` writes, written by the same code the commit uses. */
async function writePlan(root: string, finals: readonly string[]): Promise<void> {
  const moves = finals.map((final) => ({ staged: stagedRelativeOf(final), final }));
  const plan = path.join(root, STAGING_DIR, PLAN_NAME);
  await replaceFileAtomically(plan, encodeCommitPlan({ moves, overwrite: true }));
}

test("open() finishes a commit a kill interrupted halfway", async (t) => {
  const root = await tempRoot(t);
  const finals = ["a.bin", "sub/b.bin", "sub/c.bin", "sub/deeper/d.bin", "e.bin", "f.bin"];
  const moves = await stage(await Staging.open(root), finals);
  // Replaced by the commit: with overwrite, the plan was checked against it when written.
  await writeFile(path.join(root, "f.bin"), "old");
  await writePlan(root, finals);
  for (const move of moves.slice(0, 3)) {
    await mkdir(path.dirname(move.final), { recursive: true });
    await rename(move.staged, move.final);
  }

  const staging = await Staging.open(root);

  await assertCommitted(root, finals);
  assert.equal(existsSync(staging.dir), false, "no staged file and no plan are left");
  // A second open() finds nothing to do.
  await Staging.open(root);
  await assertCommitted(root, finals);
});

test("open() finishes what it can when a staged file vanished, and says which", async (t) => {
  const root = await tempRoot(t);
  const finals = ["a.bin", "b.bin", "c.bin"];
  const moves = await stage(await Staging.open(root), finals);
  await writePlan(root, finals);
  await rm(moves[1]?.staged ?? "");

  await rejectsWith(
    Staging.open(root),
    FileSystemError,
    "PARGET_FILESYSTEM",
    escaped(`${moves[1]?.staged} vanished`),
  );
  await assertCommitted(root, ["a.bin", "c.bin"]);
  assert.equal(existsSync(path.join(root, "b.bin")), false);
  // The plan is done with: the next run fetches the missing file again instead of failing here.
  await Staging.open(root);
  assert.equal(existsSync(path.join(root, STAGING_DIR)), false);
});

test("open() refuses an unreadable or tampered plan, naming it, and moves nothing", async (t) => {
  const root = await tempRoot(t);
  await stage(await Staging.open(root), ["a.bin"]);
  const plan = path.join(root, STAGING_DIR, PLAN_NAME);
  const outside = path.join(path.dirname(root), `${path.basename(root)}-escaped.bin`);
  const plans = [
    "{ half a pl",
    encodeCommitPlan({
      moves: [{ staged: stagedRelativeOf("a.bin"), final: `../${path.basename(outside)}` }],
      overwrite: true,
    }),
  ];
  for (const text of plans) {
    await writeFile(plan, text);
    const before = await filesUnder(root);
    await rejectsWith(Staging.open(root), FileSystemError, "PARGET_FILESYSTEM", escaped(plan));
    assert.deepEqual(await filesUnder(root), before, "nothing moved, the plan is kept");
    assert.equal(existsSync(outside), false);
  }
});

// A real kill: a child process commits, and is killed with SIGKILL at a moment the parent sees
// on the file system (inotify, through fs.watch), not after a guessed delay.

const STAGING_MODULE = pathToFileURL(path.join(REPO_ROOT, "dist", "src", "io", "staging.js")).href;

const CHILD = `
import { readFile } from "node:fs/promises";
const [moduleUrl, root, finalsFile] = process.argv.slice(1);
const { Staging } = await import(moduleUrl);
const finals = JSON.parse(await readFile(finalsFile, "utf8"));
const staging = await Staging.open(root);
const moves = finals.map((final) => ({ staged: staging.stagedPathOf(final), final }));
await staging.commit(moves, { overwrite: false });
`;

/** `count` final paths: the first in the root (its arrival is seen), the rest spread below. */
function finalsOf(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? "first.bin" : `d${i % 5}/e${i % 3}/f${String(i).padStart(4, "0")}.bin`,
  );
}

interface KillPoint {
  name: string;
  /** The directory to watch, and the entry whose appearance there triggers the kill. */
  watched: (root: string) => string;
  trigger: string;
}

const KILL_POINTS: KillPoint[] = [
  {
    name: "once the plan is written",
    watched: (root) => path.join(root, STAGING_DIR),
    trigger: PLAN_NAME,
  },
  { name: "once the first file is moved", watched: (root) => root, trigger: "first.bin" },
];

/** Runs a commit of `finals` in a child and SIGKILLs it at `point`; says whether it was cut short. */
async function commitAndKill(
  t: TestContext,
  root: string,
  finals: readonly string[],
  point: KillPoint,
): Promise<{ interrupted: boolean; movedAtKill: number }> {
  const finalsFile = path.join(root, "..", `${path.basename(root)}.json`);
  await writeFile(finalsFile, JSON.stringify(finals.map((f) => path.join(root, f))));
  t.after(() => rm(finalsFile, { force: true }));
  const watcher = watch(point.watched(root));
  t.after(() => watcher.close());
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", CHILD, STAGING_MODULE, root, finalsFile],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  t.after(() => stopProcess(child));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  watcher.on("change", (_event, name) => {
    if (String(name) === point.trigger) child.kill("SIGKILL");
  });
  const exit = await waitForExit(child, 60_000);
  watcher.close();
  assert.ok(exit.code === 0 || exit.signal === "SIGKILL", `the child failed: ${stderr}`);
  const movedAtKill = finals.filter((f) => existsSync(path.join(root, f))).length;
  const interrupted = existsSync(path.join(root, STAGING_DIR, PLAN_NAME));
  return { interrupted, movedAtKill };
}

test("SIGKILL during a commit, then open(): every file in place, nothing staged, nothing lost", async (t) => {
  for (const point of KILL_POINTS) {
    await t.test(`killed ${point.name}`, async (t) => {
      // A commit that outran the kill still counts (and is checked); more files widen the window.
      let cutShort = false;
      for (const count of [200, 331, 547, 1000]) {
        const root = await tempRoot(t);
        const finals = finalsOf(count);
        await stage(await Staging.open(root), finals);
        const { interrupted, movedAtKill } = await commitAndKill(t, root, finals, point);
        t.diagnostic(
          `${count} files: ${interrupted ? "interrupted" : "finished"} with ${movedAtKill} moved`,
        );

        await Staging.open(root);

        await assertCommitted(root, finals);
        assert.equal(existsSync(path.join(root, STAGING_DIR)), false, "no staging area is left");
        assert.deepEqual((await readdir(root)).sort(), ["d0", "d1", "d2", "d3", "d4", "first.bin"]);
        cutShort = interrupted;
        if (cutShort) break;
      }
      assert.ok(cutShort, "no kill landed during a commit");
    });
  }
});
