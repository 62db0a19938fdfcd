/**
 * End-of-download decisions from measured speeds (bytes per millisecond; undefined when not yet
 * known): how much to steal from a lane, whether to bother, and when to race a straggler. The
 * transfer measures, the planner cuts; this decides between them.
 */

/** A steal takes at least this long of the thief's own transfer, and never under MIN_STEAL. */
export const STEAL_WORTH_MS = 150;
export const MIN_STEAL = 64 * 1024;
/** A lane that will finish within this is left alone: a steal costs a request and a cut. */
export const STEAL_AFTER_MS = 400;
/** A straggler needs more than HEDGE_AFTER_MS, and over HEDGE_RATIO times the idle lane's time. */
export const HEDGE_AFTER_MS = 500;
export const HEDGE_RATIO = 2;

/**
 * The share of a segment's unfetched bytes a thief takes: half between lanes of about one speed
 * (early rates are noisy, and a lopsided cut between equals only invites a steal back), and in
 * proportion to the speeds from a lane over HEDGE_RATIO times slower.
 */
export function stealShare(theirs: number | undefined, mine: number | undefined): number {
  if (theirs === undefined || mine === undefined || mine < HEDGE_RATIO * theirs) return 0.5;
  return mine / (theirs + mine);
}

/** Whether stealing from a lane with `left` bytes to go saves time; an unknown lane is fair game. */
export function worthStealing(theirs: number | undefined, left: number): boolean {
  return theirs === undefined || left / Math.max(theirs, 1e-6) > STEAL_AFTER_MS;
}

/** Whether an idle lane would finish `left` bytes much sooner than the lane that has them. */
export function isStraggler(
  theirs: number | undefined,
  mine: number | undefined,
  left: number,
): boolean {
  if (theirs === undefined || mine === undefined) return false;
  const theirMs = left / Math.max(theirs, 1e-6);
  return theirMs > HEDGE_AFTER_MS && theirMs > HEDGE_RATIO * (left / Math.max(mine, 1e-6));
}

/** The least a lane should steal: smaller pieces are worth a request at lower rates. */
export function stealMinimum(mine: number): number {
  return Math.max(MIN_STEAL, Math.round(mine * STEAL_WORTH_MS));
}
