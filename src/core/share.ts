/**
 * How a set shares its connections between the files running at once. Pure: the scheduler
 * (src/set.ts) feeds it what each running file wants and applies the answer.
 *
 * Every running file holds one connection, its first. The rest of the global budget is handed out
 * one connection at a time to the file holding the fewest among those that want more, within each
 * host's cap; ties go to the file that started first, so files finish one after another rather
 * than all at the end. A small file wants one connection and gets one; a large one that ramps up
 * gets what the others leave; a connection freed by a finished file goes to one that wants it.
 */

export interface Demand {
  id: number;
  /** The origin the file is fetched from: connections are capped per host. */
  host: string;
  /** Connections the file would use now (its ramp's target, capped by the work left); at least 1. */
  want: number;
}

export interface Budget {
  /** Connections open at once, all hosts together. */
  total: number;
  /** Connections open at once to one host. */
  hostCap: (host: string) => number;
}

/** Each running file's share of connections, by id: at least 1, at most what it wants. */
export function shareConnections(demands: readonly Demand[], budget: Budget): Map<number, number> {
  const shares = new Map(demands.map((d) => [d.id, 1]));
  const perHost = new Map<string, number>();
  for (const d of demands) perHost.set(d.host, (perHost.get(d.host) ?? 0) + 1);
  let used = demands.length;
  for (;;) {
    if (used >= budget.total) return shares;
    let pick: Demand | undefined;
    for (const d of demands) {
      const share = shares.get(d.id)!;
      if (share >= d.want || perHost.get(d.host)! >= budget.hostCap(d.host)) continue;
      if (pick === undefined || share < shares.get(pick.id)!) pick = d;
    }
    if (pick === undefined) return shares;
    shares.set(pick.id, shares.get(pick.id)! + 1);
    perHost.set(pick.host, perHost.get(pick.host)! + 1);
    used++;
  }
}

/**
 * Whether another file may start: it needs a connection of its own, so the set must hold fewer
 * running files than the budget, and its host fewer than its cap.
 */
export function mayStart(
  running: readonly Pick<Demand, "host">[],
  host: string,
  budget: Budget,
): boolean {
  if (running.length >= budget.total) return false;
  return running.filter((d) => d.host === host).length < budget.hostCap(host);
}

/**
 * The host's cap after it refused a connection (429, 503, a reset or a refused connect): one
 * below the connections it holds, never below one. A refused connection stops counting while it
 * waits to retry, so a burst of refusals brings the cap down to the connections the host
 * accepted. Like a file's ramp, it never grows back.
 */
export function capAfterRefusal(cap: number, heldOnHost: number): number {
  return Math.max(1, Math.min(cap, heldOnHost - 1));
}
