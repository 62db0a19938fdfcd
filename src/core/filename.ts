/**
 * Choosing where the download lands. A name from a server or a URL is chosen by a stranger: it
 * is reduced to one safe base name, and the final path is checked to stay inside the directory.
 */

import path from "node:path";
import { FileSystemError, UsageError } from "../errors.js";
import { parseContentDisposition } from "./headers.js";

/** Below NAME_MAX (255) to leave room for the side files' suffixes (`.parget.state.<pid>.<n>.tmp`). */
export const MAX_NAME_BYTES = 200;

// C0 and C1 controls, DEL, and what Windows forbids; C1 includes CSI, which can drive a terminal.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f<>:"|?*]/g;
// Half a surrogate pair cannot be encoded as UTF-8 and would become U+FFFD on disk.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Windows treats these as devices whatever the extension; superscript digits count too.
const RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$/i;

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/** The longest prefix of `text` that fits in `budget` UTF-8 bytes, cut between code points. */
function truncateUtf8(text: string, budget: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += utf8Length(char.codePointAt(0) ?? 0);
    if (bytes > budget) break;
    end += char.length;
  }
  return text.slice(0, end);
}

function byteLength(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += utf8Length(char.codePointAt(0) ?? 0);
  return bytes;
}

/** Leading white space, and trailing white space and dots (any mix, Unicode spaces too). */
function trimName(name: string): string {
  return name.replace(/^\s+/, "").replace(/[\s.]+$/, "");
}

/**
 * Reduces a name to one safe base name for any common file system, or undefined when nothing
 * usable remains. The extension survives the length cap.
 */
export function sanitizeFilename(name: string): string | undefined {
  const last = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  let base = trimName(last.replace(UNSAFE_CHARACTERS, "").replace(LONE_SURROGATE, ""));
  if (base === "" || base === "." || base === "..") return undefined;
  // Windows ignores everything from the first dot on: "nul.tar.gz" is the device too.
  const device = base.split(".")[0] ?? "";
  if (RESERVED.test(device.trimEnd())) base = `_${base}`;
  if (byteLength(base) <= MAX_NAME_BYTES) return base;
  const extensionAt = base.lastIndexOf(".");
  const extension = extensionAt > 0 ? base.slice(extensionAt) : "";
  // An extension too long to leave room for a stem is not worth keeping.
  const kept = byteLength(extension) <= MAX_NAME_BYTES / 2 ? extension : "";
  const head = base.slice(0, base.length - kept.length);
  const truncated = trimName(truncateUtf8(head, MAX_NAME_BYTES - byteLength(kept)) + kept);
  return truncated === "" ? undefined : truncated;
}

function percentDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The file name to write: the user's `output` (a bare name; directories are `dir`'s business),
 * else Content-Disposition's filename, else the URL's last path segment, else "download".
 */
export function chooseFilename(input: {
  output?: string | undefined;
  contentDisposition?: string | undefined;
  url: URL;
}): string {
  const { output } = input;
  if (output !== undefined) {
    if (/[/\\]/.test(output)) {
      throw new UsageError(
        `output "${output}" contains a path separator: give only a file name, and the directory with -d`,
      );
    }
    if (sanitizeFilename(output) !== output) {
      throw new UsageError(
        `output "${output}" is not a safe file name (empty, "." or "..", a reserved device name, ` +
          `control characters, trailing dots or spaces, or one of <>:"|?*); give the directory with -d`,
      );
    }
    return output;
  }
  const fromHeader = parseContentDisposition(input.contentDisposition);
  const headerName = fromHeader === undefined ? undefined : sanitizeFilename(fromHeader);
  if (headerName !== undefined) return headerName;
  const segment = input.url.pathname
    .split("/")
    .filter((s) => s !== "")
    .at(-1);
  const urlName = segment === undefined ? undefined : sanitizeFilename(percentDecode(segment));
  return urlName ?? "download";
}

/** `dir/name`, refusing any result that is not strictly inside `dir` (defence in depth). */
export function resolveInside(dir: string, name: string): string {
  const root = path.resolve(dir);
  const target = path.resolve(root, name);
  const relative = path.relative(root, target);
  if (
    relative === "" ||
    relative === ".." ||
    relative.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relative)
  ) {
    throw new FileSystemError(`refusing to write "${name}" outside the directory ${root}`);
  }
  return target;
}
