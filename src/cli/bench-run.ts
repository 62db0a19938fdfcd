/**
 * Runs the downloads of `parget bench`: each through the public download(), into a fresh
 * directory on tmpfs when there is one, its file deleted as soon as the run is timed. Progress
 * goes to stderr.
 */
import { mkdtemp, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { download, type DownloadEvent, type DownloadOptions } from "../index.js";
import type { Run } from "./bench/plan.js";
import { firstRunText, roundText, runText } from "./bench/report.js";
import { throughput, type RunResult } from "./bench/results.js";
import { speed } from "./reporters/format.js";

/** Options every run shares: headers, proxy, TLS. */
export type BaseOptions = Pick<
  DownloadOptions,
  "headers" | "proxy" | "insecure" | "caCertificates"
>;

/** The prefix of every directory a bench makes: its pid tells whose a leftover would be. */
export const SCRATCH_PREFIX = `parget-bench-${process.pid}-`;

const SHM = "/dev/shm";
/** Room left on tmpfs beside the file, so a bench never fills the memory it lives in. */
const SHM_SPARE = 256 * 1024 * 1024;

/**
 * Where runs write: /dev/shm (memory, so the disk's speed stays out of the numbers) when it has
 * room for `size`, else the system's temporary directory.
 */
export async function scratchBase(size: number): Promise<{ dir: string; tmpfs: boolean }> {
  try {
    const fs = await statfs(SHM);
    if (fs.bavail * fs.bsize >= size + SHM_SPARE) {
      await rm(await mkdtemp(join(SHM, SCRATCH_PREFIX)), { recursive: true });
      return { dir: SHM, tmpfs: true };
    }
  } catch {
    // No /dev/shm, or not writable: the ordinary temporary directory will do.
  }
  return { dir: tmpdir(), tmpfs: false };
}

/** Runs `work` in a fresh directory under `base` and deletes it, whatever happens. */
async function inScratch<T>(base: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(base, SCRATCH_PREFIX));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A signal of one's own that follows `outer`, and a way to let go of `outer` again. Each
 * download() leaves a listener on the signal it was given; a sweep's hundred runs on the user's
 * one signal would pile them up (and the downloads they hold).
 */
function follow(outer: AbortSignal): { signal: AbortSignal; abort(): void; release(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort(outer.reason);
  if (outer.aborted) abort();
  else outer.addEventListener("abort", abort, { once: true });
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    release: () => outer.removeEventListener("abort", abort),
  };
}

/**
 * The size of `url` and whether its server honours ranges, for the price of one response's head
 * (and whatever body arrives before the abort lands): the download stops at its `start` event.
 */
export async function probe(
  url: string,
  options: BaseOptions,
  base: string,
  signal: AbortSignal,
): Promise<{ size: number | null; ranges: boolean }> {
  const stop = follow(signal);
  let start: Extract<DownloadEvent, { type: "start" }> | undefined;
  try {
    return await inScratch(base, async (dir) => {
      try {
        const result = await download(url, {
          ...options,
          dir,
          output: "probe.bin",
          connections: 1,
          signal: stop.signal,
          onEvent: (e) => {
            if (e.type !== "start") return;
            start = e;
            stop.abort();
          },
        });
        return { size: result.size, ranges: result.ranges };
      } catch (err) {
        if (start === undefined || signal.aborted) throw err;
        return { size: start.size, ranges: start.ranges };
      }
    });
  } finally {
    stop.release();
  }
}

/** Says how the sweep goes: a line per finished run, and on a terminal a live line for the current one. */
class SweepProgress {
  readonly #out: NodeJS.WriteStream;
  readonly #total: number;
  readonly #repeats: number;
  readonly #live: boolean;
  /** No estimate was printed before the sweep: give one after the first run. */
  readonly #unestimated: boolean;
  readonly #started = performance.now();

  constructor(out: NodeJS.WriteStream, total: number, repeats: number, estimated: boolean) {
    this.#out = out;
    this.#total = total;
    this.#repeats = repeats;
    this.#live = out.isTTY === true;
    this.#unestimated = !estimated;
  }

  update(run: Run, e?: Extract<DownloadEvent, { type: "progress" }>): void {
    if (!this.#live) return;
    const done = e?.size
      ? `  ${Math.floor((e.bytes / e.size) * 100)}%  ${speed(e.bytesPerSecond)}`
      : "";
    this.#out.write(`\r\x1b[K${runText(run, this.#total, this.#repeats)}${done}`);
  }

  finished(run: Run, result: RunResult): void {
    const line =
      `${runText(run, this.#total, this.#repeats)}: ${speed(throughput(result))} ` +
      `in ${(result.elapsedMs / 1000).toFixed(1)} s`;
    this.#out.write(this.#live ? `\r\x1b[K${line}\n` : `${line}\n`);
    if (this.#unestimated && run.index === 1 && this.#total > 1) {
      this.#out.write(`parget bench: ${firstRunText(result.elapsedMs / 1000, this.#total)}\n`);
    }
    if (this.#repeats > 1 && run.index === this.#total / this.#repeats) {
      const round = (performance.now() - this.#started) / 1000;
      this.#out.write(`parget bench: ${roundText(round, this.#repeats)}\n`);
    }
  }

  close(): void {
    if (this.#live) this.#out.write("\r\x1b[K");
  }
}

/**
 * Runs `runs` in order, appending each result to `results` as it lands (so an interrupted sweep
 * keeps what it measured). Throws the first failure, AbortedError included.
 */
export async function runSweep(options: {
  url: string;
  runs: readonly Run[];
  repeats: number;
  /** Whether the sweep's time was estimated before it began (the embedded server's). */
  estimated: boolean;
  base: BaseOptions;
  scratch: string;
  signal: AbortSignal;
  results: RunResult[];
}): Promise<void> {
  const progress = new SweepProgress(
    process.stderr,
    options.runs.length,
    options.repeats,
    options.estimated,
  );
  try {
    for (const run of options.runs) {
      progress.update(run);
      const own = follow(options.signal);
      const result = await inScratch(options.scratch, (dir) =>
        download(options.url, {
          ...options.base,
          dir,
          output: "bench.bin",
          connections: run.cell.connections,
          ...(run.cell.chunk === "dynamic" ? {} : { chunkSize: run.cell.chunk }),
          signal: own.signal,
          onEvent: (e) => {
            if (e.type === "progress") progress.update(run, e);
          },
        }),
      ).finally(() => own.release());
      const measured: RunResult = {
        cell: run.cell,
        repeat: run.repeat,
        bytes: result.size - result.resumedBytes,
        elapsedMs: result.elapsedMs,
      };
      options.results.push(measured);
      progress.finished(run, measured);
    }
  } finally {
    progress.close();
  }
}
