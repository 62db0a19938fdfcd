/**
 * The frontier hasher's worker, as source text run with `new Worker(source, { eval: true })`.
 * A string survives every way parget is shipped: tsx, tsc's dist/ (where a sibling .js file would
 * exist) and the esbuild single-file CLI (where it would not, and where esbuild would rewrite a
 * function's `require` calls if the code were written as a function and sent via toString()).
 * Eval workers are CommonJS, hence `require`; they resolve packages from the current directory,
 * not from parget's, so the worker requires nothing but Node's own modules.
 */

/** Index of the shared cell holding how far the worker may hash, or -(size + 1) once final. */
export const FRONTIER = 0;
/** Index of the shared cell where the worker reports how many bytes it has hashed. */
export const HASHED = 1;

/**
 * CRC-64/NVME (S3's default checksum since 2025): reflected, polynomial 0xad93d23594c93659, all
 * ones in and out. Node has no native one, and the AWS SDK's JS one (@aws-sdk/crc64-nvme) now
 * brings 11 packages and 13 MB with it; this is the same slicing-by-8 table method. JavaScript
 * has no fast 64-bit integers, so the register is two 32-bit halves.
 */
const CRC64_NVME_SOURCE = `
const CRC64_TABLES = (() => {
  const reflected = 0x9a6c9329ac4bc9b5n;
  const high = new Int32Array(8 * 256);
  const low = new Int32Array(8 * 256);
  const wide = new Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = BigInt(i);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ reflected : crc >> 1n;
    wide[i] = crc;
  }
  // Table k advances a byte through k more zero bytes: one lookup per byte of an 8-byte word.
  for (let k = 0; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      if (k > 0) {
        const previous = wide[(k - 1) * 256 + i];
        wide[k * 256 + i] = (previous >> 8n) ^ wide[Number(previous & 0xffn)];
      }
      high[k * 256 + i] = Number(wide[k * 256 + i] >> 32n) | 0;
      low[k * 256 + i] = Number(wide[k * 256 + i] & 0xffffffffn) | 0;
    }
  }
  return { high, low };
})();

function crc64NvmeHash() {
  const { high, low } = CRC64_TABLES;
  let hi = -1;
  let lo = -1;
  return {
    update(bytes) {
      const end = bytes.length;
      let i = 0;
      for (; i + 8 <= end; i += 8) {
        const a = lo ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
        const b = hi ^ (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24));
        const t7 = 1792 + (a & 255), t6 = 1536 + ((a >>> 8) & 255);
        const t5 = 1280 + ((a >>> 16) & 255), t4 = 1024 + (a >>> 24);
        const t3 = 768 + (b & 255), t2 = 512 + ((b >>> 8) & 255);
        const t1 = 256 + ((b >>> 16) & 255), t0 = b >>> 24;
        hi = high[t7] ^ high[t6] ^ high[t5] ^ high[t4] ^ high[t3] ^ high[t2] ^ high[t1] ^ high[t0];
        lo = low[t7] ^ low[t6] ^ low[t5] ^ low[t4] ^ low[t3] ^ low[t2] ^ low[t1] ^ low[t0];
      }
      for (; i < end; i++) {
        const t = (lo ^ bytes[i]) & 255;
        lo = ((lo >>> 8) | (hi << 24)) ^ low[t];
        hi = (hi >>> 8) ^ high[t];
      }
    },
    digest() {
      const half = (n) => (~n >>> 0).toString(16).padStart(8, "0");
      return half(hi) + half(lo);
    },
  };
}
`;

export const FRONTIER_WORKER_SOURCE = `"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const { crc32 } = require("node:zlib");

${CRC64_NVME_SOURCE}

/** CRC-32 (ISO-HDLC, zlib's), as S3's x-amz-checksum-crc32 spells it: 4 big-endian bytes. */
function crc32Hash() {
  let crc = 0;
  return {
    update(bytes) { crc = crc32(bytes, crc); },
    digest() { return (crc >>> 0).toString(16).padStart(8, "0"); },
  };
}

const { path, algorithms, blockSize, cells } = workerData;
const hashes = algorithms.map((algorithm) =>
  algorithm === "crc32" ? crc32Hash()
  : algorithm === "crc64nvme" ? crc64NvmeHash()
  : createHash(algorithm));
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
