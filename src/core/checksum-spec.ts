/** The user's `--checksum ALGO=HEX`. */

import { UsageError } from "../errors.js";
import type { DigestAlgorithm, ExpectedDigest } from "../options.js";

/** Hex digits each algorithm's digest has. */
export const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  sha256: 64,
  sha512: 128,
  sha1: 40,
  md5: 32,
  crc32c: 8,
  crc32: 8,
  crc64nvme: 16,
};

function isAlgorithm(name: string): name is DigestAlgorithm {
  return Object.hasOwn(HEX_LENGTH, name);
}

/** Parses `sha256=HEX` (also `SHA-256=`, `sha_256=`); the hex is checked and lower-cased. */
export function parseChecksumSpec(text: string): ExpectedDigest {
  const at = text.indexOf("=");
  if (at < 0) {
    throw new UsageError(
      `invalid checksum "${text}": expected ALGORITHM=HEX, e.g. sha256=9f86d0...`,
    );
  }
  const name = text.slice(0, at).trim();
  const algorithm = name.toLowerCase().replace(/[-_]/g, "");
  if (!isAlgorithm(algorithm)) {
    const known = Object.keys(HEX_LENGTH).join(", ");
    throw new UsageError(`unknown checksum algorithm "${name}": use one of ${known}`);
  }
  const hex = text.slice(at + 1).trim();
  if (!/^[0-9a-f]*$/i.test(hex)) {
    throw new UsageError(
      `invalid ${algorithm} checksum "${hex}": only hex digits 0-9 and a-f are allowed`,
    );
  }
  if (hex.length !== HEX_LENGTH[algorithm]) {
    throw new UsageError(
      `invalid ${algorithm} checksum: expected ${HEX_LENGTH[algorithm]} hex digits, got ${hex.length}`,
    );
  }
  return { algorithm, hex: hex.toLowerCase(), source: "user" };
}
