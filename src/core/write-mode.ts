/**
 * How the partial file is written: straight from the main thread while writes are fast, through
 * libuv's thread pool while they are slow.
 *
 * A write into the page cache is a memory copy (~0.1 ms for 512 KiB). Handing it to the pool costs
 * more than the copy: waking a pool thread and resolving its promise took 0.35-0.4 CPU s/GiB here
 * (of 2.1), and the reads that arrive while a lane waits land in the transport's ring and are
 * copied once more. But a write the kernel holds back (dirty pages over its limit, a slow or
 * network file system) would stall every connection if made from the main thread, so one slow
 * write sends the writes to the pool, and they come back once the pool's have been fast for a
 * while. The pool's writes are timed without stalling anything, so no write is risked to find
 * out.
 *
 *   direct ──(a write slower than `slowMs(bytes)`)──────────► pooled
 *   pooled ──(FAST_TO_RETURN writes in a row, each fast)────► direct
 *
 * Pure: the caller times each write and reports it.
 */

export type WriteMode = "direct" | "pooled";

/** Fast writes in a row through the pool before the main thread writes again. */
export const FAST_TO_RETURN = 32;

/**
 * The longest a write of `bytes` may take and still count as fast: a fixed 2 ms (a pool write
 * also waits for a thread), plus the bytes at 256 MiB/s, several times slower than a page-cache
 * copy on any machine and several times faster than a disk the kernel throttles to.
 */
export function slowMs(bytes: number): number {
  return 2 + bytes / (256 * 1024);
}

export class WriteModes {
  #mode: WriteMode = "direct";
  #fastInPool = 0;

  get mode(): WriteMode {
    return this.#mode;
  }

  /** A write of `bytes` made in `mode` took `ms`. */
  wrote(mode: WriteMode, bytes: number, ms: number): void {
    const fast = ms <= slowMs(bytes);
    if (!fast) {
      this.#mode = "pooled";
      this.#fastInPool = 0;
    } else if (mode === "pooled" && this.#mode === "pooled") {
      this.#fastInPool++;
      if (this.#fastInPool >= FAST_TO_RETURN) this.#mode = "direct";
    }
  }
}
