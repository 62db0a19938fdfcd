/**
 * The daemon's queue, as aria2 keeps it: every download has a status, the waiting ones (paused
 * included) an order that changePosition moves, and the stopped ones the order they stopped in.
 * Pure: the runner asks which downloads to start, and reports what happened as events.
 *
 * A download's life:
 *
 *   | status   | event      | next     | when                                                   |
 *   | -------- | ---------- | -------- | ------------------------------------------------------ |
 *   | waiting  | start      | active   | a slot is free and it is first in line                 |
 *   | waiting  | pause      | paused   | pause, pauseAll                                        |
 *   | waiting  | remove     | removed  | remove, forceRemove                                    |
 *   | active   | pause      | paused   | pause: its transfer stops, its partial data stays      |
 *   | active   | remove     | removed  | remove: its transfer stops, its partial data stays     |
 *   | active   | complete   | complete | saved (or already saved) and verified                  |
 *   | active   | fail       | error    | the download failed                                    |
 *   | active   | requeue    | waiting  | the daemon stopped (or restarted) while it ran         |
 *   | paused   | unpause    | waiting  | unpause, unpauseAll                                    |
 *   | paused   | remove     | removed  | remove                                                 |
 *
 * complete, error and removed are stopped: they only leave the queue when purged.
 */
import type { Gid } from "./aria2.js";

export type Status = "waiting" | "active" | "paused" | "complete" | "error" | "removed";
export type QueueEvent = "start" | "pause" | "unpause" | "remove" | "complete" | "fail" | "requeue";

export const TRANSITIONS: Readonly<Record<Status, Partial<Readonly<Record<QueueEvent, Status>>>>> =
  {
    waiting: { start: "active", pause: "paused", remove: "removed" },
    active: {
      pause: "paused",
      remove: "removed",
      complete: "complete",
      fail: "error",
      requeue: "waiting",
    },
    paused: { unpause: "waiting", remove: "removed" },
    complete: {},
    error: {},
    removed: {},
  };

export const STOPPED: ReadonlySet<Status> = new Set(["complete", "error", "removed"]);

/** aria2's changePosition origins. */
export type PositionHow = "POS_SET" | "POS_CUR" | "POS_END";

export class QueueError extends Error {}

/**
 * Where an entry at `current` of a list of `length` moves: `pos` from the start (POS_SET), from
 * where it is (POS_CUR) or from the last place (POS_END); clamped into the list, as aria2 does.
 */
export function targetPosition(
  current: number,
  length: number,
  pos: number,
  how: PositionHow,
): number {
  const base = how === "POS_SET" ? 0 : how === "POS_CUR" ? current : length - 1;
  return Math.min(Math.max(base + pos, 0), Math.max(length - 1, 0));
}

/**
 * aria2's paging for tellWaiting and tellStopped: `offset` from the start, or, when negative,
 * counted from the end and read backwards.
 */
export function page<T>(list: readonly T[], offset: number, num: number): T[] {
  if (num <= 0) return [];
  if (offset >= 0) return list.slice(offset, offset + num);
  const start = list.length + offset;
  if (start < 0) return [];
  const out: T[] = [];
  for (let i = start; i >= 0 && out.length < num; i--) out.push(list[i]!);
  return out;
}

export class Queue {
  readonly #status = new Map<Gid, Status>();
  /** Waiting and paused, in the order they start. */
  #waiting: Gid[] = [];
  /** In the order they started. */
  #active: Gid[] = [];
  /** In the order they stopped. */
  #stopped: Gid[] = [];

  /** Adds a waiting download at the end, or at `position` of the waiting list. */
  add(gid: Gid, position?: number, status: "waiting" | "paused" = "waiting"): void {
    if (this.#status.has(gid)) throw new QueueError(`GID ${gid} is already queued`);
    this.#status.set(gid, status);
    const at =
      position === undefined
        ? this.#waiting.length
        : Math.min(Math.max(position, 0), this.#waiting.length);
    this.#waiting.splice(at, 0, gid);
  }

  /** Restores a stopped download (from the store), at the end of the stopped list. */
  addStopped(gid: Gid, status: "complete" | "error" | "removed"): void {
    if (this.#status.has(gid)) throw new QueueError(`GID ${gid} is already queued`);
    this.#status.set(gid, status);
    this.#stopped.push(gid);
  }

  status(gid: Gid): Status | undefined {
    return this.#status.get(gid);
  }

  has(gid: Gid): boolean {
    return this.#status.has(gid);
  }

  get gids(): Iterable<Gid> {
    return this.#status.keys();
  }

  get active(): readonly Gid[] {
    return this.#active;
  }

  /** Waiting and paused downloads, in the order they start. */
  get waiting(): readonly Gid[] {
    return this.#waiting;
  }

  get stopped(): readonly Gid[] {
    return this.#stopped;
  }

  /** Whether `event` applies to the download now (`apply` would not throw). */
  can(gid: Gid, event: QueueEvent): boolean {
    const status = this.#status.get(gid);
    return status !== undefined && TRANSITIONS[status][event] !== undefined;
  }

  /** Moves the download along the table; throws QueueError for an edge it does not have. */
  apply(gid: Gid, event: QueueEvent): Status {
    const from = this.#status.get(gid);
    if (from === undefined) throw new QueueError(`GID ${gid} is not found`);
    const to = TRANSITIONS[from][event];
    if (to === undefined) throw new QueueError(`GID ${gid} cannot ${event} while ${from}`);
    this.#status.set(gid, to);
    if (from === "active") this.#active = this.#active.filter((g) => g !== gid);
    if (from === "waiting" || from === "paused") {
      if (to !== "waiting" && to !== "paused") {
        this.#waiting = this.#waiting.filter((g) => g !== gid);
      }
    }
    if (to === "active") this.#active.push(gid);
    // A paused or interrupted download goes first in line, where it was when it started.
    if (from === "active" && (to === "paused" || to === "waiting")) this.#waiting.unshift(gid);
    if (STOPPED.has(to)) this.#stopped.push(gid);
    return to;
  }

  /** Moves a waiting (or paused) download; returns its new position. */
  changePosition(gid: Gid, pos: number, how: PositionHow): number {
    const current = this.#waiting.indexOf(gid);
    if (current < 0) throw new QueueError(`GID ${gid} is not in the waiting queue`);
    const to = targetPosition(current, this.#waiting.length, pos, how);
    this.#waiting.splice(current, 1);
    this.#waiting.splice(to, 0, gid);
    return to;
  }

  /** Forgets a stopped download (purgeDownloadResult, removeDownloadResult). */
  purge(gid: Gid): void {
    const status = this.#status.get(gid);
    if (status === undefined || !STOPPED.has(status)) {
      throw new QueueError(`GID ${gid} is not a stopped download`);
    }
    this.#status.delete(gid);
    this.#stopped = this.#stopped.filter((g) => g !== gid);
  }

  /**
   * The waiting downloads to start now: the first in line, skipping paused ones and those
   * `blocked` says cannot start yet (an earlier run still stopping), up to `maxActive` active.
   */
  toStart(maxActive: number, blocked: (gid: Gid) => boolean = () => false): Gid[] {
    const free = maxActive - this.#active.length;
    if (free <= 0) return [];
    const picked: Gid[] = [];
    for (const gid of this.#waiting) {
      if (picked.length >= free) break;
      if (this.#status.get(gid) === "waiting" && !blocked(gid)) picked.push(gid);
    }
    return picked;
  }
}
