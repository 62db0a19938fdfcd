/**
 * A set of downloads under one scheduler: up to `jobs` files at once, sharing one pool of
 * connections (a global budget and a cap per host, src/connection-pool.ts) that core/share.ts
 * hands out between them. A host that refuses a connection lowers its cap for the whole set.
 * Each file is a download() of its own (src/download.ts) with the set's extras: its share of
 * connections, the directory's ledger, and the digests a checksum list gives it.
 *
 *   const set = new DownloadSet({ dir: "model", jobs: 8 });
 *   for (const url of shards) set.add(url);
 *   const { summary } = await set.settled();
 */
import { mkdir } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { performance } from "node:perf_hooks";
import type { DownloadOptions, ExpectedDigest } from "./options.js";
import type { DownloadEvent, FileOutcome, SetEvent, SetResult } from "./events.js";
import { normalizeOptions, positiveInteger } from "./options.js";
import {
  EXIT,
  FileSystemError,
  NotListedError,
  UsageError,
  exitCodeOf,
  redactUrl,
} from "./errors.js";
import { Staging } from "./io/staging.js";
import { exists } from "./io/files.js";
import { resumeIdentity } from "./core/secrets.js";
import { Download } from "./download.js";
import type { ConnectionGrant } from "./transfer.js";
import { ConnectionPool, type LeasedTransport } from "./connection-pool.js";
import { defaultTransport } from "./default-transport.js";
import { Ledger } from "./io/ledger.js";
import { capAfterRefusal, mayStart, shareConnections, type Budget } from "./core/share.js";
import { parseHttpUrl } from "./core/url.js";
import { guardHandler } from "./guard-handler.js";
import { RateLimit } from "./rate-limit.js";

/** The CLI's exit status for an interrupted run: a cancelled file did not finish. */
const CANCELLED = 130;

export const SET_DEFAULTS = {
  /**
   * Files at once. Small files are bound by round trips, so many at once keep the connections
   * busy; large ones lose nothing, since they share the same connections rather than add to them.
   * The per-host cap bounds it anyway for a set from one server.
   */
  jobs: 16,
  /** Connections open at once, all files and hosts together. */
  maxConnections: 64,
  /** Connections open at once to one host: a single file's adaptive cap. */
  maxHostConnections: 16,
} as const;

/** A checksum list (core/checksum-list.ts): the digests it gives a path relative to the set's dir. */
export interface ChecksumLookup {
  source: string;
  lookup(path: string): ExpectedDigest[] | undefined;
}

/** Options for every file of the set, and for the set itself. */
export interface SetOptions extends Omit<
  DownloadOptions,
  "output" | "onEvent" | "progressIntervalMs" | "rateLimit"
> {
  /**
   * Each file's speed limit in bytes per second, unless its entry sets its own; undefined or 0
   * for none. `changeRateLimit` changes one file's while the set runs. @default undefined, none
   */
  rateLimit?: number;
  /**
   * The set's speed limit in bytes per second, all files together, besides each file's own;
   * undefined or 0 for none. `changeTotalRateLimit` changes it while the set runs.
   * @default undefined, none
   */
  totalRateLimit?: number;
  /** Files downloaded at once. @default 16 */
  jobs?: number;
  /** Connections open at once, all files together. @default 64 */
  maxConnections?: number;
  /** Connections open at once to one host. @default 16, or `connections` when higher */
  maxHostConnections?: number;
  /**
   * Digests for the set's files by their path relative to `dir`. A file the list does not name
   * fails (it cannot be verified) instead of passing unchecked.
   */
  checksumList?: ChecksumLookup;
  /**
   * All or nothing: every file is fetched and verified in a staging area inside `dir`
   * (`.parget-staging`), and moved to its final path only once every file of the set is
   * verified. A failure or a kill leaves `dir` as it was and the staged data resumable; a kill
   * during the moves is finished by the next run. @default false
   */
  atomic?: boolean;
  /** Receives every file's events, each with the file's id, and the set's summary. */
  onEvent?: (event: SetEvent) => void;
  progressIntervalMs?: number;
}

/** What one file may set for itself; `dir` is taken relative to the set's `dir`. */
export type EntryOptions = Pick<
  DownloadOptions,
  | "output"
  | "dir"
  | "checksums"
  | "headers"
  | "connections"
  | "chunkSize"
  | "signal"
  | "rateLimit"
  | "overwrite"
>;

interface Entry {
  id: number;
  url: string;
  options: EntryOptions;
  host: string;
  controller: AbortController;
  /** Its speed limit, changeable whether it waits or runs. */
  rateLimit: RateLimit;
  outcome?: FileOutcome;
  /** Set while it runs. */
  running: Running | undefined;
}

interface Running {
  want: number;
  limit: number;
  transfer: { changed(): void } | undefined;
  path: string | null;
}

export class DownloadSet {
  readonly #o: SetOptions;
  readonly #jobs: number;
  readonly #emit: (event: SetEvent) => void;
  readonly #budget: Budget;
  readonly #caps = new Map<string, number>();
  readonly #pool: ConnectionPool;
  readonly #ownsTransport: boolean;
  readonly #entries: Entry[] = [];
  readonly #queue: Entry[] = [];
  readonly #running = new Set<Entry>();
  readonly #ledgers = new Map<string, Promise<Ledger>>();
  /** Final paths taken by the set's files, and by which. */
  readonly #claims = new Map<string, number>();
  readonly #started = performance.now();
  readonly #root: string;
  /** The staging area of an all-or-nothing set, opened (and any interrupted commit finished) once. */
  readonly #staging: Promise<Staging> | undefined;
  #waiters: (() => void)[] = [];
  /** The limit over every file's reads together. */
  readonly #totalRateLimit: RateLimit;

  constructor(options: SetOptions = {}) {
    this.#o = options;
    this.#emit = guardHandler(options.onEvent ?? (() => {}));
    const jobs = positiveInteger("jobs", options.jobs ?? SET_DEFAULTS.jobs);
    const total = positiveInteger(
      "maxConnections",
      options.maxConnections ?? SET_DEFAULTS.maxConnections,
    );
    // A file's own -n above the default cap raises it: one file from one host gets what it asks.
    const perHost = positiveInteger(
      "maxHostConnections",
      options.maxHostConnections ??
        Math.max(SET_DEFAULTS.maxHostConnections, options.connections ?? 0),
    );
    const hostCap = (host: string): number => this.#caps.get(host) ?? perHost;
    this.#budget = { total, hostCap };
    this.#jobs = jobs;
    this.#ownsTransport = options.transport === undefined;
    const { onEvent: _, ...fileOptions } = options;
    const transport = options.transport ?? defaultTransport(normalizeOptions(fileOptions));
    this.#pool = new ConnectionPool(transport, { size: total, hostCap });
    options.signal?.addEventListener("abort", () => this.cancel(), { once: true });
    this.#root = resolve(options.dir ?? ".");
    this.#totalRateLimit = new RateLimit(options.totalRateLimit);
    this.#staging = options.atomic ? Staging.open(this.#root) : undefined;
    // Reported by the first file that needs it.
    this.#staging?.catch(() => {});
  }

  /** Queues a download; returns its id, which every event about it carries. */
  add(url: string, options: EntryOptions = {}): number {
    const parsed = parseHttpUrl(url);
    const entry: Entry = {
      id: this.#entries.length + 1,
      url,
      options,
      host: parsed.origin,
      controller: new AbortController(),
      rateLimit:
        options.rateLimit instanceof RateLimit
          ? options.rateLimit
          : new RateLimit(options.rateLimit ?? this.#o.rateLimit),
      running: undefined,
    };
    this.#entries.push(entry);
    this.#emit({ type: "queued", id: entry.id, url: redactUrl(url) });
    if (this.#o.signal?.aborted || options.signal?.aborted) {
      this.#finish(entry, { status: "cancelled" });
      return entry.id;
    }
    options.signal?.addEventListener("abort", () => this.cancel(entry.id), { once: true });
    this.#queue.push(entry);
    this.#pump();
    return entry.id;
  }

  /** Cancels one download, or all of them; their partial data is kept for a rerun. */
  cancel(id?: number): void {
    for (const entry of this.#entries) {
      if (id !== undefined && entry.id !== id) continue;
      if (entry.outcome) continue;
      const queued = this.#queue.indexOf(entry);
      if (queued >= 0) {
        this.#queue.splice(queued, 1);
        this.#finish(entry, { status: "cancelled" });
      } else {
        entry.controller.abort();
      }
    }
  }

  /**
   * Changes one file's speed limit (bytes per second; undefined or 0 for none), at once if it
   * runs, or for when it starts.
   */
  changeRateLimit(id: number, bytesPerSecond: number | undefined): void {
    const entry = this.#entries[id - 1];
    if (!entry) throw new UsageError(`no download with id ${id} in this set`);
    entry.rateLimit.change(bytesPerSecond);
  }

  /** Changes the set's speed limit over all its files (undefined or 0 for none), at once. */
  changeTotalRateLimit(bytesPerSecond: number | undefined): void {
    this.#totalRateLimit.change(bytesPerSecond);
  }

  /**
   * Resolves once every download added so far has ended (saved, skipped, failed or cancelled),
   * after a "summary" event.
   */
  async settled(): Promise<SetResult> {
    while (this.#entries.some((e) => !e.outcome)) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    const outcomes = this.#entries.map((e) => e.outcome!);
    if (this.#staging) await this.#commit(await this.#staging, outcomes);
    const result = summarize(outcomes, performance.now() - this.#started);
    this.#emit({ type: "summary", summary: result.summary });
    return result;
  }

  /**
   * Forgets which final path an ended download took, so that adding the same file again (a
   * daemon resuming a paused download) may take it; while it runs, its path stays its own.
   */
  release(id: number): void {
    for (const [path, holder] of this.#claims) if (holder === id) this.#claims.delete(path);
  }

  /** Closes the set's connections (those of a transport the caller gave stay the caller's). */
  async close(): Promise<void> {
    if (this.#ownsTransport) await this.#pool.close();
  }

  /** Starts queued files while the set has room: a job slot, and a connection for their host. */
  #pump(): void {
    for (let i = 0; i < this.#queue.length && this.#running.size < this.#jobs;) {
      const entry = this.#queue[i]!;
      const running = [...this.#running];
      if (!mayStart(running, entry.host, this.#budget)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#start(entry);
    }
  }

  #start(entry: Entry): void {
    const running: Running = { want: 1, limit: 1, transfer: undefined, path: null };
    entry.running = running;
    this.#running.add(entry);
    this.#reshare();
    const lease = this.#pool.lease();
    void (async () => {
      try {
        const download = this.#download(entry, lease, await this.#staging);
        const result = await download.run();
        this.#finish(entry, { status: result.skipped ? "skipped" : "saved", result });
      } catch (error) {
        const cancelled = entry.controller.signal.aborted || this.#o.signal?.aborted === true;
        this.#finish(entry, { status: cancelled ? "cancelled" : "failed", error });
      } finally {
        await lease.close();
      }
    })();
  }

  #download(entry: Entry, lease: LeasedTransport, staging: Staging | undefined): Download {
    const { id, options } = entry;
    const running = entry.running!;
    const root = this.#root;
    const dir = resolve(root, options.dir ?? ".");
    const signals = [entry.controller.signal, this.#o.signal].filter((s) => s !== undefined);
    const onEvent = (event: DownloadEvent): void => {
      if (event.type === "start") running.path = event.path;
      // A skipped file reports "skipped", not "done": the set tells them apart.
      if (event.type === "done" && event.result.skipped) {
        running.path = event.result.path;
        this.#emit({ type: "skipped", id, result: event.result });
        return;
      }
      this.#emit({ ...event, id });
    };
    const { onEvent: _, ...shared } = this.#o;
    const normalized = normalizeOptions({
      ...shared,
      ...options,
      headers: { ...this.#o.headers, ...options.headers },
      checksums: [...(this.#o.checksums ?? []), ...(options.checksums ?? [])],
      dir: staging ? stagedDirOf(staging, dir) : dir,
      signal: AbortSignal.any(signals),
      onEvent,
      transport: lease,
      rateLimit: entry.rateLimit,
    });
    const list = this.#o.checksumList;
    if (staging && options.output !== undefined && isAbsolute(options.output)) {
      throw new UsageError(`an all-or-nothing set saves inside ${root}, not at ${options.output}`);
    }
    return new Download(parseHttpUrl(entry.url), normalized, lease, {
      grant: this.#grant(entry),
      totalRateLimit: this.#totalRateLimit,
      ledger: (dir) => this.#ledger(dir),
      ...(staging ? { publishedDir: dir } : {}),
      named: (finalPath: string) => {
        this.#claim(entry, finalPath);
        if (!list) return [];
        const published = staging ? publishedPathOf(staging, finalPath) : finalPath;
        const path = relative(root, published).split(sep).join("/");
        const digests = list.lookup(path);
        if (!digests) throw new NotListedError(path, list.source);
        return digests;
      },
    });
  }

  /** The file's share of connections, as its transfer sees it. */
  #grant(entry: Entry): ConnectionGrant {
    const running = entry.running!;
    const everyFile = (): number => [...this.#running].reduce((n, e) => n + e.running!.limit, 0);
    return {
      get limit() {
        return running.limit;
      },
      get total() {
        return everyFile();
      },
      attach: (transfer) => {
        running.transfer = transfer;
      },
      detach: () => {
        running.transfer = undefined;
      },
      could: (lanes) => this.#shares(entry, lanes).get(entry.id) ?? 1,
      want: (lanes) => {
        if (lanes === running.want) return;
        running.want = Math.max(1, lanes);
        this.#reshare();
      },
      refused: (origin) => {
        const cap = capAfterRefusal(this.#budget.hostCap(origin), this.#pool.inUse(origin));
        if (cap === this.#budget.hostCap(origin)) return;
        this.#caps.set(origin, cap);
        this.#reshare();
      },
    };
  }

  /** Each running file's share, with `entry` wanting `want` instead of what it asked. */
  #shares(entry?: Entry, want?: number): Map<number, number> {
    const demands = [...this.#running].map((e) => ({
      id: e.id,
      host: e.host,
      want: e === entry && want !== undefined ? want : e.running!.want,
    }));
    return shareConnections(demands, this.#budget);
  }

  /** Shares the connections out again, and tells each transfer whose share changed. */
  #reshare(): void {
    const shares = this.#shares();
    for (const entry of this.#running) {
      const running = entry.running!;
      const share = shares.get(entry.id)!;
      if (share === running.limit) continue;
      running.limit = share;
      running.transfer?.changed();
    }
  }

  /**
   * Once every file is verified, records the staged ones in their final directories' ledgers
   * (a rerun after a kill in the moves then skips them) and moves them all. A final path that
   * exists (without `overwrite`) fails its file, and nothing moves.
   */
  async #commit(staging: Staging, outcomes: FileOutcome[]): Promise<void> {
    if (outcomes.some((o) => o.status !== "saved" && o.status !== "skipped")) return;
    const staged = outcomes.filter((o) => isInside(staging.dir, o.result!.path));
    const moves = staged.map((o) => ({
      staged: o.result!.path,
      final: publishedPathOf(staging, o.result!.path),
    }));
    if (!this.#o.overwrite) {
      for (const [i, move] of moves.entries()) {
        if (!(await exists(move.final))) continue;
        const outcome = staged[i]!;
        const error = new FileSystemError(
          `${move.final} already exists (use --overwrite to replace it); nothing of the set was moved`,
          { code: "PARGET_FILE_EXISTS" },
        );
        Object.assign(outcome, { status: "failed", error, exitCode: exitCodeOf(error) });
        this.#emit({ type: "failed", id: outcome.id, url: outcome.url, path: move.final, error });
      }
      if (staged.some((o) => o.status === "failed")) return;
    }
    try {
      for (const [i, move] of moves.entries()) {
        // Every file is verified: the moves are next, and their directories hold their ledgers.
        await mkdir(dirname(move.final), { recursive: true });
        const ledger = await this.#ledger(dirname(move.final));
        await ledger.record(
          {
            name: basename(move.final),
            url: resumeIdentity(parseHttpUrl(this.#entries[staged[i]!.id - 1]!.url)),
            verified: staged[i]!.result!.verified,
          },
          move.staged,
        );
      }
      await staging.commit(moves, { overwrite: this.#o.overwrite ?? false });
    } catch (error) {
      for (const outcome of staged) {
        Object.assign(outcome, { status: "failed", error, exitCode: exitCodeOf(error) });
        this.#emit({ type: "failed", id: outcome.id, url: outcome.url, path: outcome.path, error });
      }
      return;
    }
    for (const [i, move] of moves.entries()) {
      const outcome = staged[i]!;
      outcome.path = move.final;
      outcome.result = { ...outcome.result!, path: move.final };
    }
  }

  /**
   * Two files of one set never share a final path: the later one would write into the same
   * partial file, or replace the earlier one. It fails instead.
   */
  #claim(entry: Entry, finalPath: string): void {
    const holder = this.#claims.get(finalPath);
    if (holder !== undefined && holder !== entry.id) {
      throw new FileSystemError(
        `${finalPath} is also where ${redactUrl(this.#entries[holder - 1]!.url)} is saved; ` +
          "give one of them another name (out= in an input file)",
      );
    }
    this.#claims.set(finalPath, entry.id);
  }

  #ledger(dir: string): Promise<Ledger> {
    let ledger = this.#ledgers.get(dir);
    if (!ledger) {
      ledger = Ledger.load(dir);
      this.#ledgers.set(dir, ledger);
      // A failed read is retried by the next file rather than remembered.
      ledger.catch(() => this.#ledgers.delete(dir));
    }
    return ledger;
  }

  #finish(
    entry: Entry,
    ended: Pick<FileOutcome, "status"> & Partial<Pick<FileOutcome, "result" | "error">>,
  ): void {
    const path = ended.result?.path ?? entry.running?.path ?? null;
    const url = redactUrl(entry.url);
    const exitCode =
      ended.status === "failed"
        ? exitCodeOf(ended.error)
        : ended.status === "cancelled"
          ? CANCELLED
          : EXIT.ok;
    entry.outcome = { id: entry.id, url, path, exitCode, ...ended };
    if (ended.status === "failed") {
      this.#emit({ type: "failed", id: entry.id, url, path, error: ended.error });
    } else if (ended.status === "cancelled") {
      this.#emit({ type: "cancelled", id: entry.id, url, path });
    }
    if (this.#running.delete(entry)) {
      entry.running = undefined;
      this.#reshare();
    }
    this.#pump();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The staging directory that stands for `dir` (inside the set's root) until the commit. */
function stagedDirOf(staging: Staging, dir: string): string {
  const inside = relative(staging.root, dir);
  if (inside.startsWith("..") || isAbsolute(inside)) {
    throw new UsageError(`an all-or-nothing set saves inside ${staging.root}, not in ${dir}`);
  }
  return join(staging.dir, inside);
}

/** Where a file staged at `path` is published. */
function publishedPathOf(staging: Staging, path: string): string {
  return join(staging.root, relative(staging.dir, path));
}

function isInside(dir: string, path: string): boolean {
  const inside = relative(dir, path);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside);
}

/** Downloads every entry as one set; resolves with each file's outcome and the summary. */
export async function downloadAll(
  entries: readonly { url: string; options?: EntryOptions }[],
  options: SetOptions = {},
): Promise<SetResult> {
  const set = new DownloadSet(options);
  try {
    for (const { url, options: own } of entries) set.add(url, own);
    return await set.settled();
  } finally {
    await set.close();
  }
}

export function summarize(outcomes: FileOutcome[], elapsedMs: number): SetResult {
  const count = (status: FileOutcome["status"]): number =>
    outcomes.filter((o) => o.status === status).length;
  const verified = outcomes.filter((o) => (o.result?.verified.length ?? 0) > 0).length;
  const fetchedBytes = outcomes.reduce(
    (sum, o) => sum + (o.result && !o.result.skipped ? o.result.size - o.result.resumedBytes : 0),
    0,
  );
  return {
    outcomes,
    summary: {
      files: outcomes.length,
      saved: count("saved"),
      verified,
      skipped: count("skipped"),
      failed: count("failed"),
      cancelled: count("cancelled"),
      fetchedBytes,
      elapsedMs,
      exitCode: Math.max(EXIT.ok, ...outcomes.map((o) => o.exitCode)),
    },
  };
}
