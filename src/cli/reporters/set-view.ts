/** What the human-readable reporters know of a set: each file's latest state, from its events. */
import { basename } from "node:path";
import type { SetEvent } from "../../index.js";
import { errorMessage, urlLabel } from "./format.js";

/** The events about one file: all but "summary". */
export type FileEvent = Exclude<SetEvent, { type: "summary" }>;

export type Phase =
  | "queued"
  /** It has reported something (a retry, "start") but no progress yet. */
  | "connecting"
  | "fetching"
  | "verifying"
  | "saved"
  | "skipped"
  | "failed"
  | "cancelled";

const FINISHED: ReadonlySet<Phase> = new Set(["saved", "skipped", "failed", "cancelled"]);
/** Files that will not be on disk at the end: the totals leave them out. */
const LOST: ReadonlySet<Phase> = new Set(["failed", "cancelled"]);

export interface FileView {
  readonly id: number;
  /** The file's base name once its path is known, before that its URL's `host/path`. */
  name: string;
  /** Known from "start" on. */
  path: string | null;
  phase: Phase;
  size: number | null;
  /** Bytes on disk, resumed ones included. */
  bytes: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  activeConnections: number;
  /** While verifying: the digests being checked. */
  algorithms: string[];
}

export interface Failure {
  name: string;
  message: string;
}

export interface Totals {
  files: number;
  finished: number;
  /** Bytes on disk of the files that are, or will be, saved. */
  bytes: number;
  /** Their sizes, as far as known. */
  size: number;
  /** Some file's size is not known yet: `size` is a lower bound. */
  sizeUnknown: boolean;
  bytesPerSecond: number;
  /** Only when every size is known. */
  etaSeconds: number | null;
}

export class SetView {
  readonly #files = new Map<number, FileView>();
  /** In the order they happened, with their one-line messages. */
  readonly failures: Failure[] = [];
  /** Files saved in this run and checked against at least one digest. */
  savedVerified = 0;

  get size(): number {
    return this.#files.size;
  }

  /** Records the event; returns the file it is about. */
  apply(e: FileEvent): FileView {
    const file = this.#file(e.id, "url" in e ? e.url : e.type === "skipped" ? e.result.url : "");
    switch (e.type) {
      case "queued":
        return file;
      case "start":
        this.#named(file, e.path);
        file.phase = "connecting";
        file.size = e.size;
        file.bytes = e.resumedBytes;
        return file;
      case "progress":
        file.phase = "fetching";
        file.bytes = e.bytes;
        file.size = e.size;
        file.bytesPerSecond = e.bytesPerSecond;
        file.etaSeconds = e.etaSeconds;
        file.activeConnections = e.activeConnections;
        return file;
      case "restart":
        file.bytes = 0;
        return file;
      case "retry":
      case "reconnect":
        if (file.phase === "queued") file.phase = "connecting";
        return file;
      case "verifying":
        file.phase = "verifying";
        file.algorithms = e.algorithms;
        return file;
      case "done":
      case "skipped":
        this.#named(file, e.result.path);
        file.phase = e.type === "done" ? "saved" : "skipped";
        file.size = e.result.size;
        file.bytes = e.result.size;
        if (e.type === "done" && e.result.verified.length > 0) this.savedVerified++;
        return file;
      case "failed":
      case "cancelled":
        if (e.path !== null) this.#named(file, e.path);
        file.phase = e.type;
        if (e.type === "failed") {
          this.failures.push({ name: file.name, message: errorMessage(e.error) });
        }
        return file;
    }
  }

  /** Files under way (reported something, not finished), in the order they were added. */
  active(): FileView[] {
    return [...this.#files.values()].filter((f) => f.phase !== "queued" && !FINISHED.has(f.phase));
  }

  totals(): Totals {
    const t: Totals = {
      files: this.#files.size,
      finished: 0,
      bytes: 0,
      size: 0,
      sizeUnknown: false,
      bytesPerSecond: 0,
      etaSeconds: null,
    };
    for (const f of this.#files.values()) {
      if (FINISHED.has(f.phase)) t.finished++;
      if (LOST.has(f.phase)) continue;
      t.bytes += f.bytes;
      if (f.size === null) t.sizeUnknown = true;
      else t.size += f.size;
      if (f.phase === "fetching") t.bytesPerSecond += f.bytesPerSecond;
    }
    if (!t.sizeUnknown && t.bytesPerSecond > 0) {
      t.etaSeconds = Math.max(0, t.size - t.bytes) / t.bytesPerSecond;
    }
    return t;
  }

  #file(id: number, url: string): FileView {
    let file = this.#files.get(id);
    if (file === undefined) {
      file = {
        id,
        name: urlLabel(url),
        path: null,
        phase: "queued",
        size: null,
        bytes: 0,
        bytesPerSecond: 0,
        etaSeconds: null,
        activeConnections: 0,
        algorithms: [],
      };
      this.#files.set(id, file);
    }
    return file;
  }

  #named(file: FileView, path: string): void {
    file.path = path;
    file.name = basename(path);
  }
}
