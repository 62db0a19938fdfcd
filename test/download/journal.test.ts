/**
 * The write journal on resume: a kill leaves a state from the last checkpoint, a journal of the
 * writes since, and the data. These tests lay those files out as a kill would (the state and
 * journal encoded by core/, the data written by hand) and check what the rerun trusts and fetches.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { download, type ExpectedDigest } from "../../src/index.js";
import { generateContent, type RangeServer } from "../../src/server/index.js";
import {
  decodeJournal,
  encodeHeader,
  encodeRecords,
  type JournalRecord,
} from "../../src/core/journal.js";
import { Journal } from "../../src/io/journal.js";
import { encodeState, type ResumeState } from "../../src/core/state.js";
import { crc32, crc32c, crc32cHex } from "../../src/integrity/crc32c.js";
import { serve } from "../helpers/server.js";
import { assertContent, Events, generated, KiB, listing, MiB, tempDir } from "./fixtures.js";

const SEED = "journal";
const SIZE = 4 * MiB;
const GENERATION = "00112233445566778899aabbccddeeff";
/** The last checkpoint's state covers [0, A); the writes after it are journalled. */
const A = 1 * MiB;
const B = 2 * MiB;
const C = 3 * MiB;
const RATE = 4 * MiB;
/** What a connection may still send between its segment's end and its cancel. */
const SLACK = 256 * KiB;

interface Layout {
  server: RangeServer;
  dir: string;
  final: string;
}

/** A server and a directory; `validators` are the served file's, as a state would hold them. */
async function setUp(t: TestContext): Promise<Layout & { state: ResumeState }> {
  // Throttled, so a response cancelled at its segment's end has sent little past it.
  const server = await serve(t, {
    files: { "/f.bin": generated(SEED, SIZE) },
    ratePerConnection: RATE,
  });
  const response = await fetch(server.url("/f.bin"), { headers: { range: "bytes=0-0" } });
  await response.arrayBuffer();
  server.resetStats();
  const dir = await tempDir(t);
  const state: ResumeState = {
    url: server.url("/f.bin"),
    size: SIZE,
    etag: response.headers.get("etag"),
    lastModified: response.headers.get("last-modified"),
    extents: [{ start: 0, end: A, crc: crc32c(generateContent(SEED, 0, A)) }],
    crcs: true,
    expected: [],
    generation: GENERATION,
  };
  return { server, dir, final: path.join(dir, "f.bin"), state };
}

const record = (start: number, end: number): JournalRecord => ({
  offset: start,
  length: end - start,
  crc: crc32(generateContent(SEED, start, end - start)),
});

/** What a kill leaves: the data file with `onDisk` ranges written, the state, and the journal. */
async function leaveAsKilled(
  { final, state }: Layout & { state: ResumeState },
  onDisk: [number, number][],
  journal: Buffer | undefined,
): Promise<void> {
  const data = Buffer.alloc(SIZE);
  for (const [start, end] of onDisk) generateContent(SEED, start, end - start).copy(data, start);
  await writeFile(`${final}.parget`, data);
  await writeFile(`${final}.parget.state`, encodeState(state));
  if (journal) await writeFile(`${final}.parget.journal`, journal);
}

const journalOf = (records: JournalRecord[], generation = GENERATION): Buffer =>
  Buffer.concat([encodeHeader(generation), encodeRecords(records, generation, crc32)]);

async function rerun(
  layout: Layout,
  checksums: ExpectedDigest[] = [],
): Promise<{ resumedBytes: number; firstRange: string }> {
  const events = new Events();
  await download(layout.server.url("/f.bin"), {
    dir: layout.dir,
    // One connection: no steals or races at the end, so what is sent is what was missing.
    connections: 1,
    onEvent: events.onEvent,
    checksums,
  });
  await assertContent(layout.final, SEED, SIZE);
  assert.deepEqual(await listing(layout.dir), ["f.bin"], "the journal goes with the state");
  const [start] = events.of("start");
  return {
    resumedBytes: start!.resumedBytes,
    firstRange: layout.server.stats.requestLog[0]?.range ?? "",
  };
}

function assertSent({ server }: Layout, missing: number): void {
  const sent = server.stats.bytesSent;
  assert.ok(
    sent >= missing && sent <= missing + SLACK,
    `sent ${sent} bytes for ${missing} missing`,
  );
}

test("writes journalled after the last checkpoint are kept: only the rest is fetched", async (t) => {
  const layout = await setUp(t);
  // [A, B) reached the data file; [B, C) was journalled but never reached it (a power loss):
  // zeros read back, the CRC-32 does not match, and those bytes are fetched again.
  const torn = journalOf([record(A, B), record(B, C)]);
  await leaveAsKilled(layout, [[0, B]], torn.subarray(0, torn.length - 3));
  const { resumedBytes, firstRange } = await rerun(layout);
  assert.equal(resumedBytes, B);
  assert.equal(firstRange, `bytes=${B}-`, "the first request starts past the journalled writes");
  assertSent(layout, SIZE - B);
});

test("a resume that verifies a CRC32C reads the journalled writes back for theirs", async (t) => {
  // The journal sums writes with CRC-32; the state keeps CRC32Cs (crcs: true), combined at the end
  // into the file's: a recovered range with a wrong one would fail the download's verification.
  const layout = await setUp(t);
  await leaveAsKilled(layout, [[0, B]], journalOf([record(A, B)]));
  const hex = crc32cHex(crc32c(generateContent(SEED, 0, SIZE)));
  const { resumedBytes } = await rerun(layout, [{ algorithm: "crc32c", hex, source: "user" }]);
  assert.equal(resumedBytes, B);
  assertSent(layout, SIZE - B);
});

test("a journalled write the data file does not hold is dropped, even mid-journal", async (t) => {
  const layout = await setUp(t);
  await leaveAsKilled(
    layout,
    [
      [0, A],
      [C, SIZE],
    ],
    journalOf([record(A, B), record(C, SIZE)]),
  );
  const { resumedBytes } = await rerun(layout);
  assert.equal(resumedBytes, A + (SIZE - C));
  assertSent(layout, C - A);
});

test("a journal of another generation, or beside an older state, is never read", async (t) => {
  for (const [label, generation, stateGeneration] of [
    ["another generation", "ffeeddccbbaa99887766554433221100", GENERATION],
    ["a state from before generations", GENERATION, undefined],
  ] as const) {
    await t.test(label, async (t) => {
      const layout = await setUp(t);
      const state: ResumeState = { ...layout.state };
      if (!stateGeneration) delete state.generation;
      await leaveAsKilled({ ...layout, state }, [[0, B]], journalOf([record(A, B)], generation));
      const { resumedBytes } = await rerun(layout);
      assert.equal(resumedBytes, A, "only the state's extents are trusted");
      assertSent(layout, SIZE - A);
    });
  }
});

test("a file replaced on the server: the journal is forgotten with the state", async (t) => {
  const layout = await setUp(t);
  await leaveAsKilled(layout, [[0, B]], journalOf([record(A, B)]));
  layout.server.replaceFile("/f.bin", generated(`${SEED}-new`, SIZE));
  const events = new Events();
  await download(layout.server.url("/f.bin"), { dir: layout.dir, onEvent: events.onEvent });
  await assertContent(layout.final, `${SEED}-new`, SIZE);
  assert.equal(events.of("restart").length, 1);
  assert.deepEqual(await listing(layout.dir), ["f.bin"]);
});

test("an interrupted download leaves a state and a journal of one generation", async (t) => {
  const server = await serve(t, {
    files: { "/f.bin": generated(SEED, SIZE) },
    ratePerConnection: 2 * MiB,
  });
  const dir = await tempDir(t);
  const final = path.join(dir, "f.bin");
  const controller = new AbortController();
  const run = download(server.url("/f.bin"), {
    dir,
    connections: 2,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === "progress" && event.bytes > 0) controller.abort();
    },
  });
  await assert.rejects(run);
  const saved = JSON.parse(await readFile(`${final}.parget.state`, "utf8")) as {
    generation?: string;
  };
  const journal = await readFile(`${final}.parget.journal`);
  assert.match(saved.generation ?? "", /^[0-9a-f]{32}$/);
  assert.ok(journal.subarray(0, 20).equals(encodeHeader(saved.generation!)));
  // The last checkpoint covers every write, so the journal keeps none of them.
  assert.equal(journal.length, 20);
});

test("the journal file: records land in order; a durable state's extents drop theirs", async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, "f.bin.parget.journal");
  const read = async (): Promise<JournalRecord[]> =>
    decodeJournal(await readFile(file), GENERATION, crc32);
  const at = (offset: number, crc: number): JournalRecord => ({ offset, length: 10, crc });
  let journal = await Journal.open(file, GENERATION, []);
  journal.append(10, 10, 1);
  journal.append(30, 10, 2);
  journal.append(50, 10, 3);
  await journal.close();
  assert.deepEqual(await read(), [at(10, 1), at(30, 2), at(50, 3)]);

  // A rerun keeps what it recovered; once a state covering [0, 40) is durable, those go.
  journal = await Journal.open(file, GENERATION, await read());
  journal.covered([{ start: 0, end: 40, crc: 0 }]);
  journal.append(70, 10, 4);
  await journal.close();
  assert.deepEqual(await read(), [at(50, 3), at(70, 4)]);

  // Opened for another generation, it starts empty.
  await (await Journal.open(file, "ffeeddccbbaa99887766554433221100", [])).close();
  assert.deepEqual(await read(), []);
});
