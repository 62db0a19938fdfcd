/**
 * A lane's life: one connection's loop, as a table of transitions. The lane (src/lane.ts) moves
 * only along these edges; anything else is a bug and throws. Why a response was cancelled is a
 * value (CancelReason) set by whoever cancels it, so nobody guesses afterwards.
 *
 *   idle ──assigned──► requesting ──answered──► receiving ──finished──► idle
 *    │                    │                        │ ├──short──► backoff ──retry──► requesting
 *    │                    └──failed──► backoff     │ ├──replaced──► replaced ──reconnect──► idle
 *    ├──first──► receiving (the probe's response)  │ └──drain──► draining ──finished/short──► left
 *    ├──complete──► done
 *    └──stop──► left      (above the ramp's target, draining, or failing; from every live state)
 *   backoff ──refused──► retired   (the server will not take this connection; adaptive only)
 *   backoff ──finished──► idle     (another lane brought the rest meanwhile)
 */

export type LaneState =
  /** Holds no segment: asks the planner, or waits for a segment to finish or be left. */
  | "idle"
  /** A range request for its segment is out; no answer yet. */
  | "requesting"
  /** Writing a response's body into its segment. */
  | "receiving"
  /** Waiting before asking again for the rest of its segment. */
  | "backoff"
  /** Its response was cancelled to replace a slow connection; it leaves the rest of the segment. */
  | "replaced"
  /** The transfer drains: this response may finish its segment, then the lane stops. */
  | "draining"
  /** Stopped: every byte is written. */
  | "done"
  /** Stopped before the end: above the ramp's target, draining, or the transfer failed. */
  | "left"
  /** Stopped: the server refused this connection, and the ramp let it go. */
  | "retired";

export type LaneEvent =
  | "assigned"
  | "first"
  | "complete"
  | "stop"
  | "answered"
  | "failed"
  | "refused"
  | "finished"
  | "short"
  | "replaced"
  | "drain"
  | "retry"
  | "reconnect";

export const LANE_TRANSITIONS: Readonly<
  Record<LaneState, Readonly<Partial<Record<LaneEvent, LaneState>>>>
> = {
  idle: { assigned: "requesting", first: "receiving", complete: "done", stop: "left" },
  requesting: { answered: "receiving", failed: "backoff", stop: "left" },
  receiving: {
    finished: "idle",
    short: "backoff",
    replaced: "replaced",
    drain: "draining",
    stop: "left",
  },
  backoff: { retry: "requesting", finished: "idle", refused: "retired", stop: "left" },
  replaced: { reconnect: "idle", stop: "left" },
  draining: { finished: "left", short: "left", replaced: "left", stop: "left" },
  done: {},
  left: {},
  retired: {},
};

/** The state after `event`; throws on an edge the table does not have. */
export function laneTransition(state: LaneState, event: LaneEvent): LaneState {
  const next = LANE_TRANSITIONS[state][event];
  if (next === undefined) throw new Error(`bug: a lane cannot go from ${state} on ${event}`);
  return next;
}

/** Whether a lane in this state has stopped for good. */
export function isFinal(state: LaneState): boolean {
  return Object.keys(LANE_TRANSITIONS[state]).length === 0;
}

/**
 * Why a response was cancelled, set by whoever cancels it; read by the lane when its body stops.
 * - "complete": its segment was finished by a lane racing it (a hedge it lost), or stolen whole.
 * - "replace": its connection was far slower than the others; the lane reconnects.
 * A transfer that fails or is aborted stops every body through its signal instead.
 */
export type CancelReason = "complete" | "replace";

/** What a lane does once a response's body has stopped, whether it ended, failed or was cancelled. */
export function afterBody(q: {
  /** Why it was cancelled, if it was. */
  cancelled: CancelReason | undefined;
  /** The transfer is failing or aborted. */
  stopped: boolean;
  /** Bytes of the segment are still unclaimed. */
  unfinished: boolean;
}): "finished" | "short" | "replaced" | "stop" {
  if (q.stopped) return "stop";
  if (q.cancelled === "replace") return "replaced";
  // Ended, failed or cancelled, a segment with nothing left to fetch is finished; one with bytes
  // left (a reset, a stall, a body short of its length) is retried from where it stopped.
  return q.unfinished ? "short" : "finished";
}
