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
   * is about to be renamed from, if given); durable before it returns.
   */
  async record(
    fields: Omit<LedgerRecord, "size" | "mtimeMs" | "ino">,
    factsOf = join(this.#dir, fields.name),
  ): Promise<void> {
    try {
      const { size, mtimeMs, ino } = await stat(factsOf);
      const record = { ...fields, size, mtimeMs, ino };
      const handle = await open(this.path, "a", 0o600);
      try {
        await handle.appendFile(encodeRecord(record));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.#records.push(record);
    } catch (error) {
      throw fileSystemError("record in", this.path, error);
    }
  }
}
