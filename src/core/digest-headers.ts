/**
 * Digests a server announces for the whole object. Storage services and RFCs spell them in
 * different headers; each reader accepts only what it can trust and skips anything malformed.
 *
 * Some headers describe the object whatever part of it a response carries; others describe the
 * body of this one response, which is the whole object only on a 200 or on a 206 whose
 * Content-Range covers every byte (parget's first request asks for the first piece, and asks S3
 * again for every byte when that piece came without its checksums):
 *
 *   header                 describes          read on
 *   x-goog-hash            the stored object  every 200 and 206 (GCS sends it on ranged reads too)
 *   x-ms-blob-content-md5  the stored blob    every 200 and 206 (Azure sends it on ranged reads)
 *   Repr-Digest (RFC 9530) the representation every 200 and 206
 *   Digest (RFC 3230)      the whole instance every 200 and 206 (an instance digest covers it all)
 *   Content-MD5 (RFC 1864) the body sent      a whole-file body only
 *   Content-Digest (9530)  the body sent      a whole-file body only
 *   x-amz-checksum-*       the object         a whole-file body only: S3 sends none on a partial
 *                                             range, and a `?partNumber=N` GET's describes the part
 */

import type { DigestAlgorithm, ExpectedDigest } from "../options.js";
import { HEX_LENGTH } from "./checksum-spec.js";
import { parseContentRange } from "./headers.js";

/** Algorithm names used by Repr-Digest (RFC 9530) and Digest (RFC 3230), lower-cased. */
const FIELD_ALGORITHMS: Readonly<Record<string, DigestAlgorithm>> = {
  "sha-256": "sha256",
  "sha-512": "sha512",
  sha: "sha1",
  md5: "md5",
  crc32c: "crc32c",
};

const S3_HEADERS: Readonly<Record<string, DigestAlgorithm>> = {
  "x-amz-checksum-crc64nvme": "crc64nvme",
  "x-amz-checksum-crc32": "crc32",
  "x-amz-checksum-crc32c": "crc32c",
  "x-amz-checksum-sha256": "sha256",
  "x-amz-checksum-sha1": "sha1",
  "x-amz-checksum-sha512": "sha512",
  "x-amz-checksum-md5": "md5",
};

/**
 * A digest value as lower-case hex, from base64 or hex. Neither can be mistaken for the other:
 * hex of the right length never decodes from base64 to the right number of bytes.
 */
function toHex(value: string, algorithm: DigestAlgorithm): string | undefined {
  const text = value.trim();
  const hexLength = HEX_LENGTH[algorithm];
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const bytes = Buffer.from(text, "base64");
    if (bytes.length * 2 === hexLength) return bytes.toString("hex");
  }
  if (text.length === hexLength && /^[0-9a-f]+$/i.test(text)) return text.toLowerCase();
  return undefined;
}

/** Splits a comma-separated field, leaving commas inside quoted strings alone. */
function splitList(value: string): string[] {
  const members: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? "";
    if (quoted && char === "\\") {
      current += char + (value[++i] ?? "");
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === "," && !quoted) {
      members.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  members.push(current.trim());
  return members.filter((member) => member !== "");
}

/** `name=value` pairs split at the first "=", since base64 padding is "=" too. */
function pairs(value: string): [name: string, value: string][] {
  return splitList(value).flatMap((member): [string, string][] => {
    const eq = member.indexOf("=");
    return eq > 0 ? [[member.slice(0, eq).trim().toLowerCase(), member.slice(eq + 1).trim()]] : [];
  });
}

function fromGoogleHash(headers: Record<string, string>): ExpectedDigest[] {
  const value = headers["x-goog-hash"];
  if (value === undefined) return [];
  // GCS hashes the stored bytes; when it decompresses gzip on the way out they describe other bytes.
  const stored = headers["x-goog-stored-content-encoding"]?.trim().toLowerCase();
  const served = headers["content-encoding"]?.toLowerCase() ?? "";
  if (stored === "gzip" && !/\bgzip\b/.test(served)) return [];
  return pairs(value).flatMap(([name, encoded]) => {
    if (name !== "crc32c" && name !== "md5") return [];
    const hex = toHex(encoded, name);
    return hex === undefined ? [] : [{ algorithm: name, hex, source: "x-goog-hash" }];
  });
}

function fromContentMd5(
  headers: Record<string, string>,
  field: "content-md5" | "x-ms-blob-content-md5" = "content-md5",
): ExpectedDigest[] {
  const value = headers[field];
  if (value === undefined) return [];
  const hex = toHex(value, "md5");
  return hex === undefined ? [] : [{ algorithm: "md5", hex, source: field }];
}

/**
 * An RFC 9530 field (Repr-Digest, Content-Digest), a structured dictionary:
 * `sha-256=:BASE64:, sha-512=:BASE64:;param`.
 */
function fromDigestDictionary(
  headers: Record<string, string>,
  field: "repr-digest" | "content-digest",
): ExpectedDigest[] {
  const value = headers[field];
  if (value === undefined) return [];
  return splitList(value).flatMap((member) => {
    const match = /^([a-z*][a-z0-9_.*-]*)=:([A-Za-z0-9+/=]*):(?:;.*)?$/i.exec(member);
    const algorithm = FIELD_ALGORITHMS[(match?.[1] ?? "").toLowerCase()];
    if (!match || algorithm === undefined) return [];
    const hex = toHex(match[2] ?? "", algorithm);
    return hex === undefined ? [] : [{ algorithm, hex, source: field }];
  });
}

/** RFC 3230 Digest: `SHA-256=BASE64, MD5=BASE64`. */
function fromDigest(headers: Record<string, string>): ExpectedDigest[] {
  const value = headers["digest"];
  if (value === undefined) return [];
  return pairs(value).flatMap(([name, encoded]) => {
    const algorithm = FIELD_ALGORITHMS[name];
    const hex = algorithm === undefined ? undefined : toHex(encoded, algorithm);
    return algorithm === undefined || hex === undefined
      ? []
      : [{ algorithm, hex, source: "digest" }];
  });
}

function fromAmazonChecksums(headers: Record<string, string>): ExpectedDigest[] {
  // A composite checksum is a checksum of the parts' checksums, not of the object's bytes.
  if (headers["x-amz-checksum-type"]?.trim().toUpperCase() === "COMPOSITE") return [];
  return Object.entries(S3_HEADERS).flatMap(([header, algorithm]) => {
    const value = headers[header];
    if (value === undefined || /-\d+$/.test(value.trim())) return [];
    const hex = toHex(value, algorithm);
    return hex === undefined ? [] : [{ algorithm, hex, source: "x-amz-checksum" }];
  });
}

/** Whether the response's body is the whole file: a 200, or a 206 of bytes 0 to the last. */
export function carriesWholeFile(headers: Record<string, string>, status: number): boolean {
  if (status === 200) return true;
  if (status !== 206) return false;
  const range = parseContentRange(headers["content-range"]);
  return (
    range !== null && !("unsatisfied" in range) && range.start === 0 && range.end + 1 === range.size
  );
}

/**
 * Every digest the response's headers give for the whole object, deduplicated by algorithm and
 * value (the first source is kept). `headers` has lower-case names, repeats joined with ", ".
 */
export function parseServerDigests(
  headers: Record<string, string>,
  status: number,
): ExpectedDigest[] {
  const whole = carriesWholeFile(headers, status);
  const found = [
    ...fromGoogleHash(headers),
    ...(whole ? fromContentMd5(headers) : []),
    ...fromContentMd5(headers, "x-ms-blob-content-md5"),
    ...fromDigestDictionary(headers, "repr-digest"),
    ...(whole ? fromDigestDictionary(headers, "content-digest") : []),
    ...fromDigest(headers),
    ...(whole ? fromAmazonChecksums(headers) : []),
  ];
  const seen = new Set<string>();
  return found.filter((digest) => {
    const key = `${digest.algorithm}:${digest.hex}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
