import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PLAN_NAME,
  STAGING_DIR,
  decodeCommitPlan,
  encodeCommitPlan,
  finalPathProblem,
  movesProblem,
  stagedRelativeOf,
  type CommitPlan,
  type PlannedMove,
} from "../../src/core/commit-plan.js";

const move = (final: string): PlannedMove => ({ staged: stagedRelativeOf(final), final });

const plan: CommitPlan = {
  moves: [move("a.bin"), move("sub/b.bin"), move("sub/deeper/c d.bin"), move("ünï/ç.txt")],
  overwrite: false,
};

/** The plan as JSON, with `change` applied to its parsed form. */
function tampered(change: (raw: Record<string, unknown>) => void): string {
  const raw = JSON.parse(encodeCommitPlan(plan)) as Record<string, unknown>;
  change(raw);
  return JSON.stringify(raw);
}

function withMoves(moves: unknown): string {
  return tampered((raw) => (raw["moves"] = moves));
}

test("a plan survives a round trip", () => {
  assert.deepEqual(decodeCommitPlan(encodeCommitPlan(plan)), { kind: "plan", plan });
  const replacing = { ...plan, overwrite: true };
  assert.deepEqual(decodeCommitPlan(encodeCommitPlan(replacing)), {
    kind: "plan",
    plan: replacing,
  });
});

test("a staged path is the final path under the staging area", () => {
  assert.equal(stagedRelativeOf("sub/b.bin"), `${STAGING_DIR}/sub/b.bin`);
});

test("a malformed plan is refused", () => {
  const bad = [
    "",
    "{",
    "null",
    "[]",
    '"plan"',
    tampered((raw) => (raw["version"] = 2)),
    tampered((raw) => delete raw["version"]),
    tampered((raw) => delete raw["overwrite"]),
    tampered((raw) => (raw["overwrite"] = "yes")),
    tampered((raw) => (raw["extra"] = 1)),
    withMoves([]),
    withMoves({ 0: move("a.bin") }),
    withMoves([null]),
    withMoves([["staged", "final"]]),
    withMoves([{ staged: `${STAGING_DIR}/a.bin` }]),
    withMoves([{ ...move("a.bin"), extra: 1 }]),
    withMoves([{ staged: 1, final: "a.bin" }]),
    withMoves([{ staged: `${STAGING_DIR}/a.bin`, final: ["a.bin"] }]),
  ];
  for (const text of bad) assert.equal(decodeCommitPlan(text).kind, "bad", text);
});

test("a plan whose paths leave the root, or the staging area, is refused", () => {
  const hostile: PlannedMove[] = [
    // Finals out of the root.
    { staged: `${STAGING_DIR}/a`, final: "/etc/passwd" },
    { staged: `${STAGING_DIR}/a`, final: "../a" },
    { staged: `${STAGING_DIR}/a`, final: ".." },
    { staged: `${STAGING_DIR}/a`, final: "sub/../../a" },
    { staged: `${STAGING_DIR}/a`, final: "..\\a" },
    { staged: `${STAGING_DIR}/a`, final: "C:/Windows/a" },
    { staged: `${STAGING_DIR}/a`, final: "c:a" },
    { staged: `${STAGING_DIR}/a`, final: "" },
    { staged: `${STAGING_DIR}/a`, final: "a\0" },
    // Finals that are not plain paths, or are parget's own.
    { staged: `${STAGING_DIR}/a`, final: "sub//a" },
    { staged: `${STAGING_DIR}/a`, final: "sub/" },
    { staged: `${STAGING_DIR}/a`, final: "./a" },
    { staged: `${STAGING_DIR}/a`, final: STAGING_DIR },
    { staged: `${STAGING_DIR}/a`, final: `${STAGING_DIR}/a` },
    { staged: `${STAGING_DIR}/a`, final: `${STAGING_DIR.toUpperCase()}/a` },
    { staged: `${STAGING_DIR}/a`, final: PLAN_NAME },
    { staged: `${STAGING_DIR}/a`, final: `${PLAN_NAME}.tmp` },
    // Staged files outside the staging area: the user's own files must not be moved about.
    { staged: "a", final: "b" },
    { staged: STAGING_DIR, final: "b" },
    { staged: `${STAGING_DIR}/../a`, final: "b" },
    { staged: `/${STAGING_DIR}/a`, final: "b" },
    { staged: `/tmp/${STAGING_DIR}/a`, final: "b" },
    { staged: `${STAGING_DIR.toUpperCase()}/a`, final: "b" },
    { staged: `${STAGING_DIR}/${PLAN_NAME}`, final: "b" },
    { staged: `${STAGING_DIR}\\..\\a`, final: "b" },
  ];
  for (const m of hostile) {
    const decoded = decodeCommitPlan(withMoves([move("fine.bin"), m]));
    assert.equal(decoded.kind, "bad", JSON.stringify(m));
    assert.match(decoded.kind === "bad" ? decoded.reason : "", /^move 2: /);
  }
});

test("moves that collide are refused, in a plan and before one is written", () => {
  const colliding: PlannedMove[][] = [
    [move("a"), move("a")],
    [move("a"), { staged: `${STAGING_DIR}/a`, final: "b" }],
    [move("a"), move("a/b")],
    [move("a/b/c"), move("a")],
  ];
  for (const moves of colliding) {
    assert.notEqual(movesProblem(moves), undefined, JSON.stringify(moves));
    assert.equal(decodeCommitPlan(withMoves(moves)).kind, "bad", JSON.stringify(moves));
  }
  assert.equal(movesProblem([move("a/b"), move("a/c"), move("ab"), move("b/a")]), undefined);
});

test("the reason a plan is refused never quotes it", () => {
  // A tampered plan could hold terminal escapes; the reason ends up on the user's terminal.
  const escape = "\u009b31m\u001b[2J";
  const decoded = decodeCommitPlan(withMoves([move(`../${escape}`)]));
  assert.equal(decoded.kind, "bad");
  assert.ok(decoded.kind === "bad" && !decoded.reason.includes(escape), JSON.stringify(decoded));
});

test("a final path must be a plain relative path outside the staging area", () => {
  for (const fine of ["a", "a.bin", ".hidden", "sub/a", "a..b", "...", "x/.parget-staging"]) {
    assert.equal(finalPathProblem(fine), undefined, fine);
  }
  for (const bad of ["", "/a", "../a", "a/..", "a/./b", ".parget-staging", ".parget-staging/a"]) {
    assert.notEqual(finalPathProblem(bad), undefined, bad);
  }
});
