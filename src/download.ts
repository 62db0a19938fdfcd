/**
 * The orchestrator: one download from first request to verified file. It asks core/ what to do,
 * performs it with io/, and reports progress as events. See docs/architecture.md.
 */
import { basename, dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { DownloadOptions, ExpectedDigest, NormalizedOptions } from "./options.js";
import type { DownloadEvent, DownloadResult, VerifiedDigest } from "./events.js";
import { DEFAULTS, normalizeOptions } from "./options.js";
import { VERSION } from "./version.js";
import {
  AbortedError,
  BadResponseError,
  ChecksumMismatchError,
  RemoteChangedError,
  redactUrl,
} from "./errors.js";
import type { Transport } from "./io/transport.js";
import { PartialFile } from "./io/files.js";
import { Journal, newGeneration } from "./io/journal.js";
import { RangePlanner, usefulLanes } from "./core/planner.js";
import { chooseFilename } from "./core/filename.js";
import { formatRange } from "./core/headers.js";
import { parseHttpUrl } from "./core/url.js";
import { basicAuthorization, resumeIdentity, withoutUserinfo } from "./core/secrets.js";
import { firstMissing, totalBytes, validatorsOfState, type ResumeState } from "./core/state.js";
import { compareValidators, ifRangeValue, validatorsOf } from "./core/validators.js";
import { checkResponse, type ResponseVerdict } from "./core/response-check.js";
import { carriesWholeFile, parseServerDigests } from "./core/digest-headers.js";
import { CHECKSUM_MODE, withChecksumMode } from "./core/checksum-mode.js";
import { crc32cCombine, crc32cHex } from "./integrity/crc32c.js";
import { FrontierHasher } from "./integrity/frontier-hasher.js";
import { algorithmsNeeded, compareDigests, dedupeDigests } from "./integrity/verdict.js";
import { send, type Sent } from "./http.js";
import { ConnectionRamp } from "./core/ramp.js";
import { streamToEnd } from "./stream-to-end.js";
import { RemoteChanged, withRetries, type RetryScope } from "./retrying.js";
import { Progress } from "./progress.js";
import { coarsenSpans } from "./core/spans.js";
import { Target, type Resumable } from "./target.js";
import { defaultTransport } from "./default-transport.js";
import { guardHandler } from "./guard-handler.js";
import { Transfer, isRefusal, type ConnectionGrant } from "./transfer.js";
import { Pacer, type RateLimit } from "./rate-limit.js";
import { WireCounter } from "./wire-bytes.js";
import { Ledger } from "./io/ledger.js";
import { judgeRecorded, type LedgerRecord } from "./core/ledger.js";
import { digestsOfFile } from "./integrity/file-digests.js";
import { WHOLE_FILE_MAX, digestsOfChunks, hashableInMemory, receiveWhole } from "./whole-file.js";

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
  const transport = normalized.transport ?? defaultTransport(normalized);
  try {
    return await new Download(target, normalized, transport, {}).run();
  } finally {
    if (!normalized.transport) await transport.close();
  }
}

/** What a set gives each of its downloads beyond the options (src/set.ts). */
export interface DownloadExtras {
  /** The file's share of the set's connections. */
  grant?: ConnectionGrant;
  /** The set's speed limit over all its files, obeyed besides the file's own. */
  totalRateLimit?: RateLimit;
  /** The directory's ledger, shared by the set's downloads into it. @default read afresh */
  ledger?: (dir: string) => Promise<Ledger>;
  /**
   * Told the file's final path once it is known; returns the digests a checksum list gives it.
   * Throws when the path is not this file's to take (another file of the set has it), or when the
   * list must name every file and does not name this one.
   */
  named?: (finalPath: string) => ExpectedDigest[];
  /**
   * Where the file will be published when `dir` is a staging area (an all-or-nothing set): a
   * file already saved there is skipped too.
   */
  publishedDir?: string;
}

/** What the first response allows: ranges or not, the length, and the partial data to keep. */
interface Plan {
  ranges: boolean;
  size: number | null;
  resume: Resumable | undefined;
}

/** The first request's outcome: the response (lane 0's first segment) and how to read it. */
interface Probe {
  first: Sent;
  verdict: Exclude<ResponseVerdict, { kind: "bad" }>;
  /** The byte the first request asked from, and where it asked to stop (fixed chunks only). */
  start: number;
  end: number | undefined;
}

export class Download {
  /** The URL requests go to: its userinfo, if any, is sent as Basic credentials instead. */
  readonly #url: URL;
  readonly #authorization: string | undefined;
  /** Which object the URL names, for the resume state: no credentials, no signing fields. */
  readonly #identity: string;
  /** The URL as events and results show it: no credentials, no signature. */
  readonly #shownUrl: string;
  readonly #o: NormalizedOptions;
  readonly #transport: Transport;
  /** The speed limits this download's reads obey; its transport is paced by them. */
  readonly #pacer: Pacer;
  /** Body bytes received over every attempt, kept or dropped: the result's `bytesReceived`. */
  readonly #wire = new WireCounter();
  readonly #dir: string;
  readonly #started = performance.now();
  readonly #emit: (event: DownloadEvent) => void;
  readonly #signal: AbortSignal;
  readonly #extras: DownloadExtras;
  /** Fetch the whole file in one response on one connection (its ETags could not be trusted). */
  #single = false;
  readonly #ledgers = new Map<string, Promise<Ledger>>();
  /** What a checksum list expects of the file, once its name is known. */
  #listed: ExpectedDigest[] = [];

  constructor(url: URL, options: NormalizedOptions, transport: Transport, extras: DownloadExtras) {
    this.#extras = extras;
    this.#url = withoutUserinfo(url);
    this.#authorization = basicAuthorization(url);
    this.#identity = resumeIdentity(url);
    this.#shownUrl = redactUrl(this.#url);
    this.#o = options;
    this.#pacer = new Pacer([options.rateLimit, extras.totalRateLimit]);
    this.#transport = this.#pacer.wrap(this.#wire.wrap(transport));
    // `-o` is the caller's own path, relative to `dir` or absolute, so it may lead outside `dir`
    // (as curl's and wget's do); only names from the server are confined to `dir`.
    this.#dir = resolve(options.dir, options.output ? dirname(options.output) : ".");
    this.#emit = guardHandler(options.onEvent);
    this.#signal = options.signal ?? new AbortController().signal;
  }

  async run(): Promise<DownloadResult> {
    let name = this.#o.output === undefined ? undefined : basename(this.#o.output);
    const saved = await this.#alreadySaved(name);
    if (saved) return saved;
    let etagChanges = 0;
    for (let restarts = 0; ;) {
      try {
        return await this.#attempt(name);
      } catch (error) {
        if (error instanceof Renamed) {
          name = error.filename;
          continue;
        }
        if (this.#signal.aborted) throw new AbortedError();
        if (!(error instanceof RemoteChanged)) throw error;
        etagChanges = error.etags ? etagChanges + 1 : 0;
        if (error.etags && this.#single) {
          // Even one connection's own retry saw another tag: nothing left to compare bytes with.
          const { held, seen } = error.etags;
          throw new RemoteChangedError(
            `the server gives this file different ETags (${held}, then ${seen}) with the same ` +
              "length and Last-Modified, and no digest that proves the bytes the same; " +
              "parget will not mix responses it cannot prove are one version",
          );
        }
        if (++restarts > MAX_RESTARTS) {
          throw new RemoteChangedError(`${error.message}; gave up after ${MAX_RESTARTS} restarts`);
        }
        // A second ETag-only change in a row looks like edges that tag the same bytes differently
        // (or a file rewritten as we go): one response from byte 0 is one version, whatever its tag.
        if (etagChanges >= 2) this.#single = true;
        this.#emit({ type: "restart", reason: error.message });
      }
    }
  }

  /**
   * One pass: the first request (which doubles as the probe), then the transfer, the verdict
   * and the publish. `knownName` is the user's name, or the one a Content-Disposition gave.
   */
  async #attempt(knownName: string | undefined): Promise<DownloadResult> {
    const name = chooseFilename({ output: knownName, url: this.#url });
    const target = new Target(this.#dir, name);
    const state = await target.loadState(this.#identity);
    if (state?.verified) {
      await target.publish(this.#o.overwrite, () => this.#record(target, state.verified!));
      return this.#done(target, {
        finalUrl: this.#shownUrl,
        size: state.size,
        resumedBytes: state.size,
        ranges: true,
        verified: state.verified,
        skipped: false,
      });
    }
    if (!state && !this.#o.overwrite && (await target.finalExists())) throw target.alreadyExists();

    const probe = await this.#probe(state);
    const { response } = probe.first;
    // Content-Disposition may name the file differently; that name decides the state and paths.
    const named = chooseFilename({
      output: knownName,
      contentDisposition: response.headers["content-disposition"],
      url: this.#url,
    });
    if (named !== name) {
      response.cancel();
      throw new Renamed(named);
    }
    try {
      this.#listed = this.#extras.named?.(target.final) ?? [];
    } catch (error) {
      response.cancel();
      throw error;
    }
    let plan: Plan;
    try {
      // Without a state, the final path was checked before the first request; with one, the
      // partial data is resumed or the download starts over.
      plan = await this.#resumable(target, state, probe);
    } catch (error) {
      response.cancel();
      throw error;
    }
    return this.#fetch(target, probe, plan);
  }

  /**
   * Sends the first request: from byte 0, or from the first missing byte of a partial download
   * with its If-Range. The other connections' handshakes overlap its round trip.
   */
  async #probe(state: ResumeState | undefined): Promise<Probe> {
    // A state with every byte (killed while verifying) still asks for its last byte: the answer
    // proves the version and brings the server's digests.
    const start = state ? Math.max(0, Math.min(firstMissing(state.extents), state.size - 1)) : 0;
    // One piece, not the rest of the file: an open-ended answer is cut where lane 0's piece ends,
    // which costs its connection and whatever the server had queued for it (in a set of small
    // files, most of each file). A file no larger than the piece arrives whole.
    const oneStream = this.#single || this.#o.connections === 1;
    const piece = oneStream ? undefined : (this.#o.chunkSize ?? this.#o.minSplitSize);
    const end = piece === undefined ? undefined : start + piece;
    const headers: Record<string, string> = {
      ...this.#baseHeaders(),
      range: formatRange(start, end),
    };
    // The server's digests, kept in the state, can prove a retagged file the same bytes.
    const version = state && { validators: validatorsOfState(state), digests: state.expected };
    const ifRange = version && ifRangeValue(version.validators);
    if (ifRange) Object.assign(headers, { "if-range": ifRange });
    for (let lane = 1; lane < this.#opening(); lane++) this.#transport.warm(this.#url, lane);

    let asked: { start: number; end: number | undefined } = { start, end };
    const ask = (): Promise<Sent> =>
      send(this.#transport, {
        url: this.#url,
        headers,
        lane: 0,
        signal: this.#signal,
        idleTimeoutMs: this.#o.idleTimeoutMs,
      });
    const check = ({ response }: Sent): ResponseVerdict =>
      checkResponse({
        status: response.status,
        headers: response.headers,
        digests: parseServerDigests(response.headers, response.status),
        asked,
        version,
        wholeFile: true,
      });
    const scope: RetryScope = {
      ...this.#retryScope(),
      // A set learns from a refused first request too; the file keeps its one connection.
      retire: (error) => {
        if (this.#extras.grant && isRefusal(error)) {
          this.#extras.grant.refused(this.#url.origin);
          this.#transport.release?.(0);
        }
        return false;
      },
    };
    return withRetries(scope, async () => {
      let first = await ask();
      let verdict = check(first);
      if (!state && this.#o.chunkSize === undefined && needsWholeBody(first, verdict)) {
        // S3 sends an object's checksums only with a body of all of it: ask again for all of it.
        first.response.cancel();
        headers.range = formatRange(start, undefined);
        asked = { start, end: undefined };
        first = await ask();
        verdict = check(first);
      }
      if (verdict.kind === "bad" && verdict.multipart) {
        // Ranges only as multipart/byteranges, which is never written as if it were the range:
        // the file comes as one plain stream instead, as from a server without ranges.
        first.response.cancel();
        delete headers.range;
        delete headers["if-range"];
        asked = { start: 0, end: undefined };
        first = await ask();
        verdict = check(first);
      }
      const { response } = first;
      if (verdict.kind === "bad") {
        // Never written; it counts as a failed attempt, like a 5xx.
        response.cancel();
        throw new BadResponseError(`server sent the wrong range: ${verdict.reason}`, {
          retryable: true,
        });
      }
      return { first, verdict, ...asked };
    });
  }

  /**
   * The connections to open at first: one once the file's ETags proved untrustworthy, and no
   * more than the set grants.
   */
  #opening(): number {
    return Math.min(this.#starting(), this.#extras.grant?.limit ?? Infinity);
  }

  /** The connections a transfer starts with, if the set grants them. */
  #starting(): number {
    if (this.#single) return 1;
    return this.#o.adaptive
      ? Math.min(this.#rampStart(), this.#o.connections)
      : this.#o.connections;
  }

  /**
   * Opens the connections the transfer will start with while the files are set up, so that their
   * handshakes overlap it: as many as the transfer starts (no more than `left` bytes keep busy).
   * A file of a set first says it wants them: until then it holds the one of its first request.
   */
  #warmStarting(left: number): void {
    const useful = usefulLanes(left, this.#o.chunkSize, this.#o.minSplitSize);
    const grant = this.#extras.grant;
    grant?.want(Math.min(this.#starting(), useful));
    const lanes = Math.min(this.#opening(), useful);
    for (let lane = 1; lane < lanes; lane++) this.#transport.warm(this.#url, lane);
  }

  /** The adaptive count's first level: one connection under a speed limit, which may be enough. */
  #rampStart(): number {
    return this.#pacer.rate === undefined ? DEFAULTS.startConnections : 1;
  }

  /** The directory's ledger: the set's, or read once for this download (checked, then appended). */
  #ledger(dir: string): Promise<Ledger> {
    if (this.#extras.ledger) return this.#extras.ledger(dir);
    let ledger = this.#ledgers.get(dir);
    if (!ledger) this.#ledgers.set(dir, (ledger = Ledger.load(dir)));
    return ledger;
  }

  /** Records the published file in its directory's ledger: a rerun skips it. */
  async #record(target: Target, verified: VerifiedDigest[], factsOf?: string): Promise<void> {
    const ledger = await this.#ledger(dirname(target.final));
    await ledger.record({ name: basename(target.final), url: this.#identity, verified }, factsOf);
  }

  /**
   * The file, if an earlier run saved and verified it from this URL and it is unchanged since
   * (and the caller did not ask to overwrite it): no request is sent. A digest asked now that was never computed for it is computed by reading
   * the file back; one that contradicts what was verified is a mismatch, and the file is left.
   */
  async #alreadySaved(name: string | undefined): Promise<DownloadResult | undefined> {
    const { publishedDir } = this.#extras;
    const subdir = this.#o.output ? dirname(this.#o.output) : ".";
    // --overwrite asks for a fresh copy: only a set's own staged files are kept.
    const dirs = this.#o.overwrite
      ? publishedDir
        ? [this.#dir]
        : []
      : [...(publishedDir ? [resolve(publishedDir, subdir)] : []), this.#dir];
    for (const dir of dirs) {
      const ledger = await this.#ledger(dir);
      const record = await ledger.saved(this.#identity, name);
      if (record) return this.#skip(ledger, new Target(dir, record.name), record);
    }
    return undefined;
  }

  async #skip(ledger: Ledger, target: Target, record: LedgerRecord): Promise<DownloadResult> {
    const expected = [...this.#o.checksums, ...(this.#extras.named?.(target.final) ?? [])];
    let verified = record.verified;
    const judged = judgeRecorded(verified, expected);
    if (judged.kind === "mismatch") {
      const { expected: want, recorded } = judged;
      throw new ChecksumMismatchError(
        [{ ...want, expected: want.hex, actual: recorded.hex }],
        target.final,
      );
    }
    if (judged.kind === "unknown") {
      const actual = await digestsOfFile(target.final, record.size, expected);
      const { verified: matched, mismatches } = compareDigests(expected, actual);
      if (mismatches.length > 0) throw new ChecksumMismatchError(mismatches, target.final);
      verified = dedupeDigests([...verified, ...matched]);
      await ledger.record({ name: record.name, url: this.#identity, verified });
    }
    await target.tidy();
    return this.#done(target, {
      finalUrl: this.#shownUrl,
      size: record.size,
      resumedBytes: record.size,
      ranges: true,
      verified,
      skipped: true,
    });
  }

  /**
   * Whether the partial download can be continued from this answer. When it cannot, the state
   * is forgotten and the download starts over with a fresh (parallel) first request.
   */
  async #resumable(
    target: Target,
    state: Resumable | undefined,
    { verdict }: Probe,
  ): Promise<Plan> {
    if (!state) {
      if (verdict.kind === "write") {
        return { ranges: verdict.status === 206, size: verdict.size, resume: undefined };
      }
      // `bytes=0-` is unsatisfiable only for an empty file.
      if (verdict.kind === "unsatisfiable" && verdict.size === 0) {
        return { ranges: false, size: 0, resume: undefined };
      }
      throw new BadResponseError("server refused the range bytes=0-");
    }
    if (verdict.kind === "write" && verdict.status === 206) {
      return { ranges: true, size: verdict.size, resume: state };
    }
    await target.forget();
    if (verdict.kind === "changed") {
      throw new RemoteChanged(`${verdict.reason} since the partial download`, verdict.etags);
    }
    throw new RemoteChanged(
      "the server's file changed (or it stopped serving ranges) since the partial download",
    );
  }

  /** Fetches every missing byte, verifies, and publishes. */
  async #fetch(target: Target, probe: Probe, plan: Plan): Promise<DownloadResult> {
    const { first } = probe;
    const { response } = first;
    const { ranges, resume } = plan;
    let size = plan.size;
    const validators = validatorsOf(response.headers, size);
    // A resumed download verifies what the server announced to the first run, whichever response
    // carried it. The user's digests are not kept: each run takes them from its own options, so a
    // corrected --checksum replaces a mistyped one.
    const announced = dedupeDigests([
      ...(resume?.expected ?? []),
      ...parseServerDigests(response.headers, response.status),
    ]);
    const expected = dedupeDigests([...this.#o.checksums, ...this.#listed, ...announced]);
    const needed = algorithmsNeeded(expected);
    if (
      !resume &&
      probe.verdict.kind === "write" &&
      size !== null &&
      size <= WHOLE_FILE_MAX &&
      probe.start === 0 &&
      (probe.end === undefined || probe.end >= size) &&
      hashableInMemory(needed.sequential)
    ) {
      return this.#fetchWhole(target, probe, { ...plan, size }, expected, needed);
    }
    const lanes = ranges && !this.#single ? this.#o.connections : 1;
    if (ranges && size !== null && lanes > 1) {
      this.#warmStarting(size - (resume ? totalBytes(resume.extents) : 0));
    }
    // A state of another start of this file (for another URL, or whose data is gone) must not
    // outlive the data that this start empties.
    if (!resume) await target.forget();
    const file = await PartialFile.open(target.partial, { resume: resume !== undefined });
    const generation = resume?.generation ?? newGeneration();
    const journal = ranges
      ? await Journal.open(target.journal, generation, resume?.journalled ?? [])
      : undefined;
    if (ranges && size !== null && !resume) {
      const known = { ...validators, size };
      await target
        .begin(this.#identity, known, { expected: announced, generation })
        .catch(async (error: unknown) => {
          await Promise.all([file.close().catch(() => {}), journal?.close()]);
          throw error;
        });
    }
    const done = resume?.extents.map((e) => ({ ...e }));
    const resumedBytes = done ? totalBytes(done) : 0;

    const hasher = FrontierHasher.start(target.partial, needed.sequential, size);
    let planner: RangePlanner | undefined;
    let transfer: Transfer | undefined;
    const progress = new Progress(this.#o.progressIntervalMs, this.#emit, () => ({
      bytes: planner?.writtenBytes ?? 0,
      size,
      activeConnections: transfer?.activeConnections ?? 0,
      lanes: transfer?.lanes() ?? [],
      written: planner ? coarsenSpans(planner.extents()) : [],
      ...(hasher.hashing ? { hashedBytes: hasher.hashedBytes } : {}),
    }));
    this.#emit({
      type: "start",
      url: this.#shownUrl,
      finalUrl: redactUrl(first.url),
      path: target.final,
      size,
      ranges,
      connections: lanes,
      adaptive: ranges && lanes > 1 && this.#o.adaptive,
      resumedBytes,
    });
    progress.start(resumedBytes);
    try {
      if (size === null) {
        const written = await streamToEnd(
          first,
          file,
          this.#transport,
          this.#o.idleTimeoutMs,
          this.#retryScope(),
          needed.crc32c,
        );
        size = written.end;
        planner = new RangePlanner({
          size,
          lanes,
          done: [written],
          minSplit: 1,
          maxPiece: size,
          combine: crc32cCombine,
        });
      } else {
        const known = { ...validators, size };
        const crcs = needed.crc32c;
        if (done && crcs && !resume?.crcs) {
          // Written by a run that expected no CRC32C: read the extents back for theirs.
          for (const e of done) e.crc = await file.crc32c(e.start, e.end);
        }
        // Pieces for the connections the set could grant this file now, not for the most the file
        // could get: a file holding one connection of a busy set asks for large pieces, not 2 MiB
        // at a time (each a round trip with its connection idle). Lanes granted later steal. Nor
        // for the one connection a file holds before it says how many it wants: pieces for fewer
        // lanes than will run are cut by steals, and each cut response wastes what the server
        // had already sent past the cut (up to its socket buffers, megabytes on a fast link).
        const granted = this.#extras.grant?.could(lanes) ?? lanes;
        planner = new RangePlanner({
          size,
          lanes: lanes > 1 ? Math.max(2, Math.min(lanes, granted)) : 1,
          done,
          chunkSize: this.#single ? undefined : this.#o.chunkSize,
          minSplit: this.#o.minSplitSize,
          maxPiece: this.#o.maxPieceSize,
          firstEnd: ranges ? probe.end : undefined,
          ...(crcs ? { combine: crc32cCombine } : {}),
        });
        // A resumed prefix is read back now, while the first requests are out.
        hasher.advance(planner.frontier);
        transfer = new Transfer(
          {
            transport: this.#transport,
            planner,
            file,
            hasher,
            url: first.url,
            headers: first.headers,
            version: { validators, digests: announced },
            ranges,
            retries: this.#o.retries,
            idleTimeoutMs: this.#o.idleTimeoutMs,
            emit: this.#emit,
            crcs,
            ...(this.#extras.grant ? { grant: this.#extras.grant } : {}),
            pacer: this.#pacer,
            saveState: async (extents) => {
              await target.saveState(this.#identity, known, {
                extents,
                crcs,
                expected: announced,
                generation,
              });
              journal?.covered(extents);
            },
            ...(journal ? { onWritten: journal.append.bind(journal) } : {}),
            ...(ranges && !this.#single && this.#o.adaptive
              ? {
                  ramp: new ConnectionRamp({
                    start: this.#rampStart(),
                    cap: this.#o.connections,
                  }),
                }
              : {}),
          },
          this.#o.signal,
        );
        const offset = ranges ? probe.start : 0;
        await transfer.run(lanes, { response, offset, end: Math.min(probe.end ?? size, size) });
      }
      progress.stop();

      // The data's flush to disk overlaps whatever hashing is left. It is what lets the state
      // below say "verified"; without ranges there is no state, and (like curl) no flush.
      const [verified] = await Promise.all([
        this.#verify(target, expected, needed.crc32c, planner, hasher),
        ranges ? file.sync() : undefined,
      ]);
      await Promise.all([file.close(), journal?.close()]);
      if (ranges)
        await target.saveState(
          this.#identity,
          { ...validators, size },
          { extents: planner.extents(), crcs: needed.crc32c, expected: announced, generation },
          verified,
        );
      await target.publish(this.#o.overwrite, () => this.#record(target, verified));
      return this.#done(target, {
        finalUrl: redactUrl(first.url),
        size,
        resumedBytes,
        ranges,
        verified,
        skipped: false,
      });
    } catch (error) {
      progress.stop();
      await Promise.all([file.close().catch(() => {}), journal?.close()]);
      if (error instanceof RemoteChanged) await target.forget();
      throw error;
    } finally {
      await hasher.close();
    }
  }

  /**
   * A small file whose first answer carries all of it (whole-file.ts): received into memory,
   * written once, flushed, verified and published, with no state or journal. A failed answer is
   * asked again from byte 0; one of another version starts the download over.
   */
  async #fetchWhole(
    target: Target,
    probe: Probe,
    plan: Plan & { size: number },
    expected: ExpectedDigest[],
    needed: ReturnType<typeof algorithmsNeeded>,
  ): Promise<DownloadResult> {
    const { size, ranges } = plan;
    const version = validatorsOf(probe.first.response.headers, size);
    let received = 0;
    const progress = new Progress(this.#o.progressIntervalMs, this.#emit, () => ({
      bytes: received,
      size,
      activeConnections: received < size ? 1 : 0,
    }));
    this.#emit({
      type: "start",
      url: this.#shownUrl,
      finalUrl: redactUrl(probe.first.url),
      path: target.final,
      size,
      ranges,
      connections: 1,
      adaptive: false,
      resumedBytes: 0,
    });
    progress.start(0);
    let pending: Sent | undefined = probe.first;
    let chunks: Uint8Array[];
    try {
      chunks = await withRetries(this.#retryScope(), async () => {
        const again = pending ? undefined : await this.#probe(undefined);
        const answer = pending ?? again!.first;
        pending = undefined;
        if (again) {
          const { verdict } = again;
          const now = validatorsOf(answer.response.headers, size);
          if (
            verdict.kind !== "write" ||
            verdict.size !== size ||
            compareValidators(version, now) !== "same"
          ) {
            answer.response.cancel();
            throw new RemoteChanged("the server's file changed between two attempts");
          }
        }
        received = 0;
        return receiveWhole(answer.response, size, (n) => (received = n));
      });
    } finally {
      pending?.response.cancel();
      progress.stop();
    }
    // Its connection may serve another file of the set while this one is written.
    this.#transport.release?.(0);
    const file = await PartialFile.open(target.partial, { resume: false });
    try {
      await file.write(chunks, 0);
      await file.sync();
    } finally {
      await file.close();
    }
    if (expected.length > 0) {
      this.#emit({ type: "verifying", algorithms: [...new Set(expected.map((d) => d.algorithm))] });
    }
    const { verified, mismatches } = compareDigests(expected, digestsOfChunks(chunks, needed));
    if (mismatches.length > 0) throw new ChecksumMismatchError(mismatches, target.partial);
    await target.publishStateless(this.#o.overwrite, (factsOf) =>
      this.#record(target, verified, factsOf),
    );
    return this.#done(target, {
      finalUrl: redactUrl(probe.first.url),
      size,
      resumedBytes: 0,
      ranges,
      verified,
      skipped: false,
    });
  }

  /** Compares the computed digests with the expected ones; a mismatch keeps the data, not the state. */
  async #verify(
    target: Target,
    expected: ExpectedDigest[],
    wantCrc: boolean,
    planner: RangePlanner,
    hasher: FrontierHasher,
  ): Promise<VerifiedDigest[]> {
    if (expected.length > 0) {
      this.#emit({ type: "verifying", algorithms: [...new Set(expected.map((d) => d.algorithm))] });
    }
    const sequential = await hasher.finish(planner.size);
    const crc = planner.extents()[0]?.crc ?? 0;
    const actual = { ...sequential, ...(wantCrc ? { crc32c: crc32cHex(crc) } : {}) };
    const { verified, mismatches } = compareDigests(expected, actual);
    if (mismatches.length > 0) {
      // Without a state, a rerun fetches the file again from scratch.
      await target.forget();
      throw new ChecksumMismatchError(mismatches, target.partial);
    }
    return verified;
  }

  #done(
    target: Target,
    summary: Omit<DownloadResult, "path" | "url" | "elapsedMs" | "bytesReceived">,
  ): DownloadResult {
    const result: DownloadResult = {
      path: target.final,
      url: this.#shownUrl,
      ...summary,
      bytesReceived: this.#wire.bytes,
      elapsedMs: performance.now() - this.#started,
    };
    this.#emit({ type: "done", result });
    return result;
  }

  #baseHeaders(): Record<string, string> {
    const user = Object.entries(this.#o.headers).map(([k, v]) => [k.toLowerCase(), v]);
    // S3 sends its checksums only when asked.
    return withChecksumMode(this.#url, {
      "user-agent": USER_AGENT,
      // The user's own Authorization header wins over the URL's userinfo.
      ...(this.#authorization ? { authorization: this.#authorization } : {}),
      ...Object.fromEntries(user),
      // Ranges are byte offsets into the file itself, never into a compressed rendition.
      "accept-encoding": "identity",
    });
  }

  #retryScope(): RetryScope {
    return {
      retries: this.#o.retries,
      signal: this.#signal,
      url: this.#url,
      emit: this.#emit,
      range: () => null,
    };
  }
}

/**
 * Whether a partial first answer comes from S3 (or a store that speaks its API) asked for its
 * checksums, with no digest of the whole object that a partial answer can carry: only an answer
 * with every byte brings them.
 */
function needsWholeBody({ headers, response }: Sent, verdict: ResponseVerdict): boolean {
  return (
    verdict.kind === "write" &&
    verdict.status === 206 &&
    !carriesWholeFile(response.headers, 206) &&
    headers[CHECKSUM_MODE] !== undefined &&
    response.headers["x-amz-request-id"] !== undefined &&
    parseServerDigests(response.headers, 206).length === 0
  );
}

/** Thrown when the server names the file differently: the attempt restarts under that name. */
class Renamed extends Error {
  readonly filename: string;
  constructor(filename: string) {
    super(`renamed to ${filename}`);
    this.filename = filename;
  }
}
