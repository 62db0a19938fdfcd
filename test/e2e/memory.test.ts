/**
 * Memory stays bounded: the CLI's peak RSS at 16 connections, as the kernel counts it, stays
 * under a fixed budget while the network outruns the disk and while one connection lags far
 * behind the others, and does not grow with the file: a file four times larger fits the same
 * budget. Backpressure, not buffering, is what keeps a fast sender in check.
 *
 * Every bound here is on bytes, never on a ratio of two runs: a peak is the worst moment of a run,
 * so a longer run on a busier machine sees a worse one without using more memory per byte. Memory
 * that grew with the file would cross the budget long before 1 GiB.
 */
import assert from "node:assert/strict";
import { open, rm, stat } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { digestOfContent, generateContent, type ServerOptions } from "../../src/server/index.js";
import { runCliMeasured } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { MiB, tempDir } from "./support.js";

const CONNECTIONS = 16;
/**
 * The contract: peak RSS of the whole CLI process, Node itself included (~40 MiB of it), on the
 * Node this project ships on (20). Node 24 starts ~3 MiB larger and touches ~10 MiB more of its
 * own binary to load the same modules; the same runs measure 76-95 MiB there, so it gets a
 * looser bound that still catches a regression (see README, "Memory").
 */
const RSS_BUDGET = (process.versions.node.startsWith("20.") ? 100 : 130) * MiB;
const KiB = 1024;
/** Only ends a run that hangs: a loaded machine may take several times the usual 5-15 s. */
const RUN_TIMEOUT_MS = 180_000;
/**
 * Downloads a generated file of `size` with 16 connections and returns the CLI's peak RSS.
 * The file is spot-checked (whole-file checks are elsewhere; reading 1 GiB here would dwarf
 * what is measured) and removed at once.
 */
async function measure(
  t: TestContext,
  size: number,
  server: Omit<ServerOptions, "files">,
  extraArgs: string[] = [],
): Promise<number> {
  const seed = `memory-${size}`;
  const range = await serve(t, {
    ...server,
    files: { "/f.bin": { content: { seed, size } } },
  });
  const dir = await tempDir(t, "memory");
  const final = path.join(dir, "f.bin");
  const args = [range.url("/f.bin"), "-d", dir, "-n", String(CONNECTIONS), "-q", ...extraArgs];
  const result = await runCliMeasured(args, { timeoutMs: RUN_TIMEOUT_MS });
  try {
    assert.equal(result.code, 0, `parget failed: ${result.stderr.slice(0, 500)}`);
    await spotCheck(final, seed, size);
    // Every lane did connect (a fast lane may be done before the last one opens, so not the peak).
    assert.ok(
      range.stats.connectionsAccepted >= CONNECTIONS,
      `only ${range.stats.connectionsAccepted} connections were made`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  t.diagnostic(`${mib(size)} MiB: peak RSS ${mib(result.peakRssBytes)} MiB (${result.rssSource})`);
  return result.peakRssBytes;
}

/** The size, and 1 MiB at the start, the middle and the end, match the generated stream. */
async function spotCheck(file: string, seed: string, size: number): Promise<void> {
  assert.equal((await stat(file)).size, size, `${file} has the wrong size`);
  const handle = await open(file, "r");
  try {
    for (const at of [0, Math.floor(size / 2), size - MiB]) {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(MiB), 0, MiB, at);
      assert.equal(bytesRead, MiB);
      assert.ok(buffer.equals(generateContent(seed, at, MiB)), `${file} is wrong at byte ${at}`);
    }
  } finally {
    await handle.close();
  }
}

function assertWithinBudget(peak: number): void {
  assert.ok(
    peak < RSS_BUDGET,
    `peak RSS ${mib(peak)} MiB at ${CONNECTIONS} connections; the budget is ${mib(RSS_BUDGET)} MiB`,
  );
}

test("an unthrottled server, 256 MiB: the network outruns the disk, memory does not", async (t) => {
  const peak = await measure(t, 256 * MiB, {});
  assertWithinBudget(peak);
});

test("an unthrottled server with a SHA-256 to check: the hashing thread adds, memory stays in budget", async (t) => {
  const size = 256 * MiB;
  const sha256 = await digestOfContent(`memory-${size}`, size, "sha256");
  const peak = await measure(t, size, {}, ["--checksum", `sha256=${sha256}`]);
  assertWithinBudget(peak);
});

test("uneven connections, one very slow: the others run ahead, memory does not", async (t) => {
  // The first connection accepted crawls; the others fill the file ahead of it, and with a
  // checksum to compute the hashing frontier waits for the crawler's segment.
  const rates = Array.from({ length: CONNECTIONS }, (_, i) =>
    i === 0 ? 256 * KiB : [0, 8 * MiB, 32 * MiB, 16 * MiB][i % 4]!,
  );
  const size = 256 * MiB;
  const sha256 = await digestOfContent(`memory-${size}`, size, "sha256");
  const peak = await measure(t, size, { rates }, ["--checksum", `sha256=${sha256}`]);
  assertWithinBudget(peak);
});

test("peak RSS does not grow with the file: 1 GiB fits the budget of 256 MiB", async (t) => {
  const peak = await measure(t, 1024 * MiB, {});
  assertWithinBudget(peak);
});

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
