/**
 * CRC32C (Castagnoli), computed per range as bytes arrive and combined at the end, so the whole
 * file's CRC is known without reading anything back (gsutil does the same for sliced downloads).
 */
import { createRequire } from "node:module";

type Native = typeof import("@node-rs/crc32");
let native: Native | undefined;

/** Reflected Castagnoli polynomial. */
const POLYNOMIAL = 0x82f63b78;

/**
 * Loaded on first use: the addon takes 10-60 ms to load (11-14 ms from a warm page cache), and
 * many runs never need it.
 */
const addon = (): Native => (native ??= createRequire(import.meta.url)("@node-rs/crc32") as Native);

/** CRC32C of `data`, continuing from `previous` (the CRC of the bytes before it). */
export function crc32c(data: Uint8Array, previous = 0): number {
  return addon().crc32c(data, previous) >>> 0;
}

/**
 * CRC-32 (zlib's) of `data`, continuing from `previous`: the write journal's check, from the same
 * addon, which computes it 2.4x faster than CRC32C.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  return addon().crc32(data, previous) >>> 0;
}

/** 8 lower-case hex digits, big-endian: the form `ExpectedDigest.hex` uses. */
export function crc32cHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, "0");
}

// A 32x32 matrix over GF(2); entry i is the image of register bit i. The ones built here advance a
// CRC register as if zero bits had been fed through it (zlib's classic crc32_combine).
type Gf2Matrix = Uint32Array;

function gf2Times(matrix: Gf2Matrix, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) {
    if (vector & 1) sum ^= matrix[i]!;
  }
  return sum >>> 0;
}

function gf2Square(matrix: Gf2Matrix): Gf2Matrix {
  const square = new Uint32Array(32);
  for (let i = 0; i < 32; i++) square[i] = gf2Times(matrix, matrix[i]!);
  return square;
}

/** Lengths are safe integers, so 53 bits of them can be set. */
const LENGTH_BITS = 53;

/** ZEROS[k] advances a register over 2^k zero bytes; built once so each combine only multiplies. */
const ZEROS: readonly Gf2Matrix[] = (() => {
  const oneZeroBit = new Uint32Array(32);
  oneZeroBit[0] = POLYNOMIAL;
  for (let i = 1; i < 32; i++) oneZeroBit[i] = 1 << (i - 1);
  let matrix = gf2Square(gf2Square(gf2Square(oneZeroBit)));
  const table = [matrix];
  for (let k = 1; k < LENGTH_BITS; k++) table.push((matrix = gf2Square(matrix)));
  return table;
})();

/**
 * CRC32C of A followed by B, from CRC(A), CRC(B) and B's length: O(log lengthB), valid for any
 * safe-integer length, including 0 and lengths beyond 2^32.
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) {
    throw new RangeError(
      `crc32cCombine: length must be a safe non-negative integer, got ${lengthB}`,
    );
  }
  // The pre- and post-inversion of both CRCs cancel, so shifting A over |B| zero bytes and
  // adding B's CRC is exact. Bitwise operators would truncate lengths to 32 bits: halve instead.
  let crc = crcA >>> 0;
  for (let k = 0, rest = lengthB; rest > 0; k++, rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) crc = gf2Times(ZEROS[k]!, crc);
  }
  return (crc ^ crcB) >>> 0;
}
