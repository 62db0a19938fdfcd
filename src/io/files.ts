/**
 * The engine's disk side: positional writes into the partial file, durable flushes, the atomic
 * state replace, and the final no-clobber publish. Every OS error leaves as a FileSystemError.
 */
import {
  open,
  rename,
  link,
  unlink,
  readFile,
  stat,
  lstat,
  mkdir,
  type FileHandle,
} from "node:fs/promises";
import { statSync, writevSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { FileSystemError } from "../errors.js";
import { crc32c } from "../integrity/crc32c.js";
import { WriteModes } from "../core/write-mode.js";

const READ_BLOCK = 1024 * 1024;

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
};

/** Wraps an OS error with what we were doing and where. */
export function fileSystemError(action: string, path: string, error: unknown): FileSystemError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    (code && REASONS[code]) ?? (error instanceof Error ? error.message : String(error));
  return new FileSystemError(`cannot ${action} ${path}: ${reason}`, { cause: error });
}

/**
 * The CRC (`sum`: CRC32C by default) of the bytes [start, end) of an open file; undefined when the
 * file ends before `end`.
 */
export async function crcOfRange(
  handle: FileHandle,
  start: number,
  end: number,
  sum: (data: Uint8Array, previous: number) => number = crc32c,
): Promise<number | undefined> {
  const block = Buffer.allocUnsafe(Math.min(READ_BLOCK, end - start));
  let crc = 0;
  for (let at = start; at < end;) {
    const { bytesRead } = await handle.read(block, 0, Math.min(block.length, end - at), at);
    if (bytesRead === 0) return undefined;
    crc = sum(block.subarray(0, bytesRead), crc);
    at += bytesRead;
  }
  return crc;
}

async function guard<T>(action: string, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fileSystemError(action, path, error);
  }
}

/** The file that receives ranges in place until it is verified and renamed. */
export class PartialFile {
  readonly path: string;
  readonly #handle: FileHandle;
  /** Whether the next write is made from the main thread or the pool (core/write-mode.ts). */
  readonly #modes: WriteModes;

  private constructor(path: string, handle: FileHandle, modes: WriteModes) {
    this.path = path;
    this.#handle = handle;
    this.#modes = modes;
  }

  /**
   * Opens the partial file: kept as it is when resuming, emptied otherwise. Nothing is reserved
   * for the size the server announced: a lying Content-Length must not leave a huge (sparse) file.
   * A range written past the end extends the file; the last byte written sets its final size.
   */
  static async open(
    path: string,
    options: { resume: boolean; modes?: WriteModes },
  ): Promise<PartialFile> {
    return guard("write", path, async () => {
      if (!present(dirname(path), "write")) await mkdir(dirname(path), { recursive: true });
      const handle = await open(path, options.resume ? "r+" : "w");
      return new PartialFile(path, handle, options.modes ?? new WriteModes());
    });
  }

  /**
   * Writes the buffers back to back at `position`: at once from this thread while writes are
   * fast, else through the pool (core/write-mode.ts). Each write is timed for the next choice.
   */
  async write(buffers: Uint8Array[], position: number): Promise<void> {
    let pending = buffers;
    let at = position;
    await guard("write", this.path, async () => {
      for (;;) {
        const mode = this.#modes.mode;
        const started = performance.now();
        const bytesWritten =
          mode === "direct"
            ? writevSync(this.#handle.fd, pending, at)
            : (await this.#handle.writev(pending, at)).bytesWritten;
        this.#modes.wrote(mode, bytesWritten, performance.now() - started);
        at += bytesWritten;
        pending = dropBytes(pending, bytesWritten);
        if (pending.length === 0) return;
      }
    });
  }

  /** Makes every completed write durable: called before a state that describes them is saved. */
  async sync(): Promise<void> {
    await guard("flush", this.path, () => this.#handle.datasync());
  }

  /** Reads [start, end) back and returns its CRC32C. */
  async crc32c(start: number, end: number): Promise<number> {
    return guard("read", this.path, async () => {
      const crc = await crcOfRange(this.#handle, start, end);
      if (crc === undefined) throw new Error(`the file ends before byte ${end}`);
      return crc;
    });
  }

  async truncate(size: number): Promise<void> {
    await guard("write", this.path, () => this.#handle.truncate(size));
  }

  async close(): Promise<void> {
    await guard("close", this.path, () => this.#handle.close());
  }
}

function dropBytes(buffers: Uint8Array[], count: number): Uint8Array[] {
  let left = count;
  const rest: Uint8Array[] = [];
  for (const b of buffers) {
    if (left >= b.length) left -= b.length;
    else {
      rest.push(left > 0 ? b.subarray(left) : b);
      left = 0;
    }
  }
  return rest;
}

/** The temporary file `replaceFileAtomically` writes first; a kill can leave it behind. */
export const temporaryOf = (path: string): string => `${path}.tmp`;

/**
 * Replaces a small file atomically: a reader (or a rerun after a crash) sees old or new, never
 * half. Callers never run two at once for one path; a temporary left by a kill is reused. Only
 * the owner may read it: a resume state names what is being fetched, and from where. Only a
 * `durable` replace survives a power loss too.
 */
export async function replaceFileAtomically(
  path: string,
  text: string,
  { durable = true } = {},
): Promise<void> {
  const temporary = temporaryOf(path);
  await guard("save state to", path, async () => {
    const handle = await open(temporary, "w", 0o600);
    try {
      // A temporary left by an older parget may have been created readable by others.
      await handle.chmod(0o600);
      await handle.writeFile(text);
      if (durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  });
}

/**
 * Whether something is at `path`, asked synchronously: the usual answer for a download's side
 * files is "no", once per file of a set of thousands, and a synchronous stat says it in one cheap
 * system call where the thread pool would take a round trip and an exception.
 */
function present(path: string, action: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    throw fileSystemError(action, path, error);
  }
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  if (!present(path, "read")) return undefined;
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileSystemError("read", path, error);
  }
}

export async function exists(path: string): Promise<boolean> {
  return present(path, "inspect");
}

/** What is at `path`, or undefined when nothing is; `followLinks: false` inspects a link itself. */
export async function statIfExists(
  path: string,
  { followLinks }: { followLinks: boolean },
): Promise<Stats | undefined> {
  try {
    return await (followLinks ? stat(path) : lstat(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileSystemError("inspect", path, error);
  }
}

/**
 * Makes the entries of `dir` durable: a rename into it, or a file or directory created in it,
 * survives a power loss only once its directory is flushed too.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, "r");
  } catch (error) {
    // Windows opens no directory; there the rename is as durable as the system makes it.
    if ((error as NodeJS.ErrnoException).code === "EISDIR") return;
    throw fileSystemError("flush", dir, error);
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (some FUSE and network ones) cannot flush a directory.
    if ((error as NodeJS.ErrnoException).code !== "EINVAL")
      throw fileSystemError("flush", dir, error);
  } finally {
    await handle.close();
  }
}

export async function removeIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw fileSystemError("remove", path, error);
  }
}

export async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a), stat(b)]);
  return x.dev === y.dev && x.ino === y.ino;
}

/**
 * Moves the verified file to its final path. Without `overwrite` this is a hard link (which fails
 * rather than replace an existing file) then an unlink, so a file that appeared meanwhile survives.
 */
export async function publish(from: string, to: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await guard("rename to", to, () => rename(from, to));
    return;
  }
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Killed between the link and the unlink: the final path is already this very file.
    if (code === "EEXIST" && (await sameFile(from, to))) {
      await removeIfExists(from);
      return;
    }
    if (code === "EEXIST") {
      throw new FileSystemError(`${to} already exists (use --overwrite to replace it)`, {
        code: "PARGET_FILE_EXISTS",
      });
    }
    // File systems without hard links: check, then rename.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "EXDEV") {
      if (await exists(to)) {
        throw new FileSystemError(`${to} already exists (use --overwrite to replace it)`, {
          code: "PARGET_FILE_EXISTS",
        });
      }
      await guard("rename to", to, () => rename(from, to));
      return;
    }
    throw fileSystemError("create", to, error);
  }
  await removeIfExists(from);
}
