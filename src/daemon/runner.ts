/**
 * The daemon's runner: the queue (core/queue.ts) decides, one long-lived DownloadSet acts. The
 * set shares the connection budget between the running files; the queue says which files run
 * (max-concurrent-downloads), so the set's own `jobs` never binds. A pause or a remove cancels
 * the file's run, which keeps its partial data; running it again resumes from that data.
 * Every change is written to the store; `add` answers only once its entry is durable.
 */
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import {
  DownloadSet,
  UsageError,
  parseHttpUrl,
  removeDownloadFiles,
  type DownloadResult,
  type LaneProgress,
  type SetEvent,
} from "../index.js";
import {
  ARIA2_ERROR,
  ENTRY_OPTIONS,
  GLOBAL_OPTIONS,
  findGid,
  entrySettings,
  gidFromBytes,
  globalSettings,
  readOptions,
  type Aria2Options,
  type Gid,
  type GlobalSettings,
} from "../core/aria2.js";
import { plannedPath, type EntryView, type Verification } from "../core/aria2-status.js";
import { Queue, QueueError, STOPPED, type PositionHow, type Status } from "../core/queue.js";
import { confine } from "../core/rpc-guard.js";
import { completedWith, entryOf, failedWith, newEntry, storedOf, type Entry } from "./entry.js";
import { confineReal } from "./paths.js";
import { Store, type StoredEntry, type StoredSession } from "./store.js";

/** What the daemon tells its clients about a download (aria2's notifications, and parget's). */
export type RunnerNotification =
  | { type: "start" | "pause" | "stop" | "complete" | "error"; gid: Gid }
  | { type: "verification"; gid: Gid; verification: Verification };

/** The set's events that end a run. */
const RUN_ENDS: ReadonlySet<SetEvent["type"]> = new Set(["done", "skipped", "failed", "cancelled"]);

/** Stopped downloads kept (aria2's max-download-result): the oldest results go first. */
export const MAX_STOPPED = 1000;

export interface RunnerOptions {
  /** The download root, a real path (no links). */
  root: string;
  /** Where the session is kept. */
  stateDir: string;
  global: GlobalSettings;
  /** Connections open at once, all downloads together. */
  maxConnections?: number;
  maxHostConnections?: number;
  notify: (notification: RunnerNotification) => void;
  /** Where the runner's own lines go (a store that cannot be written). */
  log?: (line: string) => void;
}

export class Runner {
  readonly root: string;
  readonly #queue = new Queue();
  readonly #entries = new Map<Gid, Entry>();
  readonly #set: DownloadSet;
  readonly #store: Store;
  readonly #notify: (n: RunnerNotification) => void;
  readonly #log: (line: string) => void;
  #storeFailing = false;
  /** Set ids of runs in progress, to their downloads. */
  readonly #runs = new Map<number, Gid>();
  /** Downloads between being picked and their set.add(): their paths are being checked. */
  readonly #launching = new Set<Gid>();
  readonly #defaults: GlobalSettings;
  #global: GlobalSettings;
  #globalOptions: Aria2Options = {};
  #stopping = false;
  #idle: (() => void)[] = [];
  /** Woken whenever a run ends or a launch gives up: removeWithData waits for its own. */
  #settling: (() => void)[] = [];

  private constructor(options: RunnerOptions) {
    this.root = options.root;
    this.#notify = options.notify;
    this.#log = options.log ?? (() => {});
    this.#defaults = options.global;
    this.#global = options.global;
    this.#set = new DownloadSet({
      dir: options.root,
      // The queue decides how many run; the set only shares connections between them.
      jobs: 1_000_000,
      ...(options.global.maxOverallDownloadLimit
        ? { totalRateLimit: options.global.maxOverallDownloadLimit }
        : {}),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.maxHostConnections === undefined
        ? {}
        : { maxHostConnections: options.maxHostConnections }),
      onEvent: (event) => this.#onEvent(event),
    });
    this.#store = new Store(options.stateDir, () => this.#snapshot());
  }

  /** Opens the store in `stateDir` and restores what it holds; `start()` runs it. */
  static async open(options: RunnerOptions): Promise<Runner> {
    const session = await Store.read(options.stateDir);
    const runner = new Runner(options);
    for (const stored of session?.entries ?? []) runner.#restore(stored);
    await runner.#store.save();
    runner.#stopping = true;
    return runner;
  }

  /** Continues the active and waiting downloads, from their partial data. */
  start(): void {
    this.#stopping = false;
    this.#pump();
  }

  get storePath(): string {
    return this.#store.path;
  }

  #restore(stored: StoredEntry): void {
    const entry = entryOf(stored);
    this.#entries.set(entry.gid, entry);
    if (STOPPED.has(stored.status)) {
      this.#queue.addStopped(entry.gid, stored.status as "complete" | "error" | "removed");
    } else {
      // What was running when the daemon stopped waits first in line, in the order it ran.
      this.#queue.add(entry.gid, undefined, stored.status === "paused" ? "paused" : "waiting");
    }
  }

  #snapshot(): StoredSession {
    const order = [...this.#queue.active, ...this.#queue.waiting, ...this.#queue.stopped];
    return {
      version: 1,
      entries: order.map((gid) => storedOf(this.#entries.get(gid)!, this.#queue.status(gid)!)),
    };
  }

  /** The GID that `text` names (whole, or a unique prefix). */
  find(text: unknown): Gid {
    const gid = findGid(text, this.#queue.gids);
    if (gid === undefined) throw new QueueError(`GID ${String(text)} is not found`);
    return gid;
  }

  /** Queues a download; resolves with its GID once the store holds it. */
  async add(uris: unknown, input: unknown, position?: unknown): Promise<Gid> {
    if (!Array.isArray(uris) || uris.length === 0 || uris.some((u) => typeof u !== "string")) {
      throw new UsageError("addUri takes a list of URIs");
    }
    if (uris.length > 1) {
      throw new UsageError("parget fetches a file from one URI; mirrors are not supported");
    }
    const url = uris[0] as string;
    parseHttpUrl(url);
    const options = readOptions(input, ENTRY_OPTIONS);
    const settings = entrySettings(options);
    // Refused now rather than when it starts: `..`, absolute paths elsewhere (links: at start).
    confine(this.root, settings.dir, settings.out);
    if (position !== undefined && (!Number.isSafeInteger(position) || (position as number) < 0)) {
      throw new UsageError("position must be a whole number of at least 0");
    }
    const gid = this.#newGid();
    const entry = newEntry(gid, url, options);
    this.#entries.set(gid, entry);
    this.#queue.add(gid, position as number | undefined);
    try {
      await this.#store.save();
    } catch (error) {
      // Not durable, so not added: the client hears of the failure, and nothing is half there.
      this.#entries.delete(gid);
      this.#queue.apply(gid, "remove");
      this.#queue.purge(gid);
      throw error;
    }
    this.#pump();
    return gid;
  }

  /**
   * Writes the change to the store without waiting. A write that fails (a full disk) leaves the
   * previous file whole; the next change writes everything again, so it is said once, not lost.
   */
  #persist(): void {
    this.#store.save().then(
      () => {
        if (this.#storeFailing) this.#log(`the queue is saved again in ${this.#store.path}`);
        this.#storeFailing = false;
      },
      (error: unknown) => this.#storeFailed(error),
    );
  }

  #storeFailed(error: unknown): void {
    if (this.#storeFailing) return;
    this.#storeFailing = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.#log(
      `cannot save the queue (${reason}); the last saved one stays, and every change retries`,
    );
  }

  #newGid(): Gid {
    for (;;) {
      const gid = gidFromBytes(randomBytes(8));
      if (gid !== undefined && !this.#queue.has(gid)) return gid;
    }
  }

  pause(gid: Gid): void {
    this.#transition(gid, "pause");
  }

  unpause(gid: Gid): void {
    this.#transition(gid, "unpause");
  }

  remove(gid: Gid): void {
    this.#transition(gid, "remove");
  }

  /**
   * Removes a download with its data: stops it if it runs, waits until its run has let go of its
   * files, deletes them (the file, its partial data, state and journal), and forgets it. Only
   * files inside the root: the final path's real directory is checked again, so a link put in
   * its place since cannot lead the deletion out.
   */
  async removeWithData(gid: Gid): Promise<void> {
    if (!STOPPED.has(this.#queue.status(gid)!)) this.#transition(gid, "remove");
    const entry = this.#entries.get(gid)!;
    while (entry.run !== undefined || this.#launching.has(gid)) {
      await new Promise<void>((resolve) => this.#settling.push(resolve));
    }
    const path = entry.path ?? this.view(gid).path;
    if (path !== null) {
      const where = await confineReal(this.root, dirname(path), basename(path));
      await removeDownloadFiles(join(where.dir, where.out!));
    }
    if (this.#queue.has(gid)) this.removeResult(gid);
  }

  #settled(): void {
    const waiting = this.#settling;
    this.#settling = [];
    for (const wake of waiting) wake();
  }

  /** Pauses every active and waiting download. */
  pauseAll(): void {
    for (const gid of [...this.#queue.active, ...this.#queue.waiting]) {
      if (this.#queue.can(gid, "pause")) this.#transition(gid, "pause");
    }
  }

  unpauseAll(): void {
    for (const gid of [...this.#queue.waiting]) {
      if (this.#queue.can(gid, "unpause")) this.#transition(gid, "unpause");
    }
  }

  #transition(gid: Gid, event: "pause" | "unpause" | "remove"): void {
    const from = this.#queue.status(gid);
    this.#queue.apply(gid, event);
    const entry = this.#entries.get(gid)!;
    if (from === "active") {
      // Its run stops; the data it wrote stays for the next one.
      if (entry.run !== undefined) this.#set.cancel(entry.run);
      entry.speed = 0;
    }
    if (event === "pause") this.#notify({ type: "pause", gid });
    if (event === "remove") {
      entry.errorCode = ARIA2_ERROR.removed;
      entry.errorMessage = "removed";
      this.#notify({ type: "stop", gid });
      this.#trimStopped();
    }
    this.#persist();
    this.#pump();
  }

  changePosition(gid: Gid, pos: unknown, how: unknown): number {
    if (!Number.isSafeInteger(pos)) throw new UsageError("pos must be a whole number");
    if (how !== "POS_SET" && how !== "POS_CUR" && how !== "POS_END") {
      throw new UsageError("how must be POS_SET, POS_CUR or POS_END");
    }
    const at = this.#queue.changePosition(gid, pos as number, how as PositionHow);
    this.#persist();
    this.#pump();
    return at;
  }

  /**
   * Changes a download's options. While it waits, any of them; while it runs, only its speed
   * limit (the others would need a new run: pause it first).
   */
  changeOption(gid: Gid, input: unknown): void {
    const options = readOptions(input, ENTRY_OPTIONS);
    const entry = this.#entries.get(gid)!;
    const status = this.#queue.status(gid)!;
    if (STOPPED.has(status)) throw new QueueError(`GID ${gid} has stopped`);
    const changed = Object.keys(options);
    if (status === "active" && changed.some((name) => name !== "max-download-limit")) {
      throw new UsageError("only max-download-limit changes while a download runs; pause it first");
    }
    const merged = { ...entry.options, ...options };
    const settings = entrySettings(merged);
    confine(this.root, settings.dir, settings.out);
    entry.options = merged;
    if (entry.run !== undefined && options["max-download-limit"] !== undefined) {
      this.#set.changeRateLimit(entry.run, settings.rateLimit || undefined);
    }
    this.#persist();
  }

  changeGlobalOption(input: unknown): void {
    const options = readOptions(input, GLOBAL_OPTIONS);
    const merged = { ...this.#globalOptions, ...options };
    const settings = globalSettings(merged, this.#defaults);
    this.#globalOptions = merged;
    const limitChanged = settings.maxOverallDownloadLimit !== this.#global.maxOverallDownloadLimit;
    this.#global = settings;
    if (limitChanged) {
      this.#set.changeTotalRateLimit(settings.maxOverallDownloadLimit || undefined);
    }
    this.#pump();
  }

  get global(): GlobalSettings {
    return this.#global;
  }

  options(gid: Gid): Aria2Options {
    return this.#entries.get(gid)!.options;
  }

  /** Its connections while it runs (none otherwise). */
  lanes(gid: Gid): readonly LaneProgress[] {
    return this.#entries.get(gid)!.lanes;
  }

  /** What its run has written (coarsened spans), and the prefix hashed in order, while it runs. */
  written(gid: Gid): { spans: readonly [number, number][]; hashedBytes: number | undefined } {
    const entry = this.#entries.get(gid)!;
    return { spans: entry.written, hashedBytes: entry.hashedBytes };
  }

  verification(gid: Gid): Verification | undefined {
    return this.#entries.get(gid)!.verification;
  }

  get active(): readonly Gid[] {
    return this.#queue.active;
  }

  get waiting(): readonly Gid[] {
    return this.#queue.waiting;
  }

  get stopped(): readonly Gid[] {
    return this.#queue.stopped;
  }

  /** purgeDownloadResult: forgets every stopped download. */
  purge(): void {
    for (const gid of [...this.#queue.stopped]) this.removeResult(gid);
  }

  removeResult(gid: Gid): void {
    this.#queue.purge(gid);
    this.#entries.delete(gid);
    this.#persist();
  }

  view(gid: Gid): EntryView {
    const e = this.#entries.get(gid)!;
    const settings = entrySettings(e.options);
    const where = confine(this.root, settings.dir, settings.out);
    return {
      gid,
      status: this.#queue.status(gid)!,
      uris: e.uris,
      dir: where.dir,
      path: e.path ?? plannedPath(where.dir, where.out),
      totalLength: e.totalLength,
      completedLength: e.completedLength,
      downloadSpeed: e.speed,
      connections: e.connections,
      errorCode: e.errorCode,
      errorMessage: e.errorMessage,
    };
  }

  /** Bytes per second, all active downloads together. */
  get downloadSpeed(): number {
    let sum = 0;
    for (const gid of this.#queue.active) sum += this.#entries.get(gid)!.speed;
    return sum;
  }

  /** Starts what the queue says may start. */
  #pump(): void {
    if (this.#stopping) return;
    const blocked = (gid: Gid): boolean =>
      this.#entries.get(gid)!.run !== undefined || this.#launching.has(gid);
    for (const gid of this.#queue.toStart(this.#global.maxConcurrentDownloads, blocked)) {
      this.#queue.apply(gid, "start");
      this.#notify({ type: "start", gid });
      void this.#launch(gid);
    }
  }

  async #launch(gid: Gid): Promise<void> {
    const entry = this.#entries.get(gid)!;
    this.#launching.add(gid);
    try {
      const settings = entrySettings(entry.options);
      const where = await confineReal(this.root, settings.dir, settings.out);
      // Paused or removed while its paths were checked: it does not run.
      if (this.#queue.status(gid) !== "active" || this.#stopping) return;
      delete entry.errorCode;
      delete entry.errorMessage;
      const id = this.#set.add(entry.uris[0]!, {
        dir: where.dir,
        ...(where.out === undefined ? {} : { output: where.out }),
        ...(settings.connections === undefined ? {} : { connections: settings.connections }),
        ...(settings.checksums === undefined ? {} : { checksums: settings.checksums }),
        ...(settings.headers === undefined ? {} : { headers: settings.headers }),
        ...(settings.overwrite === undefined ? {} : { overwrite: settings.overwrite }),
        ...(settings.rateLimit ? { rateLimit: settings.rateLimit } : {}),
      });
      entry.run = id;
      this.#runs.set(id, gid);
    } catch (error) {
      if (this.#queue.status(gid) === "active") this.#failed(entry, error);
      this.#persist();
      this.#pump();
    } finally {
      this.#launching.delete(gid);
      this.#settled();
    }
  }

  #onEvent(event: SetEvent): void {
    if (event.type === "summary" || event.type === "queued") return;
    const gid = this.#runs.get(event.id);
    if (gid === undefined) return;
    const entry = this.#entries.get(gid);
    if (entry === undefined) {
      // Forgotten (removeDownloadResult, or trimmed) while its run was still stopping: only the
      // run is left to let go of once it ends.
      if (RUN_ENDS.has(event.type)) this.#letGo(event.id);
      return;
    }
    switch (event.type) {
      case "start":
        entry.path = event.path;
        entry.totalLength = event.size;
        entry.completedLength = event.resumedBytes;
        this.#persist();
        return;
      case "progress":
        entry.completedLength = event.bytes;
        entry.totalLength = event.size;
        entry.speed = event.bytesPerSecond;
        entry.connections = event.activeConnections;
        entry.lanes = event.lanes ?? [];
        entry.written = event.written ?? [];
        if (event.hashedBytes === undefined) delete entry.hashedBytes;
        else entry.hashedBytes = event.hashedBytes;
        return;
      case "done":
      case "skipped":
        this.#ended(event.id, entry);
        this.#completed(entry, event.result);
        break;
      case "failed":
        this.#ended(event.id, entry);
        if (this.#queue.status(gid) === "active") this.#failed(entry, event.error);
        break;
      case "cancelled":
        this.#ended(event.id, entry);
        break;
      default:
        return;
    }
    this.#trimStopped();
    this.#persist();
    this.#pump();
  }

  /** Forgets the oldest results past MAX_STOPPED, so the store stays small for a long-lived daemon. */
  #trimStopped(): void {
    const extra = this.#queue.stopped.length - MAX_STOPPED;
    for (const gid of this.#queue.stopped.slice(0, Math.max(0, extra))) {
      this.#queue.purge(gid);
      this.#entries.delete(gid);
    }
  }

  #ended(id: number, entry: Entry): void {
    delete entry.run;
    entry.speed = 0;
    entry.connections = 0;
    entry.lanes = [];
    entry.written = [];
    delete entry.hashedBytes;
    this.#letGo(id);
  }

  /** A run has ended: the set forgets it, and whoever waits for runs to settle is woken. */
  #letGo(id: number): void {
    this.#runs.delete(id);
    this.#set.release(id);
    this.#settled();
    if (this.#runs.size === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const wake of idle) wake();
    }
  }

  #completed(entry: Entry, result: DownloadResult): void {
    completedWith(entry, result);
    // Finished while a pause or remove was on its way: the file is whole all the same, and a
    // rerun finds it in the ledger; its status stays what the client asked.
    if (this.#queue.status(entry.gid) !== "active") return;
    this.#queue.apply(entry.gid, "complete");
    this.#notify({ type: "verification", gid: entry.gid, verification: entry.verification! });
    this.#notify({ type: "complete", gid: entry.gid });
  }

  #failed(entry: Entry, error: unknown): void {
    failedWith(entry, error);
    this.#queue.apply(entry.gid, "fail");
    if (entry.verification?.status === "mismatch") {
      this.#notify({ type: "verification", gid: entry.gid, verification: entry.verification });
    }
    this.#notify({ type: "error", gid: entry.gid });
  }

  /**
   * Stops every run, leaving their downloads active in the store (a restart continues them from
   * their partial data), and waits until the runs have saved their state.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#set.cancel();
    if (this.#runs.size > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#store.save().catch((error: unknown) => this.#storeFailed(error));
    await this.#store.flush();
    await this.#set.close();
  }

  /** Counts for getGlobalStat. */
  counts(): { active: number; waiting: number; stopped: number } {
    return {
      active: this.#queue.active.length,
      waiting: this.#queue.waiting.length,
      stopped: this.#queue.stopped.length,
    };
  }

  statusOf(gid: Gid): Status {
    return this.#queue.status(gid)!;
  }

  /** Waits until the writes of the store in flight are durable (saveSession). */
  async save(): Promise<void> {
    await this.#store.save();
  }
}
