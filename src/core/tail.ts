/**
 * End-of-download decisions from measured speeds (bytes per millisecond; undefined when not yet
 * known) and from how long a new request takes to bring its first byte: how much to steal from a
 * lane, whether to bother, when to race a straggler, and when to replace a slow connection. The
 * transfer measures, the planner cuts; this decides between them.
 *
 * Every threshold is a few request round trips, with a floor: a steal or a race costs one request,
 * so on a near server (a millisecond away) the last 100 ms of a slow lane are worth taking over,
 * while 40 ms away it takes longer for a new request to catch up with a stream already flowing.
 */

/** A steal takes at least this much of the thief's own transfer, and never under MIN_STEAL. */
export const STEAL_WORTH_MS = 50;
export const MIN_STEAL = 64 * 1024;
/** A lane that will finish within this (or REQUESTS_WORTH request latencies) is left alone. */
export const STEAL_AFTER_MS = 50;
/** A straggler needs more than this, and over HEDGE_RATIO times the idle lane's time. */
export const HEDGE_AFTER_MS = 80;
export const HEDGE_RATIO = 2;
/** How many request latencies a steal or a race must save at least. */
export const REQUESTS_WORTH = 4;

/** The least time worth taking over: `floorMs`, or a few request latencies when those are longer. */
function worthMs(floorMs: number, latencyMs: number | undefined): number {
  return Math.max(floorMs, REQUESTS_WORTH * (latencyMs ?? 0));
}

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
export function worthStealing(
  theirs: number | undefined,
  left: number,
  latencyMs?: number,
): boolean {
  return theirs === undefined || left / Math.max(theirs, 1e-6) > worthMs(STEAL_AFTER_MS, latencyMs);
}

/** Whether an idle lane, after its request's latency, would finish `left` bytes much sooner. */
export function isStraggler(
  theirs: number | undefined,
  mine: number | undefined,
  left: number,
  latencyMs?: number,
): boolean {
  if (theirs === undefined || mine === undefined) return false;
  const theirMs = left / Math.max(theirs, 1e-6);
  const myMs = (latencyMs ?? 0) + left / Math.max(mine, 1e-6);
  return theirMs > worthMs(HEDGE_AFTER_MS, latencyMs) && theirMs > HEDGE_RATIO * myMs;
}

/**
 * Bytes fetched in vain. A steal cuts the victim's response where the thief's part begins, and
 * what the server had already sent past the cut is lost: what the connection's buffers hold. A
 * race fetches twice what the straggler brings while both run. Together they may cost WASTE_SHARE
 * of the file: a tail is worth a few per cent of traffic, not a quarter of the file. A small file
 * may spend WASTE_FLOOR, a megabyte, which is little traffic, and what its tail is worth.
 */
export const WASTE_SHARE = 0.02;
export const WASTE_FLOOR = 1024 * 1024;

/**
 * What the buffers hold depends on who is behind. A response its reader keeps waiting for is
 * paced by its server or path: about IN_FLIGHT_MS of its speed is on its way. A reader that rarely
 * waits is the one behind (its disk, its CPU, or a server that wrote the whole range at once): the
 * server's send buffer and its own receive buffer are full, IN_FLIGHT_MAX or more (megabytes on
 * Linux). The reader must have waited SERVER_BOUND of the time to count as ahead.
 */
export const IN_FLIGHT_MS = 50;
export const IN_FLIGHT_MAX = 4 * 1024 * 1024;
export const SERVER_BOUND = 0.5;

/**
 * What a response has shown of itself: the bytes it brought in `ms` from its first byte, and how
 * long of that its reader waited for them.
 */
export interface ResponseSoFar {
  bytes: number;
  ms: number;
  waitedMs: number;
}

/**
 * Two things put the reader behind every server at once, whatever its lanes' waits say. An event
 * loop busy SATURATED of the time or more: each lane waits for the others' turns. (Measured on
 * loopback at 16 connections: steals judged by speed alone let nginx send 1.06-1.2x the file once
 * the writes were made on the main thread.) And a speed limit that held the lanes HELD of their
 * time or more: the lanes wait for it, while the servers' bytes pile up in the buffers.
 */
export const SATURATED = 0.9;
export const HELD = 0.1;

/** What a window of the transfer showed: its length, the event loop's busy time, the lanes' holds. */
export interface ReaderWindow {
  ms: number;
  busyMs: number;
  /** Held by a speed limit, all lanes together. */
  heldMs: number;
  lanes: number;
}

/** Whether the reader was behind every server in the window: its loop saturated, or a limit binding. */
export function readerBehind(w: ReaderWindow): boolean {
  if (w.ms <= 0) return false;
  return w.busyMs / w.ms >= SATURATED || w.heldMs / (w.ms * Math.max(1, w.lanes)) >= HELD;
}

/**
 * A response's speed for what it brings while raced: however briefly measured, but over
 * IN_FLIGHT_MS at least (a paced response's first burst is not its speed).
 */
export function roughSpeed(sofar: ResponseSoFar | undefined): number | undefined {
  return sofar && sofar.bytes / Math.max(sofar.ms, IN_FLIGHT_MS);
}

/**
 * What a response has on its way past the reader: IN_FLIGHT_MS of its speed if its reader waits
 * for it; the most while that is not known (measured for under IN_FLIGHT_MS, or the reader does
 * not wait).
 */
export function inFlight(sofar: ResponseSoFar | undefined): number {
  if (!sofar || sofar.ms < IN_FLIGHT_MS || sofar.waitedMs < SERVER_BOUND * sofar.ms) {
    return IN_FLIGHT_MAX;
  }
  return Math.min(IN_FLIGHT_MAX, (sofar.bytes / sofar.ms) * IN_FLIGHT_MS);
}

/** The bytes a steal of `stolen` bytes from the response `victim` may waste. */
export function stealWaste(victim: ResponseSoFar | undefined, stolen: number): number {
  return Math.min(stolen, inFlight(victim));
}

/**
 * The bytes racing a straggler for its `left` bytes may waste: both fetch what it brings until the
 * racer's first byte, and again until the racer is done; then its response is cut.
 */
export function raceWaste(
  straggler: ResponseSoFar | undefined,
  mine: number | undefined,
  left: number,
  latencyMs?: number,
): number {
  const theirs = roughSpeed(straggler);
  if (theirs === undefined || mine === undefined) return left;
  const twice = theirs * ((latencyMs ?? 0) + left / Math.max(mine, 1e-6));
  return Math.min(left, twice) + inFlight(straggler);
}

/** Whether a steal or race wasting `waste` bytes fits in the file's budget, `spent` of it gone. */
export function affordable(waste: number, spent: number, size: number): boolean {
  return spent + waste <= Math.max(WASTE_FLOOR, WASTE_SHARE * size);
}

/** The least a lane should steal: smaller pieces are worth a request at lower rates. */
export function stealMinimum(mine: number, latencyMs?: number): number {
  return Math.max(MIN_STEAL, Math.round(mine * worthMs(STEAL_WORTH_MS, latencyMs)));
}

/**
 * Replacing a connection: one far slower than the others (an unlucky CDN edge or path) is closed
 * and its lane reconnects, which may land somewhere faster. Stealing keeps a slow connection busy
 * but cannot make it faster; only a new connection can.
 */
export const REPLACE_RATIO = 3;
/** A connection is judged only after this long on one response... */
export const REPLACE_AFTER_MS = 1000;
/** ...and replaced only while the download has this long left (a new one must pay for itself). */
export const REPLACE_LEFT_MS = 2000;
/** Replacements per lane: a lane whose every connection is slow is simply slow. */
export const MAX_REPLACEMENTS = 2;

export interface ReplaceQuestion {
  /** Bytes per millisecond of the lane's current response, measured for `measuredMs`. */
  speed: number;
  measuredMs: number;
  /** The current speeds of the other lanes that have one. */
  others: readonly number[];
  /** Bytes still to fetch in the whole download. */
  left: number;
  /** Times this lane's connection was replaced already. */
  replaced: number;
}

/** Whether to close a lane's connection and let it reconnect. */
export function shouldReplace(q: ReplaceQuestion): boolean {
  if (q.replaced >= MAX_REPLACEMENTS || q.measuredMs < REPLACE_AFTER_MS) return false;
  // A median of at least three: two lanes cannot say which of them is the odd one.
  if (q.others.length < 3) return false;
  if (q.speed * REPLACE_RATIO >= median(q.others)) return false;
  const total = q.others.reduce((sum, s) => sum + s, q.speed);
  return q.left / total > REPLACE_LEFT_MS;
}

/** The middle value (the upper one of an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
