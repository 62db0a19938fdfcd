/**
 * The orchestrator: one download from first request to verified file. It asks core/ what to do,
 * performs it with io/, and reports progress as events. See docs/architecture.md.
 */
import { basename, dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { DownloadOptions, ExpectedDigest, NormalizedOptions } from "./options.js";
import type { DownloadEvent, DownloadResult, VerifiedDigest } from "./events.js";
import type { Extent } from "./core/planner.js";
import { normalizeOptions } from "./options.js";
import { VERSION } from "./version.js";
import {
  AbortedError,
  BadResponseError,
  ChecksumMismatchError,
  FileSystemError,
  RemoteChangedError,
  UsageError,
  redactUrl,
} from "./errors.js";
import { createUndiciTransport, type Transport, type TransportResponse } from "./io/transport.js";
import {
  PartialFile,
  exists,
  publish,
  readTextIfExists,
  removeIfExists,
  replaceFileAtomically,
  temporaryOf,
} from "./io/files.js";
import { RangePlanner } from "./core/planner.js";
import { chooseFilename, resolveInside } from "./core/filename.js";
import { formatRange } from "./core/headers.js";
import { decodeState, encodeState, type ResumeState } from "./core/state.js";
import {
  compareValidators,
  interpretRangeResponse,
  ifRangeValue,
  validatorsOf,
  type RangeAnswer,
  type Validators,
} from "./core/validators.js";
import { parseServerDigests } from "./core/digest-headers.js";
import { crc32c, crc32cCombine, crc32cHex } from "./integrity/crc32c.js";
import { FrontierHasher } from "./integrity/frontier-hasher.js";
import { algorithmsNeeded, compareDigests } from "./integrity/verdict.js";
import { send, type Sent } from "./http.js";
import { Transfer } from "./transfer.js";
import { RemoteChanged, withRetries, type RetryScope } from "./retrying.js";
import { Progress } from "./progress.js";

/** How often a file that changes under us is started over before we give up. */
const MAX_RESTARTS = 3;
const USER_AGENT = `parget/${VERSION}`;

/**
 * Downloads `url` into `options.dir`, over several connections when the server allows ranges,
 * and resolves once the file is complete, verified and at its final path.
 */
export async function download(
  url: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const normalized = normalizeOptions(options);
  const target = parseHttpUrl(url);
  const transport = normalized.transport ?? createUndiciTransport();
  try {
    return await new Download(target, normalized, transport).run();
  } finally {
    if (!normalized.transport) await transport.close();
  }
}

function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid URL ${JSON.stringify(text)}`, "PARGET_BAD_URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `unsupported URL scheme "${url.protocol}" in ${redactUrl(url)} (use http or https)`,
      "PARGET_BAD_URL",
    );
  }
  return url;
}

/** Where one name's files live: the final path, the partial data beside it, and its state. */
interface Paths {
  name: string;
  final: string;
  partial: string;
  state: string;
}

class Download {
  readonly #url: URL;
  readonly #o: NormalizedOptions;
  readonly #transport: Transport;
  readonly #dir: string;
  readonly #started = performance.now();
  readonly #emit: (event: DownloadEvent) => void;
  readonly #signal: AbortSignal;

  constructor(url: URL, options: NormalizedOptions, transport: Transport) {
    this.#url = url;
    this.#o = options;
    this.#transport = transport;
    // `-o some/dir/name` is a directory (relative to `dir`) and a bare name.
    this.#dir = resolve(options.dir, options.output ? dirname(options.output) : ".");
    this.#emit = options.onEvent;
    this.#signal = options.signal ?? new AbortController().signal;
  }

  async run(): Promise<DownloadResult> {
    let name = this.#o.output === undefined ? undefined : basename(this.#o.output);
    for (let restarts = 0; ;) {
      try {
        return await this.#attempt(name);
      } catch (error) {
        if (error instanceof Renamed) {
          name = error.filename;
          continue;
        }
        if (!(error instanceof RemoteChanged)) throw this.#settle(error);
        if (++restarts > MAX_RESTARTS) {
          throw new RemoteChangedError(`${error.message}; gave up after ${MAX_RESTARTS} restarts`);
        }
        this.#emit({ type: "restart", reason: error.message });
      }
    }
  }

  /** Reports an abort as an AbortedError, whatever it interrupted. */
  #settle(error: unknown): unknown {
    return this.#o.signal?.aborted ? new AbortedError() : error;
  }

  #paths(name: string): Paths {
    const final = resolveInside(this.#dir, name);
    return { name, final, partial: `${final}.parget`, state: `${final}.parget.state` };
  }

  /** The saved state for these paths, if it belongs to this URL and its data file is there. */
  async #loadState(paths: Paths): Promise<ResumeState | undefined> {
    const text = await readTextIfExists(paths.state);
    const state = text === undefined ? undefined : decodeState(text);
    if (!state || state.url !== this.#url.href) return undefined;
    if (await exists(paths.partial)) return state;
    // Killed after the rename, before the state was removed: the download is already done.
    return state.verified && (await exists(paths.final)) ? state : undefined;
  }

  /**
   * One pass: the first request (which doubles as the probe), then the transfer, the verdict and
   * the publish. `knownName` is the user's name, or the one a Content-Disposition told us.
   */
  async #attempt(knownName: string | undefined): Promise<DownloadResult> {
    const name = knownName ?? chooseFilename({ output: undefined, url: this.#url });
    if (knownName !== undefined) chooseFilename({ output: knownName, url: this.#url });
    const paths = this.#paths(name);
    const state = await this.#loadState(paths);
    if (state?.verified) {
      return this.#publish(paths, {
        finalUrl: redactUrl(this.#url),
        size: state.size,
        resumedBytes: state.size,
        ranges: true,
        verified: state.verified,
      });
    }
    if (!state && !this.#o.overwrite && (await exists(paths.final)))
      throw alreadyExists(paths.final);

    const lanes = this.#o.connections;
    // A state with every byte (killed while verifying) still asks for its last byte: the answer
    // proves the version and brings the server's digests.
    const start = state ? Math.max(0, Math.min(firstMissing(state), state.size - 1)) : 0;
    const fixedEnd = this.#o.chunkSize === undefined ? undefined : start + this.#o.chunkSize;
    const baseHeaders = this.#baseHeaders();
    const probeHeaders: Record<string, string> = {
      ...baseHeaders,
      range: formatRange(start, fixedEnd),
    };
    const stateIfRange = state && ifRangeValue(stateValidators(state));
    if (stateIfRange) probeHeaders["if-range"] = stateIfRange;
    // The other connections' handshakes overlap the first request's round trip.
    for (let lane = 1; lane < lanes; lane++) this.#transport.warm(this.#url, lane);
    const { first, answer } = await this.#firstRequest(probeHeaders, { start, end: fixedEnd });
    const { response } = first;

    // Content-Disposition may name the file differently; that name decides the state and paths.
    if (knownName === undefined) {
      const named = chooseFilename({
        output: undefined,
        contentDisposition: response.headers["content-disposition"],
        url: this.#url,
      });
      if (named !== name) {
        response.cancel();
        throw new Renamed(named);
      }
    }

    let size: number | null;
    let resumeFrom: ResumeState | undefined;
    if (answer.kind === "unsatisfiable") {
      response.cancel();
      if (state) {
        await this.#forget(paths);
        throw new RemoteChanged("the file on the server is shorter than the partial download");
      }
      // `bytes=0-` is unsatisfiable only for an empty file.
      if (answer.size !== 0) throw new BadResponseError("server refused the range bytes=0-");
      size = 0;
    } else {
      size = answer.size;
      const validators = validatorsOf(response.headers, size);
      if (
        state &&
        answer.kind === "partial" &&
        compareValidators(stateValidators(state), validators) !== "changed"
      ) {
        resumeFrom = state;
      } else if (state) {
        // The partial data cannot be continued: start over, with a fresh (parallel) first request.
        response.cancel();
        await this.#forget(paths);
        throw new RemoteChanged(
          answer.kind === "full"
            ? "the server's file changed (or it stopped serving ranges) since the partial download"
            : "the file changed on the server since the partial download",
        );
      }
    }
    if (!resumeFrom && !this.#o.overwrite && (await exists(paths.final))) {
      response.cancel();
      throw alreadyExists(paths.final);
    }

    const ranges = answer.kind === "partial";
    const validators = validatorsOf(response.headers, size);
    const expected = dedupe([
      ...this.#o.checksums,
      ...parseServerDigests(response.headers, response.status),
    ]);
    const needed = algorithmsNeeded(expected);
    const file = await PartialFile.open(paths.partial, { resume: resumeFrom !== undefined, size });
    const hasher = FrontierHasher.start(paths.partial, needed.sequential);
    const resumedBytes = resumeFrom ? sumExtents(resumeFrom.extents) : 0;
    let planner: RangePlanner | undefined;
    let transfer: Transfer | undefined;
    const progress = new Progress(this.#o.progressIntervalMs, this.#emit, () => ({
      bytes: planner?.writtenBytes ?? 0,
      size,
      activeConnections: transfer?.activeConnections ?? 0,
    }));
    this.#emit({
      type: "start",
      url: redactUrl(this.#url),
      finalUrl: redactUrl(first.url),
      path: paths.final,
      size,
      ranges,
      connections: ranges ? lanes : 1,
      resumedBytes,
    });
    progress.start(resumedBytes);
    try {
      if (size === null) {
        const written = await this.#streamUnknownLength(first, file);
        size = written.end;
        planner = new RangePlanner({
          size,
          lanes: 1,
          done: [written],
          minSplit: 1,
          maxPiece: size,
          combine: crc32cCombine,
        });
      } else {
        const knownSize = size;
        planner = new RangePlanner({
          size,
          lanes: ranges ? lanes : 1,
          done: resumeFrom?.extents,
          chunkSize: this.#o.chunkSize,
          minSplit: this.#o.minSplitSize,
          maxPiece: this.#o.maxPieceSize,
          combine: crc32cCombine,
        });
        transfer = new Transfer(
          {
            transport: this.#transport,
            planner,
            file,
            hasher,
            url: first.url,
            headers: first.headers,
            validators,
            ranges,
            retries: this.#o.retries,
            idleTimeoutMs: this.#o.idleTimeoutMs,
            emit: this.#emit,
            saveState: (extents) => this.#saveState(paths, knownSize, validators, extents),
          },
          this.#o.signal,
        );
        await transfer.run(ranges ? lanes : 1, {
          response,
          offset: ranges ? start : 0,
          end: Math.min(fixedEnd ?? size, size),
        });
      }
      progress.stop();

      // The data's flush to disk overlaps whatever hashing is left.
      const [verified] = await Promise.all([
        this.#verify(expected, needed.crc32c, planner, hasher, paths),
        file.sync(),
      ]);
      await file.close();
      if (ranges) await this.#saveState(paths, size, validators, planner.extents(), verified);
      return await this.#publish(paths, {
        finalUrl: redactUrl(first.url),
        size,
        resumedBytes,
        ranges,
        verified,
      });
    } catch (error) {
      progress.stop();
      await file.close().catch(() => {});
      if (error instanceof RemoteChanged) await this.#forget(paths);
      throw error;
    } finally {
      await hasher.close();
    }
  }

  #baseHeaders(): Record<string, string> {
    return {
      "user-agent": USER_AGENT,
      ...lowerCaseKeys(this.#o.headers),
      // Ranges are byte offsets into the file itself, never into a compressed rendition.
      "accept-encoding": "identity",
    };
  }

  /**
   * The first request, retried like any range. A 206 for the wrong bytes is never written; it
   * counts as a failed attempt, like a 5xx.
   */
  async #firstRequest(
    headers: Record<string, string>,
    asked: { start: number; end: number | undefined },
  ): Promise<{ first: Sent; answer: Exclude<RangeAnswer, { kind: "bad" }> }> {
    return withRetries(
      this.#retryScope(() => null),
      async () => {
        const first = await send(this.#transport, {
          url: this.#url,
          headers,
          lane: 0,
          signal: this.#signal,
          idleTimeoutMs: this.#o.idleTimeoutMs,
        });
        const { response } = first;
        const answer = interpretRangeResponse(response.status, response.headers, asked);
        if (answer.kind === "bad") {
          response.cancel();
          throw new BadResponseError(`server sent the wrong range: ${answer.reason}`, {
            retryable: true,
          });
        }
        return { first, answer };
      },
    );
  }

  #retryScope(range: () => [number, number] | null, progress?: () => number): RetryScope {
    return {
      retries: this.#o.retries,
      signal: this.#signal,
      url: this.#url,
      emit: this.#emit,
      range,
      ...(progress ? { progress } : {}),
    };
  }

  /**
   * A 200 without a length, written in order to its end. It cannot resume, so a failure fetches
   * it again from byte 0 (and it is hashed once complete, not on the way).
   */
  async #streamUnknownLength(first: Sent, file: PartialFile): Promise<Extent> {
    let response: TransportResponse | undefined = first.response;
    return withRetries(
      this.#retryScope(() => null),
      async () => {
        response ??= (
          await send(this.#transport, {
            url: first.url,
            headers: first.headers,
            lane: 0,
            signal: this.#signal,
            idleTimeoutMs: this.#o.idleTimeoutMs,
          })
        ).response;
        const body = response;
        response = undefined;
        let at = 0;
        let crc = 0;
        try {
          for await (const chunk of body.body) {
            await file.write([chunk], at);
            crc = crc32c(chunk, crc);
            at += chunk.length;
          }
        } finally {
          body.cancel();
        }
        await file.truncate(at);
        return { start: 0, end: at, crc };
      },
    );
  }

  async #verify(
    expected: ExpectedDigest[],
    wantCrc: boolean,
    planner: RangePlanner,
    hasher: FrontierHasher,
    paths: Paths,
  ): Promise<VerifiedDigest[]> {
    if (expected.length > 0) {
      this.#emit({ type: "verifying", algorithms: [...new Set(expected.map((d) => d.algorithm))] });
    }
    const sequential = await hasher.finish(planner.size);
    const crc = planner.extents()[0]?.crc ?? 0;
    const actual = { ...sequential, ...(wantCrc ? { crc32c: crc32cHex(crc) } : {}) };
    const { verified, mismatches } = compareDigests(expected, actual);
    if (mismatches.length > 0) {
      // The data stays for inspection; without a state, a rerun fetches it again from scratch.
      await this.#forget(paths);
      throw new ChecksumMismatchError(mismatches, paths.partial);
    }
    return verified;
  }

  async #saveState(
    paths: Paths,
    size: number,
    validators: Validators,
    extents: Extent[],
    verified?: VerifiedDigest[],
  ): Promise<void> {
    const state: ResumeState = {
      url: this.#url.href,
      size,
      etag: validators.etag,
      lastModified: validators.lastModified,
      extents,
    };
    if (verified) state.verified = verified;
    await replaceFileAtomically(paths.state, encodeState(state));
  }

  /**
   * Moves the verified file into place and forgets the state: the download's last step. A rerun
   * after a kill during this step finds a verified state and only finishes it.
   */
  async #publish(
    paths: Paths,
    summary: Omit<DownloadResult, "path" | "url" | "elapsedMs">,
  ): Promise<DownloadResult> {
    if (await exists(paths.partial)) {
      await publish(paths.partial, paths.final, this.#o.overwrite);
    } else if (!(await exists(paths.final))) {
      throw new FileSystemError(`${paths.partial} vanished before it could be renamed`);
    }
    await this.#forget(paths);
    const result: DownloadResult = {
      path: paths.final,
      url: redactUrl(this.#url),
      ...summary,
      elapsedMs: performance.now() - this.#started,
    };
    this.#emit({ type: "done", result });
    return result;
  }

  /** Removes the resume state (and a temporary a kill may have left). */
  async #forget(paths: Paths): Promise<void> {
    await removeIfExists(paths.state);
    await removeIfExists(temporaryOf(paths.state));
  }
}

/** Thrown when the server names the file differently: the attempt restarts under that name. */
class Renamed extends Error {
  readonly filename: string;
  constructor(filename: string) {
    super(`renamed to ${filename}`);
    this.filename = filename;
  }
}

function alreadyExists(path: string): FileSystemError {
  return new FileSystemError(`${path} already exists (use --overwrite to replace it)`, {
    code: "PARGET_FILE_EXISTS",
  });
}

function stateValidators(state: ResumeState): Validators {
  return { etag: state.etag, lastModified: state.lastModified, size: state.size };
}

function firstMissing(state: ResumeState): number {
  let at = 0;
  for (const e of state.extents) {
    if (e.start > at) break;
    at = e.end;
  }
  return at;
}

function sumExtents(extents: Extent[]): number {
  return extents.reduce((sum, e) => sum + (e.end - e.start), 0);
}

function dedupe(digests: ExpectedDigest[]): ExpectedDigest[] {
  const seen = new Set<string>();
  return digests.filter((d) => {
    const key = `${d.algorithm}:${d.hex.toLowerCase()}:${d.source}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
