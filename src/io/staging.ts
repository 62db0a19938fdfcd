/**
 * The staging area of an atomic set: each file is fetched and verified under root/.parget-staging,
 * at the same path relative to the root as its final path, and all are moved into place only
 * once every one is verified. Until then the root's own contents are untouched. The moves follow
 * a commit plan written durably first, so a kill during them is finished by the next open().
 */
import { mkdir, readdir, rmdir } from "node:fs/promises";
import path from "node:path";
import {
  PLAN_NAME,
  STAGING_DIR,
  decodeCommitPlan,
  encodeCommitPlan,
  finalPathProblem,
  movesProblem,
  stagedPathProblem,
  stagedRelativeOf,
  type PlannedMove,
} from "../core/commit-plan.js";
import { FileSystemError, UsageError } from "../errors.js";
import { LEDGER_NAME } from "../core/ledger.js";
import {
  fileSystemError,
  publish,
  readTextIfExists,
  removeIfExists,
  replaceFileAtomically,
  statIfExists,
  syncDirectory,
} from "./files.js";

export { STAGING_DIR };

/** One file of a set: where it was verified, and where it belongs (absolute, or from the cwd). */
export interface StagedMove {
  staged: string;
  final: string;
}

const itself = { followLinks: false };

export class Staging {
  readonly root: string;
  readonly dir: string;
  readonly #plan: string;

  private constructor(root: string) {
    this.root = root;
    this.dir = path.join(root, STAGING_DIR);
    this.#plan = path.join(this.dir, PLAN_NAME);
  }

  /** Opens root's staging area (creating nothing yet); finishes a commit that a kill interrupted. */
  static async open(root: string): Promise<Staging> {
    const staging = new Staging(path.resolve(root));
    await staging.#finishInterruptedCommit();
    return staging;
  }

  /**
   * Where the file whose final path is `final` is fetched and verified: the same path relative
   * to root, under dir. Throws UsageError when `final` is not strictly inside root, or is inside
   * the staging dir itself.
   */
  stagedPathOf(final: string): string {
    return this.#absolute(stagedRelativeOf(this.#finalRelative(final)));
  }

  /**
   * Moves each staged file to its final path, all or nothing as far as a crash allows. Nothing
   * moves until every check passed (staged files present, finals free unless `overwrite`, each
   * final placeable on the staging area's file system) and the plan is durable; from then on a
   * failure or kill leaves the plan, and the next open() finishes the moves.
   */
  async commit(moves: readonly StagedMove[], { overwrite }: { overwrite: boolean }): Promise<void> {
    if (moves.length === 0) return;
    const planned = moves.map((move) => this.#planned(move));
    const problem = movesProblem(planned);
    if (problem !== undefined) throw new UsageError(`cannot commit the staged files: ${problem}`);
    await this.#check(planned, overwrite);
    await replaceFileAtomically(this.#plan, encodeCommitPlan({ moves: planned, overwrite }));
    await syncDirectory(this.dir);
    await this.#carryOut(planned);
  }

  async #finishInterruptedCommit(): Promise<void> {
    const text = await readTextIfExists(this.#plan);
    // A kill after the plan was removed can leave the staging area empty.
    if (text === undefined) return removeIfEmpty(this.dir);
    const decoded = decodeCommitPlan(text);
    if (decoded.kind === "bad") {
      throw new FileSystemError(
        `cannot finish the commit an earlier run began: ${this.#plan} is not a valid commit plan ` +
          `(${decoded.reason}); move the files under ${this.dir} into place by hand, then remove it`,
      );
    }
    await this.#carryOut(decoded.plan.moves);
  }

  #finalRelative(final: string): string {
    const relative = this.#relative(final);
    const problem = finalPathProblem(relative);
    if (problem !== undefined) {
      throw new UsageError(`${final} cannot be a file of a set in ${this.root}: ${problem}`);
    }
    return relative;
  }

  #planned(move: StagedMove): PlannedMove {
    const final = this.#finalRelative(move.final);
    const staged = this.#relative(move.staged);
    const stagedProblem = stagedPathProblem(staged);
    if (stagedProblem !== undefined) {
      throw new UsageError(
        `${move.staged} cannot be a staged file in ${this.dir}: ${stagedProblem}`,
      );
    }
    return { staged, final };
  }

  /** `file` relative to the root, "/" between segments; UsageError unless strictly inside. */
  #relative(file: string): string {
    const relative = path.relative(this.root, path.resolve(file));
    if (
      relative === "" ||
      relative === ".." ||
      relative.startsWith(`..${path.sep}`) ||
      path.isAbsolute(relative)
    ) {
      throw new UsageError(`${file} is not inside ${this.root}`);
    }
    return relative.split(path.sep).join("/");
  }

  #absolute(relative: string): string {
    return path.join(this.root, ...relative.split("/"));
  }

  /** Everything that would make a move fail, found before the plan exists. */
  async #check(moves: readonly PlannedMove[], overwrite: boolean): Promise<void> {
    const devices = new Map<string, Promise<number>>();
    for (const move of moves) {
      const staged = this.#absolute(move.staged);
      const final = this.#absolute(move.final);
      const stagedStats = await statIfExists(staged, itself);
      if (!stagedStats?.isFile()) {
        throw new FileSystemError(`cannot commit: ${staged} is missing or not a file`);
      }
      const finalStats = await statIfExists(final, itself);
      if (finalStats?.isDirectory()) {
        throw new FileSystemError(`cannot commit: ${final} is a directory`);
      }
      if (finalStats && !overwrite) {
        throw new FileSystemError(`${final} already exists (use --overwrite to replace it)`, {
          code: "PARGET_FILE_EXISTS",
        });
      }
      if ((await deviceOfDirectory(path.dirname(final), devices)) !== stagedStats.dev) {
        throw new FileSystemError(
          `cannot commit: ${staged} and ${final} are on different file systems, so no rename can move it`,
        );
      }
    }
  }

  /**
   * Moves what is still staged, makes the moves durable, then drops the plan. A move whose staged
   * file is gone and whose final file is there was done before a kill.
   */
  async #carryOut(moves: readonly PlannedMove[]): Promise<void> {
    const vanished: PlannedMove[] = [];
    const made = new Set<string>();
    for (const move of moves) {
      const staged = this.#absolute(move.staged);
      const final = this.#absolute(move.final);
      if (await statIfExists(staged, itself)) {
        const parent = path.dirname(final);
        if (!made.has(parent)) {
          await mkdir(parent, { recursive: true }).catch((error: unknown) => {
            throw fileSystemError("create", parent, error);
          });
          made.add(parent);
        }
        // Replacing: whether a final may be replaced was settled before the plan was written.
        await publish(staged, final, true);
      } else if (!(await statIfExists(final, itself))) {
        vanished.push(move);
      }
    }
    await Promise.all([...this.#directoriesChangedBy(moves)].map(syncDirectory));
    await this.#removeEmptyDirectories(moves);
    await removeIfExists(this.#plan);
    await removeIfEmpty(this.dir);
    const [first] = vanished;
    if (first) {
      const more = vanished.length > 1 ? ` (and ${vanished.length - 1} more)` : "";
      throw new FileSystemError(
        `${this.#absolute(first.staged)} vanished before it could be moved to ` +
          `${this.#absolute(first.final)}${more}; the other files of the set were moved`,
      );
    }
  }

  /** Each final's directory and those above it up to the root (some were just created), and each staged file's. */
  #directoriesChangedBy(moves: readonly PlannedMove[]): Set<string> {
    const dirs = new Set<string>();
    for (const move of moves) {
      dirs.add(path.dirname(this.#absolute(move.staged)));
      for (let dir = path.dirname(this.#absolute(move.final)); ; dir = path.dirname(dir)) {
        dirs.add(dir);
        if (dir === this.root) break;
      }
    }
    return dirs;
  }

  /** The staged files' directories below the staging area (which holds the plan) left empty. */
  async #removeEmptyDirectories(moves: readonly PlannedMove[]): Promise<void> {
    const dirs = new Set<string>();
    for (const move of moves) {
      for (let dir = path.dirname(this.#absolute(move.staged)); dir !== this.dir;) {
        dirs.add(dir);
        dir = path.dirname(dir);
      }
    }
    // Deepest first, so a directory is emptied of its subdirectories before its own turn.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await removeIfEmpty(dir);
  }
}

/**
 * Removes `dir` if nothing is left in it but the ledger of the staged files that were in it
 * (src/core/ledger.ts): once they are moved it describes nothing. A ledger that still has staged
 * files beside it (another set's) stays.
 */
async function removeIfEmpty(dir: string): Promise<void> {
  try {
    const left = await readdir(dir);
    if (left.length === 1 && left[0] === LEDGER_NAME)
      await removeIfExists(path.join(dir, LEDGER_NAME));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw fileSystemError("list", dir, error);
    return;
  }
  try {
    await rmdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOENT") {
      throw fileSystemError("remove", dir, error);
    }
  }
}

/**
 * The device of `dir`, or of the nearest directory above it when it does not exist yet (the
 * move creates it there). Links are followed: a linked directory is a fine place for a file.
 */
async function deviceOfDirectory(
  dir: string,
  known: Map<string, Promise<number>>,
): Promise<number> {
  let device = known.get(dir);
  if (device === undefined) {
    device = (async () => {
      const stats = await statIfExists(dir, { followLinks: true });
      if (stats === undefined && path.dirname(dir) !== dir) {
        return deviceOfDirectory(path.dirname(dir), known);
      }
      if (!stats?.isDirectory()) {
        throw new FileSystemError(`cannot commit: ${dir} is not a directory`);
      }
      return stats.dev;
    })();
    known.set(dir, device);
  }
  return device;
}
