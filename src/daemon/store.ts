/**
 * The daemon's store: one JSON file, `session.json`, replaced atomically (written beside it,
 * flushed, renamed over it, and the directory flushed) after every change.
 *
 * Why a JSON file and not a database: the queue is small (a thousand entries is a few hundred
 * KiB), it is read whole once at start, and a rename is atomic on every file system parget
 * writes to, so a SIGKILL or a power cut leaves the old file or the new one, never half; a
 * full disk fails the write and keeps the old file. It needs nothing beyond Node, and a person
 * can read it. Writes are coalesced: a change made while one is being written is carried by the
 * next, so a burst of changes costs two writes, and a call that must be durable before it is
 * answered (addUri) awaits the write that carries it.
 */
import { join } from "node:path";
import { readTextIfExists, replaceFileAtomically, syncDirectory } from "../io/files.js";
import type { Aria2Options, Gid } from "../core/aria2.js";
import type { Status } from "../core/queue.js";
import type { Verification } from "../core/aria2-status.js";

export const SESSION_FILE = "session.json";
const VERSION = 1;

export interface StoredEntry {
  gid: Gid;
  uris: string[];
  /** aria2's options as the client gave them (strings). */
  options: Aria2Options;
  status: Status;
  /** The final path, once known. */
  path: string | null;
  totalLength: number | null;
  completedLength: number;
  errorCode?: number;
  errorMessage?: string;
  verification?: Verification;
}

export interface StoredSession {
  version: typeof VERSION;
  /** Active first (in start order), then waiting and paused (in queue order), then stopped. */
  entries: StoredEntry[];
}

export class Store {
  readonly path: string;
  readonly #dir: string;
  readonly #snapshot: () => StoredSession;
  #writing: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(dir: string, snapshot: () => StoredSession) {
    this.#dir = dir;
    this.path = join(dir, SESSION_FILE);
    this.#snapshot = snapshot;
  }

  /** The session saved in `dir`, if any; a file that is not one is an error, never ignored. */
  static async read(dir: string): Promise<StoredSession | undefined> {
    const path = join(dir, SESSION_FILE);
    const text = await readTextIfExists(path);
    if (text === undefined) return undefined;
    let session: unknown;
    try {
      session = JSON.parse(text);
    } catch {
      throw new Error(`${path} is not JSON; move it away to start with an empty queue`);
    }
    const s = session as Partial<StoredSession> | null;
    if (s?.version !== VERSION || !Array.isArray(s.entries)) {
      throw new Error(`${path} is not a parget session (version ${VERSION})`);
    }
    return s as StoredSession;
  }

  /**
   * Writes the current state (taken when the write starts, so it carries every change made
   * before). Resolves once it is durable; rejects if this write failed (the old file stays).
   */
  save(): Promise<void> {
    this.#queued ??= this.#writing
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        const write = this.#write();
        this.#writing = write;
        return write;
      });
    return this.#queued;
  }

  async #write(): Promise<void> {
    await replaceFileAtomically(this.path, `${JSON.stringify(this.#snapshot())}\n`);
    await syncDirectory(this.#dir);
  }

  /** Waits for the writes in flight. */
  async flush(): Promise<void> {
    await this.#queued?.catch(() => {});
    await this.#writing.catch(() => {});
  }
}
