/**
 * The served files and their versions. A response works from the version current when it began,
 * as a real server keeps reading a replaced file's old inode; later requests see the new one.
 */
import { contentSize, fingerprint, type Content } from "./content.js";
import { FaultSet, type FaultRule } from "./faults.js";

export interface FileSpec {
  content: Content;
  /**
   * The ETag, sent as given (quotes are added when missing); `false` sends none.
   * @default a strong tag that changes with the version and the content: "\"<version>-<size>-<hash>\""
   */
  etag?: string | false;
  /** Send the ETag as weak (`W/`), which `If-Range` never matches. @default false */
  weakEtag?: boolean;
  /**
   * Tag the same bytes differently on each connection, as some CDNs' edges do: the n-th
   * connection the server accepted sends the ETag with `-e<n>` added inside its quotes, and
   * honours only that one in `If-Range`. @default false
   */
  etagPerConnection?: boolean;
  /**
   * `false`: a date in `If-Range` never matches, as Apache answers while Last-Modified is under a
   * minute old. @default true
   */
  ifRangeDates?: boolean;
  /** `false` sends no Last-Modified. @default a date in 2024, a day later for each version */
  lastModified?: Date | false;
  /** Extra response headers, e.g. `content-disposition`, `x-goog-hash`, `content-type`. */
  headers?: Record<string, string>;
  /**
   * Headers sent as S3 sends its checksums (`x-amz-checksum-sha256`, ...): only to a request with
   * `x-amz-checksum-mode: ENABLED`, and only with a body that is the whole file (a 200, or a 206
   * of every byte), never with a partial range.
   */
  s3Checksums?: Record<string, string>;
  faults?: FaultRule[];
  /**
   * "no": always 200, no Accept-Ranges. "ignored": Accept-Ranges: bytes, yet every request gets
   * the whole body with a 200.
   * @default "yes"
   */
  ranges?: "yes" | "no" | "ignored";
  /** Send bodies with chunked transfer coding and no Content-Length. @default false */
  chunked?: boolean;
}

export interface FileVersion {
  readonly version: number;
  readonly spec: FileSpec;
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
}

export interface FileEntry {
  current: FileVersion;
  faults: FaultSet;
  /** Body bytes sent from this file since its rules were set; `replace-after` counts these. */
  served: number;
}

const EPOCH_2024 = Date.UTC(2024, 0, 1);

function makeVersion(spec: FileSpec, version: number): FileVersion {
  const size = contentSize(spec.content);
  const tag = fingerprint(spec.content);
  let etag: string | undefined;
  if (spec.etag !== false) {
    const given = spec.etag ?? `${version}-${size}-${tag}`;
    etag = given.startsWith('"') || given.startsWith("W/") ? given : `"${given}"`;
    if (spec.weakEtag && !etag.startsWith("W/")) etag = `W/${etag}`;
  }
  // HTTP-dates have whole seconds. The default moves a day per version, and by content within
  // the day, so that two servers' versions of a file rarely share a date.
  let lastModified: Date | undefined;
  if (spec.lastModified === undefined) {
    lastModified = new Date(EPOCH_2024 + (version * 86_400 + (parseInt(tag, 16) % 86_400)) * 1000);
  } else if (spec.lastModified !== false) {
    lastModified = new Date(Math.floor(spec.lastModified.getTime() / 1000) * 1000);
  }
  return { version, spec, size, etag, lastModified };
}

/** Paths are kept in their on-the-wire form, so "/a b.bin" is served at "/a%20b.bin". */
export function normalizePath(path: string): string {
  return new URL(path, "http://server/").pathname;
}

/** A version with different bytes: what a publisher uploading a new build would produce. */
function mutated(content: Content, version: number): Content {
  if (!Buffer.isBuffer(content)) return { seed: `${content.seed}~${version}`, size: content.size };
  return Buffer.from(content.map((byte) => byte ^ 0xff));
}

export class FileRegistry {
  readonly #entries = new Map<string, FileEntry>();

  constructor(private readonly seed: string) {}

  get(path: string): FileEntry | undefined {
    return this.#entries.get(path);
  }

  /** Adds the file, or makes `spec` its next version with new validators and rules. */
  replace(name: string, spec: FileSpec): void {
    const path = normalizePath(name);
    const version = (this.#entries.get(path)?.current.version ?? 0) + 1;
    this.#entries.set(path, {
      current: makeVersion(spec, version),
      faults: this.#faults(path, spec.faults),
      served: 0,
    });
  }

  setFaults(name: string, faults: FaultRule[]): void {
    const entry = this.#entries.get(normalizePath(name));
    if (!entry) throw new Error(`no file ${name} on this server`);
    entry.faults = this.#faults(normalizePath(name), faults);
    entry.served = 0;
  }

  /** Counts body bytes sent from the file; a due `replace-after` rule swaps in a new version. */
  noteServed(entry: FileEntry, bytes: number): void {
    entry.served += bytes;
    const due = entry.faults.replacementDue(entry.served);
    if (!due) return;
    const { spec, version, lastModified } = entry.current;
    // Validators given explicitly would survive the change and hide it; `false` stays absent.
    const next: FileSpec = { ...spec, content: mutated(spec.content, version + 1) };
    if (spec.etag !== false) delete next.etag;
    if (due.keepDate && lastModified) next.lastModified = lastModified;
    else if (spec.lastModified !== false) delete next.lastModified;
    entry.current = makeVersion(next, version + 1);
  }

  #faults(path: string, rules: FaultRule[] | undefined): FaultSet {
    return new FaultSet(rules ?? [], `${this.seed}\0${path}`);
  }
}
