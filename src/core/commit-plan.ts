/**
 * The commit plan of an atomic set: which staged file goes to which final path. It is written
 * before the first move, so a run that finds one finishes the moves a kill interrupted. Paths
 * are relative to the set's root, with "/" between segments. A plan is read back from disk, so
 * decoding trusts nothing: a tampered plan must not move a file out of the root, nor move the
 * user's own files about inside it.
 */

/** The staging area, a directory inside the root. */
export const STAGING_DIR = ".parget-staging";

/** The plan's name inside the staging area. */
export const PLAN_NAME = ".parget-commit-plan.json";

/** What the atomic replace of the plan writes first (io/files.ts, temporaryOf). */
const PLAN_TEMPORARY_NAME = `${PLAN_NAME}.tmp`;

export interface PlannedMove {
  staged: string;
  final: string;
}

export interface CommitPlan {
  moves: PlannedMove[];
  /** Whether the user allowed existing final files to be replaced; checked before the plan was written. */
  overwrite: boolean;
}

const VERSION = 1;

export type DecodedPlan = { kind: "plan"; plan: CommitPlan } | { kind: "bad"; reason: string };

/** Where the file whose final path is `final` is fetched: the same path under the staging area. */
export const stagedRelativeOf = (final: string): string => `${STAGING_DIR}/${final}`;

/**
 * Why `path` is not a relative path that stays inside the root, or undefined. Backslashes and
 * drive letters are refused too: they would climb out on Windows, and sanitised names hold none.
 */
function relativeProblem(path: string): string | undefined {
  if (path === "") return "it is empty";
  if (/[\\\0]/.test(path)) return "it holds a backslash or a NUL";
  if (/^[a-z]:/i.test(path)) return "it starts with a drive letter";
  for (const segment of path.split("/")) {
    if (segment === "") return "it is absolute or has an empty segment";
    if (segment === "." || segment === "..") return `it has a "${segment}" segment`;
  }
  return undefined;
}

// Compared without case: on a case-insensitive file system ".PARGET-STAGING" is the same place.
const firstSegment = (path: string): string => (path.split("/")[0] ?? "").toLowerCase();

/** Why `final` (relative to the root) cannot be a final path of a set, or undefined. */
export function finalPathProblem(final: string): string | undefined {
  const problem = relativeProblem(final);
  if (problem !== undefined) return problem;
  if (firstSegment(final) === STAGING_DIR) return "it is inside the staging area";
  // Its staged path would be the plan's own.
  if (final === PLAN_NAME || final === PLAN_TEMPORARY_NAME) return "its name is parget's own";
  return undefined;
}

/** Why `staged` (relative to the root) cannot be a staged path, or undefined. */
export function stagedPathProblem(staged: string): string | undefined {
  const problem = relativeProblem(staged);
  if (problem !== undefined) return problem;
  const [area, ...rest] = staged.split("/");
  if (area !== STAGING_DIR || rest.length === 0) {
    return "it is not inside the staging area";
  }
  const inside = rest.join("/");
  if (inside === PLAN_NAME || inside === PLAN_TEMPORARY_NAME) return "it is the plan itself";
  return undefined;
}

/**
 * Why the moves cannot be committed together, or undefined: a path that leaves the root or
 * staging area, two moves sharing a path, or a final path inside another (a file cannot also
 * be a directory). The message names moves by their position only: the paths may be hostile.
 */
export function movesProblem(moves: readonly PlannedMove[]): string | undefined {
  const finals = new Set<string>();
  const staged = new Set<string>();
  for (const [i, move] of moves.entries()) {
    const stagedProblem = stagedPathProblem(move.staged);
    if (stagedProblem !== undefined) return `move ${i + 1}: the staged path ${stagedProblem}`;
    const finalProblem = finalPathProblem(move.final);
    if (finalProblem !== undefined) return `move ${i + 1}: the final path ${finalProblem}`;
    if (staged.has(move.staged)) return `move ${i + 1}: another move has the same staged path`;
    if (finals.has(move.final)) return `move ${i + 1}: another move has the same final path`;
    staged.add(move.staged);
    finals.add(move.final);
  }
  for (const [i, move] of moves.entries()) {
    const segments = move.final.split("/");
    for (let n = 1; n < segments.length; n++) {
      if (finals.has(segments.slice(0, n).join("/"))) {
        return `move ${i + 1}: its final path is inside another move's final path`;
      }
    }
  }
  return undefined;
}

export function encodeCommitPlan(plan: CommitPlan): string {
  return JSON.stringify({
    version: VERSION,
    moves: plan.moves.map(({ staged, final }) => ({ staged, final })),
    overwrite: plan.overwrite,
  });
}

const hasExactly = (value: object, keys: readonly string[]): boolean =>
  Object.keys(value).length === keys.length && keys.every((k) => Object.hasOwn(value, k));

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Refuses anything this code would not have written; the reason never quotes the plan. */
export function decodeCommitPlan(text: string): DecodedPlan {
  const bad = (reason: string): DecodedPlan => ({ kind: "bad", reason });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad("it is not JSON");
  }
  if (!isRecord(raw) || !hasExactly(raw, ["version", "moves", "overwrite"])) {
    return bad("it is not a commit plan");
  }
  if (raw["version"] !== VERSION) return bad("its version is not one this parget knows");
  if (typeof raw["overwrite"] !== "boolean") return bad("its overwrite flag is not a boolean");
  const rawMoves = raw["moves"];
  if (!Array.isArray(rawMoves) || rawMoves.length === 0) return bad("it lists no moves");
  const moves: PlannedMove[] = [];
  for (const [i, move] of rawMoves.entries()) {
    if (
      !isRecord(move) ||
      !hasExactly(move, ["staged", "final"]) ||
      typeof move["staged"] !== "string" ||
      typeof move["final"] !== "string"
    ) {
      return bad(`move ${i + 1} is not a pair of paths`);
    }
    moves.push({ staged: move["staged"], final: move["final"] });
  }
  const problem = movesProblem(moves);
  if (problem !== undefined) return bad(problem);
  return { kind: "plan", plan: { moves, overwrite: raw["overwrite"] } };
}
