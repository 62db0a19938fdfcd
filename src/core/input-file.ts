/**
 * The `-i FILE` list, in aria2's input-file form: a URL line starts an entry, and the indented
 * `key=value` lines under it are that file's options.
 *
 *   https://example.com/model-00001-of-00002.safetensors
 *     dir=model
 *     checksum=sha-256=9f86d081884c7d65...
 *     header=Authorization: Bearer ...
 *
 * A list may come from someone else, so where it saves stays inside the set's root directory.
 */
import { UsageError } from "../errors.js";
import { MAX_CONNECTIONS, type DigestAlgorithm, type ExpectedDigest } from "../options.js";
import { parseChecksumSpec } from "./checksum-spec.js";
import { quote } from "./quote.js";
import { parseHeaderLine, withHeader } from "./request-headers.js";
import { parseHttpUrl } from "./url.js";

export interface InputEntry {
  /** As written in the list; an http or https URL. */
  url: string;
  /** The URL's line number, counted from 1. */
  line: number;
  /** The file's name: a relative path under `dir` (or the root), `/` between its segments. */
  output?: string;
  /** A directory relative to the set's root (the -d directory), `/` between its segments. */
  dir?: string;
  /** Digests the file must match, with `source: "user"`; at most one per algorithm. */
  checksums?: ExpectedDigest[];
  /** Request headers for this file; names are unique case-insensitively. */
  headers?: Record<string, string>;
  /** The smaller of `split` and `max-connection-per-server`. */
  connections?: number;
}

const SUPPORTED = "out, dir, checksum, header, split and max-connection-per-server";

/** An entry still taking options, with the lines its single-valued options came from. */
interface Open {
  entry: InputEntry;
  lineOf: Map<string, number>;
  checksumLine: Map<DigestAlgorithm, number>;
}

/** Parses a list; `source` names it in messages ("urls.txt:3: ...", or "stdin:3: ..."). */
export function parseInputFile(text: string, source: string): InputEntry[] {
  const entries: InputEntry[] = [];
  let open: Open | undefined;
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    try {
      if (raw.startsWith(" ") || raw.startsWith("\t")) {
        if (!open) {
          throw new UsageError(
            "an indented line is an option of the URL above it, but no URL comes before it",
          );
        }
        applyOption(open, trimmed, line);
      } else {
        open = { entry: urlEntry(trimmed, line), lineOf: new Map(), checksumLine: new Map() };
        entries.push(open.entry);
      }
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      const code = error.code === "PARGET_BAD_URL" ? "PARGET_BAD_URL" : "PARGET_USAGE";
      throw new UsageError(`${source}:${line}: ${error.message}`, code);
    }
  });
  return entries;
}

function urlEntry(text: string, line: number): InputEntry {
  if (text.includes("\t")) {
    throw new UsageError(
      "several TAB-separated URLs on one line are mirrors of one file to aria2; " +
        "mirrors are not supported: give each file one URL",
      "PARGET_BAD_URL",
    );
  }
  parseHttpUrl(text);
  return { url: text, line };
}

function applyOption({ entry, lineOf, checksumLine }: Open, text: string, line: number): void {
  const equals = text.indexOf("=");
  const key = equals < 0 ? "" : text.slice(0, equals).trim();
  // The line is not quoted: it may be a header, secret and all, written without `header=`.
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(key)) {
    throw new UsageError("expected an option as key=value, such as out=NAME");
  }
  const value = text.slice(equals + 1).trim();
  try {
    if (key === "checksum") {
      const digest = parseChecksumSpec(value);
      const sameAlgorithm = entry.checksums?.find((d) => d.algorithm === digest.algorithm);
      if (sameAlgorithm === undefined) {
        entry.checksums = [...(entry.checksums ?? []), digest];
        checksumLine.set(digest.algorithm, line);
      } else if (sameAlgorithm.hex !== digest.hex) {
        throw new UsageError(
          `a second ${digest.algorithm} digest, different from line ${checksumLine.get(digest.algorithm)}'s`,
        );
      }
      return;
    }
    if (key === "header") {
      const { name, value: headerValue } = parseHeaderLine(value);
      entry.headers = withHeader(entry.headers, name, headerValue);
      return;
    }
    if (key !== "out" && key !== "dir" && key !== "split" && key !== "max-connection-per-server") {
      throw new UsageError(`parget does not support this option (it reads ${SUPPORTED})`);
    }
    const first = lineOf.get(key);
    if (first !== undefined)
      throw new UsageError(`given twice for this URL (first on line ${first})`);
    lineOf.set(key, line);
    if (key === "out") {
      entry.output = relativePath(value);
      if (entry.output === "" || value.endsWith("/")) {
        throw new UsageError(`${quote(value)} names a directory, not a file`);
      }
    } else if (key === "dir") {
      const dir = relativePath(value);
      // `dir=.` is the root itself.
      if (dir !== "") entry.dir = dir;
    } else {
      // aria2 has two limits for what parget counts as one: the stricter one holds.
      const connections = connectionCount(value);
      entry.connections = Math.min(connections, entry.connections ?? connections);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`${key}: ${error.message}`);
  }
}

/**
 * A path inside the directory it is taken from, with `./` and empty segments dropped ("" for the
 * directory itself). `\` and drive letters are refused too: on Windows they would lead out.
 */
export function relativePath(value: string): string {
  if (value === "") throw new UsageError("is empty");
  if (value.includes("\0")) throw new UsageError("contains a NUL character");
  if (value.includes("\\"))
    throw new UsageError(`${quote(value)} has a "\\": use "/" between directories`);
  if (value.startsWith("/") || /^[a-z]:/i.test(value)) {
    throw new UsageError(
      `${quote(value)} is absolute: give a path relative to the download directory`,
    );
  }
  const segments = value.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) {
    throw new UsageError(
      `${quote(value)} has a ".." segment: the path must stay inside the download directory`,
    );
  }
  return segments.join("/");
}

export function connectionCount(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`expected a positive whole number, got ${quote(value)}`);
  }
  if (n > MAX_CONNECTIONS) throw new UsageError(`expected at most ${MAX_CONNECTIONS}, got ${n}`);
  return n;
}
