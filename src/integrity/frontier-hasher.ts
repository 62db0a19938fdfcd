/**
 * Sequential digests (SHA-*, MD5) cannot be combined from ranges, so they are fed in file order as
 * the contiguous written prefix (the frontier) grows. CRC-32 and CRC-64/NVME could be combined
 * like CRC32C, but fed here in order they need no combine step. A worker thread reads those bytes back while
 * they are still in the page cache; the main thread, which receives from the sockets, only moves a
 * number in shared memory.
 */
import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Worker } from "node:worker_threads";
import type { DigestAlgorithm } from "../options.js";
import { FRONTIER, FRONTIER_WORKER_SOURCE, HASHED } from "./frontier-worker.js";

export type SequentialAlgorithm = Exclude<DigestAlgorithm, "crc32c">;
export type SequentialDigests = Partial<Record<SequentialAlgorithm, string>>;

const BLOCK_SIZE = 1024 * 1024;
/**
 * A file this small is hashed at the end, on the main thread, from the page cache: starting a
 * worker costs more than the hashing (a set of a thousand small files would start a thousand).
 */
const INLINE_MAX = 4 * 1024 * 1024;
const INLINE_ALGORITHMS: ReadonlySet<SequentialAlgorithm> = new Set([
  "sha256",
  "sha512",
  "sha1",
  "md5",
]);
/** Waking an idle worker is a syscall; a busy one rereads the frontier after every block anyway. */
const WAKE_STEP = 1024 * 1024;

interface Run {
  worker: Worker;
  cells: BigInt64Array;
}

export class FrontierHasher {
  readonly #run: Run | undefined;
  readonly #digests: Promise<SequentialDigests>;
  #frontier = 0;
  #woken = 0;
  #final = false;
  #closing: Promise<void> | undefined;

  /** Set when the file is small enough to hash at the end, on this thread. */
  readonly #inline: { path: string; algorithms: SequentialAlgorithm[] } | undefined;

  private constructor(
    run: Run | undefined,
    digests: Promise<SequentialDigests>,
    inline?: { path: string; algorithms: SequentialAlgorithm[] },
  ) {
    this.#run = run;
    this.#digests = digests;
    this.#inline = inline;
  }

  /**
   * Starts hashing the existing file at `path` from byte 0. With no algorithms nothing runs.
   * There is no resume offset: hash states cannot be saved, so a resumed download rehashes its
   * prefix, which the first `advance()` makes available at once.
   */
  static start(
    path: string,
    algorithms: readonly SequentialAlgorithm[],
    size: number | null = null,
  ): FrontierHasher {
    const unique = [...new Set(algorithms)];
    if (unique.length === 0) return new FrontierHasher(undefined, Promise.resolve({}));
    if (size !== null && size <= INLINE_MAX && unique.every((a) => INLINE_ALGORITHMS.has(a))) {
      return new FrontierHasher(undefined, Promise.resolve({}), { path, algorithms: unique });
    }
    const cells = new BigInt64Array(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT));
    // Loaded here: a download with no digest to compute never loads the worker machinery.
    const { Worker } = createRequire(import.meta.url)(
      "node:worker_threads",
    ) as typeof import("node:worker_threads");
    const worker = new Worker(FRONTIER_WORKER_SOURCE, {
      eval: true,
      workerData: { path, algorithms: unique, blockSize: BLOCK_SIZE, cells },
    });
    // Until finish() is awaited, a forgotten hasher must not keep the process alive.
    worker.unref();
    const digests = new Promise<SequentialDigests>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => {
        reject(new Error(`the frontier hasher stopped before finishing (exit code ${code})`));
      });
    });
    // After an abort nobody awaits the digests, and their rejection is expected.
    digests.catch(() => {});
    return new FrontierHasher({ worker, cells }, digests);
  }

  /** Whether any digest is being computed (the frontier is worth working out). */
  get hashing(): boolean {
    return this.#run !== undefined;
  }

  /** Bytes [0, frontier) are written and may be hashed. Cheap enough to call on every chunk. */
  advance(frontier: number): void {
    if (this.#run === undefined || this.#final || frontier <= this.#frontier) return;
    this.#frontier = frontier;
    Atomics.store(this.#run.cells, FRONTIER, BigInt(frontier));
    if (frontier - this.#woken >= WAKE_STEP) {
      this.#woken = frontier;
      Atomics.notify(this.#run.cells, FRONTIER);
    }
  }

  /** Hashes up to `size` and resolves each algorithm's lower-case hex digest. */
  async finish(size: number): Promise<SequentialDigests> {
    if (this.#inline) return hashFile(this.#inline.path, this.#inline.algorithms, size);
    if (this.#run !== undefined && !this.#final) {
      if (!Number.isSafeInteger(size) || size < this.#frontier) {
        throw new RangeError(
          `finish(${size}) is below the frontier already given (${this.#frontier})`,
        );
      }
      this.#final = true;
      this.#run.worker.ref();
      Atomics.store(this.#run.cells, FRONTIER, -BigInt(size) - 1n);
      Atomics.notify(this.#run.cells, FRONTIER);
    }
    return this.#digests;
  }

  /** Bytes hashed so far, for progress; 0 when there is nothing to hash. */
  get hashedBytes(): number {
    return this.#run === undefined ? 0 : Number(Atomics.load(this.#run.cells, HASHED));
  }

  /** Stops the worker (on abort or error); a pending finish() rejects. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??=
      this.#run === undefined ? Promise.resolve() : this.#run.worker.terminate().then(() => {});
    return this.#closing;
  }
}

/** The digests of the first `size` bytes of a (small) file, read in blocks. */
async function hashFile(
  path: string,
  algorithms: readonly SequentialAlgorithm[],
  size: number,
): Promise<SequentialDigests> {
  const { createHash } = await import("node:crypto");
  const hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)] as const);
  const handle = await open(path, "r");
  try {
    const block = Buffer.allocUnsafe(Math.max(1, Math.min(BLOCK_SIZE, size)));
    for (let at = 0; at < size;) {
      const { bytesRead } = await handle.read(block, 0, Math.min(block.length, size - at), at);
      if (bytesRead === 0) throw new Error(`${path} ends at byte ${at}, before ${size}`);
      for (const [, hash] of hashes) hash.update(block.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest("hex")]));
}
