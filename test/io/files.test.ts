/**
 * The partial file's writes land where they are asked, whether made from the main thread or
 * through the pool (core/write-mode.ts decides which; its own tests play the table).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { WriteModes, type WriteMode } from "../../src/core/write-mode.js";
import { PartialFile } from "../../src/io/files.js";

/** Records the mode of each write it is told of. */
class RecordedModes extends WriteModes {
  readonly made: WriteMode[] = [];
  override wrote(mode: WriteMode, bytes: number, ms: number): void {
    this.made.push(mode);
    super.wrote(mode, bytes, ms);
  }
}

async function partial(t: TestContext, modes: WriteModes): Promise<[PartialFile, string]> {
  const dir = await mkdtemp(path.join(tmpdir(), "parget-files-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, "f.bin.parget");
  return [await PartialFile.open(file, { resume: false, modes }), file];
}

/** Writes pieces out of order, two buffers back to back in one, and returns the file's bytes. */
async function writePieces(file: PartialFile, at: string): Promise<Buffer> {
  await file.write([Buffer.from("world")], 6);
  await file.write([Buffer.from("hello"), Buffer.from(" ")], 0);
  await file.write([Buffer.from("!")], 11);
  await file.close();
  return readFile(at);
}

test("writes from the main thread land in place", async (t) => {
  const modes = new RecordedModes();
  const [file, at] = await partial(t, modes);
  assert.equal((await writePieces(file, at)).toString(), "hello world!");
  assert.equal(modes.made[0], "direct");
});

test("writes through the pool land in place", async (t) => {
  const modes = new RecordedModes();
  modes.wrote("direct", 1, 10_000); // a write the kernel held back: the pool takes the next
  const [file, at] = await partial(t, modes);
  assert.equal((await writePieces(file, at)).toString(), "hello world!");
  assert.equal(modes.made[1], "pooled");
});
