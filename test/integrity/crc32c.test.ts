import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32c, crc32cCombine, crc32cHex } from "../../src/integrity/crc32c.js";

test("matches the CRC32C check value and renders 8 hex digits", () => {
  assert.equal(crc32cHex(crc32c(Buffer.from("123456789"))), "e3069283");
  assert.equal(crc32cHex(crc32c(new Uint8Array(0))), "00000000");
  assert.equal(crc32cHex(0x1234), "00001234");
});

test("continues a running CRC", () => {
  const data = Buffer.from("The quick brown fox jumps over the lazy dog");
  assert.equal(crc32c(data.subarray(7), crc32c(data.subarray(0, 7))), crc32c(data));
});

test("combining the CRCs of two pieces gives the CRC of the whole", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), (bytes, at) => {
      const split = bytes.length === 0 ? 0 : at % (bytes.length + 1);
      const a = bytes.subarray(0, split);
      const b = bytes.subarray(split);
      assert.equal(crc32cCombine(crc32c(a), crc32c(b), b.length), crc32c(bytes));
    }),
  );
});

test("empty pieces are neutral", () => {
  const crc = crc32c(Buffer.from("parget"));
  const empty = crc32c(new Uint8Array(0));
  assert.equal(crc32cCombine(crc, empty, 0), crc);
  assert.equal(crc32cCombine(empty, crc, 6), crc);
  assert.equal(crc32cCombine(empty, empty, 0), empty);
});

test("many-way combine in order equals the direct CRC", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 512 }), { maxLength: 40 }), (pieces) => {
      let combined = crc32c(new Uint8Array(0));
      for (const piece of pieces) combined = crc32cCombine(combined, crc32c(piece), piece.length);
      assert.equal(combined, crc32c(Buffer.concat(pieces)));
    }),
  );
});

test("combine is associative for lengths up to 2^53", () => {
  const length = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const crc = fc.integer({ min: 0, max: 0xffffffff });
  fc.assert(
    fc.property(crc, crc, crc, length, length, (a, b, c, lengthB, lengthC) => {
      fc.pre(lengthB + lengthC <= Number.MAX_SAFE_INTEGER);
      const left = crc32cCombine(crc32cCombine(a, b, lengthB), c, lengthC);
      const right = crc32cCombine(a, crc32cCombine(b, c, lengthC), lengthB + lengthC);
      assert.equal(left, right);
      assert.ok(left >= 0 && left <= 0xffffffff);
    }),
  );
});

test("combine handles a piece longer than 2^32 bytes", () => {
  // 4 GiB of zeros through the native CRC takes under a second; no shortcut for the reference.
  const length = 2 ** 32 + 3;
  const zeros = Buffer.alloc(64 * 1024 * 1024);
  let direct = crc32c(Buffer.from("head"));
  const head = direct;
  let tail = 0;
  for (let left = length; left > 0; left -= Math.min(left, zeros.length)) {
    const piece = zeros.subarray(0, Math.min(left, zeros.length));
    direct = crc32c(piece, direct);
    tail = crc32c(piece, tail);
  }
  assert.equal(crc32cCombine(head, tail, length), direct);
});

test("rejects lengths that are not safe non-negative integers", () => {
  assert.throws(() => crc32cCombine(0, 0, -1), RangeError);
  assert.throws(() => crc32cCombine(0, 0, 1.5), RangeError);
  assert.throws(() => crc32cCombine(0, 0, 2 ** 53), RangeError);
});
