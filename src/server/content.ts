/**
 * Served files are generated, not stored: an AES-128-CTR keystream is a pseudo-random byte stream
 * that any range of can be produced without the rest, at GB/s, from a seed alone.
 */
import { createCipheriv, createHash, type Cipher } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";

/** What a served file contains: literal bytes, or `size` bytes of the stream named by `seed`. */
export type Content = Buffer | { seed: string; size: number };

export type ContentDigestAlgorithm = "sha256" | "sha512" | "sha1" | "md5";

const BLOCK = 16;
// The keystream is the encryption of zeros; this buffer is only ever read.
const ZEROS = Buffer.alloc(4 * 1024 * 1024);

function keystreamAt(seed: string, offset: number): { cipher: Cipher; skip: number } {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const iv = Buffer.alloc(BLOCK);
  // OpenSSL's CTR mode increments the whole 128-bit big-endian counter, so block n's counter is n.
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / BLOCK)), 8);
  return { cipher: createCipheriv("aes-128-ctr", key, iv), skip: offset % BLOCK };
}

function zeros(length: number): Buffer {
  return length <= ZEROS.length ? ZEROS.subarray(0, length) : Buffer.alloc(length);
}

/** Bytes `offset .. offset+length-1` of the stream named by `seed`. */
export function generateContent(seed: string, offset: number, length: number): Buffer {
  const { cipher, skip } = keystreamAt(seed, offset);
  return cipher.update(zeros(skip + length)).subarray(skip);
}

export function contentSize(content: Content): number {
  return Buffer.isBuffer(content) ? content.length : content.size;
}

/** Reads a file's bytes in order from `offset`; one cipher serves a whole response. */
export function openContent(content: Content, offset: number): (length: number) => Buffer {
  if (Buffer.isBuffer(content)) {
    let at = offset;
    return (length) => content.subarray(at, (at += length));
  }
  const { cipher, skip } = keystreamAt(content.seed, offset);
  cipher.update(zeros(skip));
  return (length) => cipher.update(zeros(length));
}

/** Hex digest of the first `size` bytes of the stream named by `seed`. */
export async function digestOfContent(
  seed: string,
  size: number,
  algorithm: ContentDigestAlgorithm,
): Promise<string> {
  const hash = createHash(algorithm);
  const read = openContent({ seed, size }, 0);
  for (let at = 0; at < size; at += ZEROS.length) {
    hash.update(read(Math.min(ZEROS.length, size - at)));
    // Hashing a large file must not starve a server running in the same process.
    await yieldToLoop();
  }
  return hash.digest("hex");
}

/** A short tag that differs between contents, so default validators differ between servers too. */
export function fingerprint(content: Content): string {
  const hash = createHash("sha256");
  if (Buffer.isBuffer(content)) hash.update(content);
  else hash.update(`${content.seed}\0${content.size}`);
  return hash.digest("hex").slice(0, 8);
}
