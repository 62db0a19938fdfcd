/**
 * Sequential digests (SHA-*, MD5) cannot be combined from ranges, so they are fed in file order as
 * the contiguous written prefix (the frontier) grows. CRC-32 and CRC-64/NVME could be combined
 * like CRC32C, but fed here in order they need no combine step. A worker thread does the hashing,
 * off the main thread, which receives from the sockets. A batch written where the worker's input
 * ends (in order) is hashed from the lane's memory, shared with the worker, while it is written:
 * no second pass over it. Bytes written ahead of the frontier are read back once it passes them,
 * while they are still in the page cache; for those the main thread only moves a number in
 * shared memory.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import type { DigestAlgorithm } from "../options.js";
import {
  CELLS,
  FRONTIER,
  FRONTIER_WORKER_SOURCE,
  HASHED,
  READ_BACK,
  WAKE,
} from "./frontier-worker.js";

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
/**
 * A batch is handed over only while the worker has at most this much before it (~3 ms of
 * hashing): the lane waits for its batch to be hashed before filling that memory again. Past a
 * jump of the frontier the worker has more to read back, and the batch joins it later.
 */
const HAND_OVER_BACKLOG = 4 * 1024 * 1024;

interface Run {
  worker: Worker;
  cells: BigInt64Array;
  /** Set by finish(): the worker now hashes to the end, and keeps the process alive meanwhile. */
  final: boolean;
  /** Batches handed over and not yet hashed: where each ends, and who waits for it. */
  handedOver: { end: number; done: () => void; failed: (error: unknown) => void }[];
}

type WorkerMessage = { hashed: number } | { digests: SequentialDigests };

export class FrontierHasher {
  readonly #run: Run | undefined;
  readonly #digests: Promise<SequentialDigests>;
  #frontier = 0;
  /** Where the worker's input ends: the frontier, or past it the last batch handed over. */
  #given = 0;
  #woken = 0;
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
    const cells = new BigInt64Array(new SharedArrayBuffer(CELLS * BigInt64Array.BYTES_PER_ELEMENT));
    const worker = new Worker(FRONTIER_WORKER_SOURCE, {
      eval: true,
      workerData: { path, algorithms: unique, blockSize: BLOCK_SIZE, cells },
    });
    // Until finish() is awaited, a forgotten hasher must not keep the process alive.
    worker.unref();
    const run: Run = { worker, cells, final: false, handedOver: [] };
    const digests = new Promise<SequentialDigests>((resolve, reject) => {
      const fail = (error: unknown): void => {
        for (const batch of run.handedOver.splice(0)) batch.failed(error);
        reject(error);
      };
      worker.on("message", (message: WorkerMessage) => {
        if ("digests" in message) return resolve(message.digests);
        while (run.handedOver[0] && run.handedOver[0].end <= message.hashed) {
          run.handedOver.shift()!.done();
        }
        if (run.handedOver.length === 0 && !run.final) worker.unref();
      });
      worker.once("error", fail);
      worker.once("exit", (code) => {
        fail(new Error(`the frontier hasher stopped before finishing (exit code ${code})`));
      });
    });
    // After an abort nobody awaits the digests, and their rejection is expected.
    digests.catch(() => {});
    return new FrontierHasher(run, digests);
  }

  /** Whether any digest is being computed (the frontier is worth working out). */
  get hashing(): boolean {
    return this.#run !== undefined;
  }

  /** Bytes [0, frontier) are written and may be hashed. Cheap enough to call on every chunk. */
  advance(frontier: number): void {
    if (this.#run === undefined || this.#run.final || frontier <= this.#frontier) return;
    this.#frontier = frontier;
    this.#given = Math.max(this.#given, frontier);
    Atomics.store(this.#run.cells, FRONTIER, BigInt(frontier));
    if (frontier - this.#woken >= WAKE_STEP) {
      this.#woken = frontier;
      this.#wake(this.#run);
    }
  }

  /**
   * Offers the bytes about to be written at `offset`, before the frontier reaches them. Taken
   * when they continue the worker's input, live in shared memory, and the worker is nearly caught
   * up: it then hashes them where they are, and the returned promise resolves once it has (until
   * then the memory must not change). Bytes not taken (undefined) are read back later.
   */
  handOver(offset: number, bytes: Uint8Array): Promise<void> | undefined {
    const run = this.#run;
    if (
      run === undefined ||
      run.final ||
      offset !== this.#given ||
      !(bytes.buffer instanceof SharedArrayBuffer) ||
      this.#given - this.hashedBytes > HAND_OVER_BACKLOG
    ) {
      return undefined;
    }
    const end = offset + bytes.length;
    const hashed = new Promise<void>((done, failed) => run.handedOver.push({ end, done, failed }));
    // A lane waits for it: the process must not end meanwhile.
    run.worker.ref();
    run.worker.postMessage({
      at: offset,
      buffer: bytes.buffer,
      offset: bytes.byteOffset,
      length: bytes.length,
    });
    this.#given = end;
    this.#wake(run);
    return hashed;
  }

  #wake(run: Run): void {
    Atomics.add(run.cells, WAKE, 1n);
    Atomics.notify(run.cells, WAKE);
  }

  /** Hashes up to `size` and resolves each algorithm's lower-case hex digest. */
  async finish(size: number): Promise<SequentialDigests> {
    if (this.#inline) return hashFile(this.#inline.path, this.#inline.algorithms, size);
    if (this.#run !== undefined && !this.#run.final) {
      if (!Number.isSafeInteger(size) || size < this.#given) {
        throw new RangeError(`finish(${size}) is below the bytes already given (${this.#given})`);
      }
      this.#run.final = true;
      this.#run.worker.ref();
      Atomics.store(this.#run.cells, FRONTIER, -BigInt(size) - 1n);
      this.#wake(this.#run);
    }
    return this.#digests;
  }

  /** Bytes hashed so far, for progress; 0 when there is nothing to hash. */
  get hashedBytes(): number {
    return this.#run === undefined ? 0 : Number(Atomics.load(this.#run.cells, HASHED));
  }

  /** Bytes the worker read back from the file (the rest it hashed from batches handed over). */
  get readBackBytes(): number {
    return this.#run === undefined ? 0 : Number(Atomics.load(this.#run.cells, READ_BACK));
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
