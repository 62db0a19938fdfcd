/**
 * The frontier hasher's worker, as source text run with `new Worker(source, { eval: true })`.
 * A string survives every way parget is shipped: tsx, tsc's dist/ (where a sibling .js file would
 * exist) and the esbuild single-file CLI (where it would not, and where esbuild would rewrite a
 * function's `require` calls if the code were written as a function and sent via toString()).
 * Eval workers are CommonJS, hence `require`.
 */

/** Index of the shared cell holding how far the worker may hash, or -(size + 1) once final. */
export const FRONTIER = 0;
/** Index of the shared cell where the worker reports how many bytes it has hashed. */
export const HASHED = 1;

export const FRONTIER_WORKER_SOURCE = `"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");

const { path, algorithms, blockSize, cells } = workerData;
const hashes = algorithms.map((algorithm) => createHash(algorithm));
const buffer = Buffer.allocUnsafe(blockSize);
// Synchronous reads: this thread has nothing else to do, and async ones would queue on the
// libuv pool that the main thread's positional writes use.
const fd = openSync(path, "r");
let hashed = 0;
try {
  for (;;) {
    const signal = Atomics.load(cells, ${FRONTIER});
    const limit = signal < 0n ? Number(-signal - 1n) : Number(signal);
    if (hashed < limit) {
      const read = readSync(fd, buffer, 0, Math.min(blockSize, limit - hashed), hashed);
      if (read === 0) throw new Error(path + " ends at byte " + hashed + ", before the frontier " + limit);
      const bytes = buffer.subarray(0, read);
      for (const hash of hashes) hash.update(bytes);
      hashed += read;
      Atomics.store(cells, ${HASHED}, BigInt(hashed));
    } else if (signal < 0n) {
      break;
    } else {
      // Returns at once if the frontier moved since it was loaded, so no wake-up is lost.
      Atomics.wait(cells, ${FRONTIER}, signal);
    }
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage(Object.fromEntries(algorithms.map((algorithm, i) => [algorithm, hashes[i].digest("hex")])));
`;
