/**
 * One download's files on disk: the final path, the partial data beside it, its resume state and
 * write journal. Which state may be trusted, and the last step (publish) live here.
 */
import { basename, dirname } from "node:path";
import type { DownloadResult } from "./events.js";
import type { Validators } from "./core/validators.js";
import { FileSystemError } from "./errors.js";
import { resolveInside } from "./core/filename.js";
import { decodeState, encodeState, type ResumeState } from "./core/state.js";
import { mergeExtents, type JournalRecord } from "./core/journal.js";
import { crc32cCombine } from "./integrity/crc32c.js";
import { recoverWrites } from "./io/journal.js";
import {
  exists,
  publish,
  readTextIfExists,
  removeIfExists,
  replaceFileAtomically,
  sameFile,
  temporaryOf,
} from "./io/files.js";

/** A saved state, with the writes its journal proves are on disk merged into its extents. */
export interface Resumable extends ResumeState {
  /** The journal records behind those writes: the journal keeps them until a state covers them. */
  journalled: JournalRecord[];
}

export class Target {
  readonly name: string;
  readonly final: string;
  readonly partial: string;
  readonly state: string;
  readonly journal: string;
  /** Whether loadState() found a state file, usable or not: one that forget() must remove. */
  #stateFound = true;

  /** `name` is already sanitised; it is resolved strictly inside `dir`. */
  constructor(dir: string, name: string) {
    this.name = name;
    this.final = resolveInside(dir, name);
    this.partial = `${this.final}.parget`;
    this.state = `${this.final}.parget.state`;
    this.journal = `${this.final}.parget.journal`;
  }

  /**
   * The saved state, if it belongs to the object `identity` names (core/secrets,
   * resumeIdentity) and its data is still there, with the writes since its
   * checkpoint that the journal proves. The resume starts from there, its first request included.
   */
  async loadState(identity: string): Promise<Resumable | undefined> {
    const text = await readTextIfExists(this.state);
    this.#stateFound = text !== undefined;
    const state = text === undefined ? undefined : decodeState(text);
    if (!state || state.url !== identity) return undefined;
    if (state.verified) {
      // Killed after the rename, before the state was removed: the download is already done.
      const there = (await exists(this.partial)) || (await exists(this.final));
      return there ? { ...state, journalled: [] } : undefined;
    }
    if (!(await exists(this.partial))) return undefined;
    const recovered = await recoverWrites(this.journal, this.partial, state);
    // CRCs of a state that kept none are read back later, with the rest of its extents.
    const extents = mergeExtents(state.extents, recovered.extents, crc32cCombine);
    return { ...state, extents, journalled: recovered.records };
  }

  /** `identity` is the URL as resumeIdentity gives it: the state file holds no credentials. */
  async saveState(
    identity: string,
    validators: Validators & { size: number },
    fields: Pick<ResumeState, "extents" | "crcs" | "expected" | "generation">,
    verified?: DownloadResult["verified"],
  ): Promise<void> {
    await this.#write(identity, validators, fields, verified, true);
  }

  /**
   * Marks an emptied partial file as this download's, before its first write: a state with no
   * extents and the journal's generation. It claims no bytes, so it needs no flush; what a kill
   * leaves in the journal from then on counts.
   */
  async begin(
    identity: string,
    validators: Validators & { size: number },
    { expected, generation }: Pick<ResumeState, "expected"> & { generation: string },
  ): Promise<void> {
    const fields = { extents: [], crcs: true, expected, generation };
    await this.#write(identity, validators, fields, undefined, false);
  }

  async #write(
    identity: string,
    validators: Validators & { size: number },
    {
      extents,
      crcs,
      expected,
      generation,
    }: Pick<ResumeState, "extents" | "crcs" | "expected" | "generation">,
    verified: DownloadResult["verified"] | undefined,
    durable: boolean,
  ): Promise<void> {
    const state: ResumeState = {
      url: identity,
      size: validators.size,
      etag: validators.etag,
      lastModified: validators.lastModified,
      extents,
      crcs,
      expected,
    };
    if (verified) state.verified = verified;
    if (generation) state.generation = generation;
    await replaceFileAtomically(this.state, encodeState(state), { durable });
  }

  /**
   * Removes the journal, then the resume state (and a temporary a kill may have left): a rerun
   * starts over. A kill in between leaves a state that is still true without its journal.
   */
  async forget(): Promise<void> {
    await removeIfExists(this.journal);
    await removeIfExists(this.state);
    await removeIfExists(temporaryOf(this.state));
  }

  async finalExists(): Promise<boolean> {
    return exists(this.final);
  }

  /**
   * Moves the verified data to the final path, records it in the directory's ledger, and forgets
   * the state. A rerun after a kill in here finds a verified state and only finishes this step.
   */
  async publish(overwrite: boolean, recordSaved: () => Promise<void>): Promise<void> {
    if (await exists(this.partial)) {
      await publish(this.partial, this.final, overwrite);
    } else if (!(await exists(this.final))) {
      throw new FileSystemError(`${this.partial} vanished before it could be renamed`);
    }
    // The ledger records it before the state goes: a kill in between leaves one or the other.
    await recordSaved();
    await this.forget();
  }

  /**
   * publish() for data that never had a state of its own (whole-file.ts): the partial file was
   * just written, and a state file is removed only if loadState() found one. With no state to say
   * "verified", the ledger records the partial file (the same inode) before it moves: a kill
   * after the move finds the file recorded, one before finds the record's file missing.
   */
  async publishStateless(
    overwrite: boolean,
    recordSaved: (factsOf: string) => Promise<void>,
  ): Promise<void> {
    await recordSaved(this.partial);
    await publish(this.partial, this.final, overwrite);
    if (this.#stateFound) await this.forget();
  }

  /**
   * The file was found saved (the ledger records it): what a kill during its publish left beside
   * it goes, the partial file's second name included.
   */
  async tidy(): Promise<void> {
    if ((await exists(this.partial)) && (await sameFile(this.partial, this.final))) {
      await removeIfExists(this.partial);
    }
    const sideFiles = [this.state, this.journal, temporaryOf(this.state)];
    if ((await Promise.all(sideFiles.map(exists))).some(Boolean)) await this.forget();
  }

  /** Deletes the final file and everything beside it; the paths that were there. */
  async removeAll(): Promise<string[]> {
    const files = [this.final, this.partial, this.journal, this.state, temporaryOf(this.state)];
    const removed: string[] = [];
    for (const file of files) {
      if (!(await exists(file))) continue;
      await removeIfExists(file);
      removed.push(file);
    }
    return removed;
  }

  alreadyExists(): FileSystemError {
    return new FileSystemError(`${this.final} already exists (use --overwrite to replace it)`, {
      code: "PARGET_FILE_EXISTS",
    });
  }
}

/**
 * Deletes what a download left at `path` (its final path): the file, its partial data, resume
 * state and journal. Resolves the paths removed. The caller makes sure no run uses them.
 */
export function removeDownloadFiles(path: string): Promise<string[]> {
  return new Target(dirname(path), basename(path)).removeAll();
}
