/** Reads and appends a directory's ledger (core/ledger.ts). */
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  LEDGER_NAME,
  decodeLedger,
  encodeRecord,
  findSaved,
  stillSaved,
  type LedgerRecord,
} from "../core/ledger.js";
import { fileSystemError, readTextIfExists } from "./files.js";

export class Ledger {
  readonly path: string;
  readonly #dir: string;
  readonly #records: LedgerRecord[];
  /** Records waiting for the next append, and whether one is being written. */
  readonly #queued: { record: LedgerRecord; resolve: () => void; reject: (e: unknown) => void }[] =
    [];
  #flushing = false;

  private constructor(dir: string, records: LedgerRecord[]) {
    this.#dir = dir;
    this.path = join(dir, LEDGER_NAME);
    this.#records = records;
  }

  static async load(dir: string): Promise<Ledger> {
    const text = await readTextIfExists(join(dir, LEDGER_NAME));
    return new Ledger(dir, text === undefined ? [] : decodeLedger(text));
  }

  /**
   * The file saved from `url` (under `name`, when the caller names it) if it is still on disk as
   * it was recorded.
   */
  async saved(url: string, name: string | undefined): Promise<LedgerRecord | undefined> {
    const record = findSaved(this.#records, url, name);
    if (!record) return undefined;
    try {
      const facts = await stat(join(this.#dir, record.name));
      return stillSaved(record, facts) ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Records a file published just now, reading its facts from disk (from `factsOf`, the file it
   * is about to be renamed from, if given); durable before it returns. Records that arrive while
   * an append is being flushed go out together in the next one: one flush for many files.
   */
  async record(
    fields: Omit<LedgerRecord, "size" | "mtimeMs" | "ino">,
    factsOf = join(this.#dir, fields.name),
  ): Promise<void> {
    let record: LedgerRecord;
    try {
      const { size, mtimeMs, ino } = await stat(factsOf);
      record = { ...fields, size, mtimeMs, ino };
    } catch (error) {
      throw fileSystemError("record in", this.path, error);
    }
    await new Promise<void>((resolve, reject) => {
      this.#queued.push({ record, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
    this.#records.push(record);
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    while (this.#queued.length > 0) {
      const batch = this.#queued.splice(0);
      try {
        const handle = await open(this.path, "a", 0o600);
        try {
          await handle.appendFile(batch.map((q) => encodeRecord(q.record)).join(""));
          await handle.datasync();
        } finally {
          await handle.close();
        }
        for (const q of batch) q.resolve();
      } catch (error) {
        const failure = fileSystemError("record in", this.path, error);
        for (const q of batch) q.reject(failure);
      }
    }
    this.#flushing = false;
  }
}
