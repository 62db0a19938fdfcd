/**
 * One download's files on disk: the final path, the partial data beside it, and its resume
 * state. Which state may be trusted, and the last step (publish) live here.
 */
import type { DownloadResult } from "./events.js";
import type { Validators } from "./core/validators.js";
import { FileSystemError } from "./errors.js";
import { resolveInside } from "./core/filename.js";
import { decodeState, encodeState, type ResumeState } from "./core/state.js";
import {
  exists,
  publish,
  readTextIfExists,
  removeIfExists,
  replaceFileAtomically,
  temporaryOf,
} from "./io/files.js";

export class Target {
  readonly name: string;
  readonly final: string;
  readonly partial: string;
  readonly state: string;

  /** `name` is already sanitised; it is resolved strictly inside `dir`. */
  constructor(dir: string, name: string) {
    this.name = name;
    this.final = resolveInside(dir, name);
    this.partial = `${this.final}.parget`;
    this.state = `${this.final}.parget.state`;
  }

  /**
   * The saved state, if it belongs to the object `identity` names (core/secrets, resumeIdentity)
   * and its data is still there.
   */
  async loadState(identity: string): Promise<ResumeState | undefined> {
    const text = await readTextIfExists(this.state);
    const state = text === undefined ? undefined : decodeState(text);
    if (!state || state.url !== identity) return undefined;
    if (await exists(this.partial)) return state;
    // Killed after the rename, before the state was removed: the download is already done.
    return state.verified && (await exists(this.final)) ? state : undefined;
  }

  /** `identity` is the URL as resumeIdentity gives it: the state file holds no credentials. */
  async saveState(
    identity: string,
    validators: Validators & { size: number },
    { extents, crcs, expected }: Pick<ResumeState, "extents" | "crcs" | "expected">,
    verified?: DownloadResult["verified"],
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
    await replaceFileAtomically(this.state, encodeState(state));
  }

  /** Removes the resume state (and a temporary a kill may have left): a rerun starts over. */
  async forget(): Promise<void> {
    await removeIfExists(this.state);
    await removeIfExists(temporaryOf(this.state));
  }

  async finalExists(): Promise<boolean> {
    return exists(this.final);
  }

  /**
   * Moves the verified data to the final path and forgets the state. A rerun after a kill in
   * here finds a verified state and only finishes this step.
   */
  async publish(overwrite: boolean): Promise<void> {
    if (await exists(this.partial)) {
      await publish(this.partial, this.final, overwrite);
    } else if (!(await exists(this.final))) {
      throw new FileSystemError(`${this.partial} vanished before it could be renamed`);
    }
    await this.forget();
  }

  alreadyExists(): FileSystemError {
    return new FileSystemError(`${this.final} already exists (use --overwrite to replace it)`, {
      code: "PARGET_FILE_EXISTS",
    });
  }
}
