/**
 * `--checksums FILE`: the lists projects publish beside their files (SHA256SUMS, *.md5), as GNU
 * coreutils writes them (`HEX  NAME`, `HEX *NAME`) and in the BSD form of `--tag` and OpenSSL
 * (`SHA256 (NAME) = HEX`). Reading follows coreutils' `--check`.
 */
import path from "node:path";
import { UsageError } from "../errors.js";
import type { DigestAlgorithm, ExpectedDigest } from "../options.js";
import { HEX_LENGTH } from "./checksum-spec.js";
import { quote } from "./quote.js";

export interface ChecksumList {
  /** The list's name as given (a file name, or "stdin"). */
  readonly source: string;
  /**
   * The digests listed for `path`, a file's path relative to the set's root with `/` between
   * segments. A bare listed name also stands for a file of that name in a subdirectory, unless
   * another listed name ends in the same base name. Undefined when the list has no entry for it.
   */
  lookup(path: string): ExpectedDigest[] | undefined;
  /** How many files the list names. */
  readonly size: number;
}

interface Listed {
  name: string;
  algorithm: DigestAlgorithm;
  hex: string;
}

const SUPPORTED = "md5, sha1, sha256 and sha512";

/** A GNU line's algorithm, from its digest's length; coreutils writes no name for it. */
const BY_HEX_LENGTH = new Map<number, DigestAlgorithm>([
  [32, "md5"],
  [40, "sha1"],
  [64, "sha256"],
  [128, "sha512"],
]);
const UNSUPPORTED_BY_HEX_LENGTH = new Map([
  [56, "sha224"],
  [96, "sha384"],
]);

/** BSD tags: coreutils' and BSD's (`SHA256`), and OpenSSL 3's (`SHA2-256`). */
const BY_TAG = new Map<string, DigestAlgorithm>([
  ["MD5", "md5"],
  ["SHA1", "sha1"],
  ["SHA256", "sha256"],
  ["SHA512", "sha512"],
  ["SHA2-256", "sha256"],
  ["SHA2-512", "sha512"],
]);

// `TAG (NAME) = HEX`: the name runs to the last `) =`, since names are not escaped there.
const BSD_LINE = /^([A-Za-z][\w-]*) ?\((.*)\)[ \t]*=[ \t]*(\S*)[ \t]*$/s;
// `HEX  NAME` or `HEX *NAME`; with a single space (BSD's `-r`), the name starts after it.
const GNU_LINE = /^([0-9A-Fa-f]+)[ \t]([ *]?)(.*)$/s;

/** Parses a list; `source` names it in messages and, by its base name, in the digests. */
export function parseChecksumList(text: string, source: string): ChecksumList {
  const digestSource = path.basename(source);
  const byName = new Map<string, Map<DigestAlgorithm, { hex: string; line: number }>>();
  text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = index + 1;
      const trimmed = raw.trim();
      if (trimmed === "" || trimmed.startsWith("#")) return;
      let listed: Listed;
      try {
        listed = parseLine(raw);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        throw new UsageError(`${source}:${line}: ${error.message}: ${quote(trimmed)}`);
      }
      const digests = byName.get(listed.name) ?? new Map();
      byName.set(listed.name, digests);
      const earlier = digests.get(listed.algorithm);
      if (earlier === undefined) {
        digests.set(listed.algorithm, { hex: listed.hex, line });
      } else if (earlier.hex !== listed.hex) {
        throw new UsageError(
          `${source}:${line}: ${quote(listed.name)} has a second ${listed.algorithm} digest, ` +
            `different from line ${earlier.line}'s`,
        );
      }
    });
  if (byName.size === 0) {
    throw new UsageError(
      `${source} holds no checksum: expected lines like "HEX  NAME" or "SHA256 (NAME) = HEX"`,
    );
  }

  const sharingBaseName = new Map<string, number>();
  for (const name of byName.keys()) {
    const base = baseName(name);
    sharingBaseName.set(base, (sharingBaseName.get(base) ?? 0) + 1);
  }
  const digestsOf = (name: string): ExpectedDigest[] | undefined => {
    const digests = byName.get(name);
    return (
      digests &&
      [...digests].map(([algorithm, { hex }]) => ({ algorithm, hex, source: digestSource }))
    );
  };
  return {
    source,
    size: byName.size,
    lookup(filePath) {
      const wanted = withoutDotSlash(filePath);
      const base = baseName(wanted);
      // A bare name was listed for a file stored in a subdirectory, and nothing else could be meant.
      return digestsOf(wanted) ?? (sharingBaseName.get(base) === 1 ? digestsOf(base) : undefined);
    },
  };
}

/** One line that is neither blank nor a comment; throws what is wrong with it. */
function parseLine(raw: string): Listed {
  let text = raw.replace(/^[ \t]+/, "");
  // coreutils marks a line whose name holds a `\`, LF or CR, and escapes those in the name.
  const escaped = text.startsWith("\\");
  if (escaped) text = text.slice(1);
  const bsd = BSD_LINE.exec(text);
  // A tag that is all hex digits begins a GNU line: `abc123 (x) = y` names the file "(x) = y".
  if (bsd && !/^[0-9a-f]+$/i.test(bsd[1]!)) {
    const [, tag = "", name = "", hex = ""] = bsd;
    const algorithm = BY_TAG.get(tag.toUpperCase());
    if (algorithm === undefined)
      throw new UsageError(`${tag} is not supported (parget checks ${SUPPORTED})`);
    return checked(name, escaped, algorithm, hex);
  }
  const gnu = GNU_LINE.exec(text);
  if (!gnu) throw new UsageError(`expected "HEX  NAME" or "SHA256 (NAME) = HEX"`);
  const [, hex = "", , name = ""] = gnu;
  const algorithm = BY_HEX_LENGTH.get(hex.length);
  if (algorithm === undefined) {
    const unsupported = UNSUPPORTED_BY_HEX_LENGTH.get(hex.length);
    throw new UsageError(
      unsupported
        ? `${unsupported} is not supported (parget checks ${SUPPORTED})`
        : `a digest of ${hex.length} hex digits is none of ${SUPPORTED}`,
    );
  }
  return checked(name, escaped, algorithm, hex);
}

function checked(
  rawName: string,
  escaped: boolean,
  algorithm: DigestAlgorithm,
  hex: string,
): Listed {
  if (!/^[0-9a-f]*$/i.test(hex)) throw new UsageError(`the ${algorithm} digest is not hex`);
  if (hex.length !== HEX_LENGTH[algorithm]) {
    throw new UsageError(
      `expected ${HEX_LENGTH[algorithm]} hex digits for ${algorithm}, got ${hex.length}`,
    );
  }
  const name = withoutDotSlash(escaped ? unescapeName(rawName) : rawName);
  if (name === "") throw new UsageError("no file name");
  if (name.includes("\0")) throw new UsageError("the file name has a NUL character");
  return { name, algorithm, hex: hex.toLowerCase() };
}

const ESCAPES = new Map([
  ["\\", "\\"],
  ["n", "\n"],
  ["r", "\r"],
]);

/** Undoes coreutils' escapes: `\\`, `\n` and `\r`; any other is malformed, as in `--check`. */
function unescapeName(name: string): string {
  return name.replace(/\\(.?)/gs, (_, next: string) => {
    const char = ESCAPES.get(next);
    if (char === undefined)
      throw new UsageError(`the file name has a "\\" not followed by \\, n or r`);
    return char;
  });
}

function withoutDotSlash(name: string): string {
  return name.replace(/^(?:\.\/)+/, "");
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}
