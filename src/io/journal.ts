/**
 * The write journal on disk (see core/journal.ts for what it holds and why). Appends are queued and
 * written one batch at a time, never flushed: a SIGKILL loses only records still in this queue.
 * A journal that cannot be written (a full disk) is dropped quietly; the state still stands.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, type FileHandle } from "node:fs/promises";
import { crc32 } from "../integrity/crc32c.js";
import type { Extent } from "../core/planner.js";
import type { ResumeState } from "../core/state.js";
import {
  HEADER_BYTES,
  decodeJournal,
  encodeHeader,
  encodeRecords,
  outstanding,
  recoverExtents,
  type JournalRecord,
  type Recovery,
} from "../core/journal.js";
import { crcOfRange, fileSystemError } from "./files.js";

/** A fresh generation, for a partial file started from nothing (or by an older version). */
export const newGeneration = (): string => randomBytes(16).toString("hex");

export class Journal {
  readonly #generation: string;
  #handle: FileHandle | undefined;
  /** Where the next record goes: always just past the last whole record. */
  #end = HEADER_BYTES;
  /** Every record the journal must keep: those the last durable state does not cover. */
  #records: JournalRecord[];
  /** Records not yet handed to the kernel. */
  #pending: JournalRecord[] = [];
  /** Set when the file should be rewritten with `#records` alone. */
  #compact = false;
  #writing: Promise<void> | undefined;

  private constructor(
    generation: string,
    handle: FileHandle | undefined,
    records: JournalRecord[],
  ) {
    this.#generation = generation;
    this.#handle = handle;
    this.#records = records;
  }

  /**
   * Opens the journal at `path` for `generation`, keeping only `records` (those that proved true
   * beyond the durable state): rewritten in place, so a kill halfway leaves valid records only. A
   * journal of another generation, or with nothing to keep, starts empty.
   */
  static async open(path: string, generation: string, records: JournalRecord[]): Promise<Journal> {
    let handle: FileHandle | undefined;
    try {
      if (records.length > 0) {
        handle = await open(path, "r+");
      } else {
        handle = await open(path, "w");
        await writeAll(handle, encodeHeader(generation), 0);
      }
    } catch {
      await handle?.close().catch(() => {});
      handle = undefined;
    }
    const journal = new Journal(generation, handle, [...records]);
    journal.#compact = records.length > 0;
    journal.#pump();
    return journal;
  }

  /** Records a write that has just completed; `crc` is the CRC-32 of its bytes. */
  append(offset: number, length: number, crc: number): void {
    if (!this.#handle) return;
    const record = { offset, length, crc };
    this.#records.push(record);
    this.#pending.push(record);
    this.#pump();
  }

  /**
   * A state covering `extents` is now durable: the records it covers are dropped from the file.
   * Never sooner: until then, those records are all that proves the writes are on disk.
   */
  covered(extents: readonly Extent[]): void {
    if (!this.#handle) return;
    this.#records = outstanding(this.#records, extents);
    this.#compact = true;
    this.#pump();
  }

  /** Waits for queued records to be written, and closes the file. */
  async close(): Promise<void> {
    await this.#writing;
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => {});
  }

  #pump(): void {
    this.#writing ??= this.#drain().finally(() => (this.#writing = undefined));
  }

  async #drain(): Promise<void> {
    try {
      while (this.#handle && (this.#compact || this.#pending.length > 0)) {
        const handle = this.#handle;
        if (this.#compact) {
          // Over the records in place, then cut: records past the new end stay valid meanwhile.
          this.#compact = false;
          this.#pending = [];
          const all = encodeRecords(this.#records, this.#generation, crc32);
          await writeAll(handle, all, HEADER_BYTES);
          this.#end = HEADER_BYTES + all.length;
          await handle.truncate(this.#end);
        } else {
          const batch = encodeRecords(this.#pending, this.#generation, crc32);
          this.#pending = [];
          await writeAll(handle, batch, this.#end);
          this.#end += batch.length;
        }
      }
    } catch {
      // Without a journal a kill costs what it did before it: the writes since the last checkpoint.
      await this.#handle?.close().catch(() => {});
      this.#handle = undefined;
    }
  }
}

/**
 * The writes the journal at `path` proves are in the data file `data` beyond the state's extents:
 * each record of the state's generation is checked against the bytes read back.
 */
export async function recoverWrites(
  path: string,
  data: string,
  state: ResumeState,
): Promise<Recovery> {
  const { generation } = state;
  const bytes = generation ? await readFile(path).catch(() => undefined) : undefined;
  const records = generation && bytes ? decodeJournal(bytes, generation, crc32) : [];
  if (records.length === 0) return { extents: [], records: [] };
  let handle: FileHandle | undefined;
  try {
    handle = await open(data, "r");
    const file = handle;
    const recovered = await recoverExtents(state.extents, records, state.size, (start, end) =>
      crcOfRange(file, start, end, crc32),
    );
    // A state that keeps CRC32Cs (a GCS download verifies one) gets those of these bytes too.
    if (state.crcs) {
      for (const e of recovered.extents) e.crc = (await crcOfRange(file, e.start, e.end)) ?? 0;
    }
    return recovered;
  } catch (error) {
    throw fileSystemError("read", data, error);
  } finally {
    await handle?.close().catch(() => {});
  }
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
