/**
 * The crash test: SIGKILL the real CLI mid-download (no chance to save anything on the way out),
 * rerun the same command, and check the file is whole and almost none of the work was repeated:
 * what a run wrote before the kill was handed to the kernel, and its journal says so.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { test, type TestContext } from "node:test";
import type { RangeServer } from "../../src/server/index.js";
import { pollUntil, runCli, spawnCli, stopProcess, waitForExit } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { MiB, assertGenerated, entries, jsonEvents, only, tempDir } from "./support.js";

const SEED = "kill";
/**
 * A kill loses what the lanes received but had not written yet (up to two batches each, see
 * transfer.ts) and what was in the sockets; the journal keeps everything written. Over two kills
 * and a rerun, the server sends at most 1.1x the file, however busy the machine.
 */
const MAX_RATIO = 1.1;

interface Setup {
  server: RangeServer;
  dir: string;
  final: string;
  args: string[];
  size: number;
}

async function setUp(
  t: TestContext,
  size: number,
  connections: number,
  ratePerConnection: number,
): Promise<Setup> {
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: SEED, size } } },
    ratePerConnection,
  });
  const dir = await tempDir(t, "kill");
  const final = path.join(dir, "f.bin");
  const args = [server.url("/f.bin"), "-d", dir, "-n", String(connections), "--json"];
  return { server, dir, final, args, size };
}

/** Runs the command and SIGKILLs it once the server has sent `bytes` in all (both runs). */
async function killAfterSent(t: TestContext, s: Setup, bytes: number): Promise<number> {
  const child = spawnCli(s.args);
  t.after(() => stopProcess(child));
  await pollUntil(() => s.server.stats.bytesSent >= bytes, `${bytes} bytes sent`, {
    timeoutMs: 30_000,
    intervalMs: 1,
    process: child,
  });
  const sentAtKill = s.server.stats.bytesSent;
  child.kill("SIGKILL");
  const killed = await waitForExit(child, 5000);
  assert.equal(killed.signal, "SIGKILL", "the run must die by the kill, not finish");
  assert.equal(existsSync(s.final), false, "the final path must not exist after a crash");
  assert.ok(existsSync(`${s.final}.parget.state`), "the state must survive the crash");
  assert.ok(existsSync(`${s.final}.parget.journal`), "the journal must survive the crash");
  return sentAtKill;
}

/** Reruns to the end; checks the file and what is left beside it; returns the overall ratio. */
async function finish(t: TestContext, s: Setup, kills: number[]): Promise<void> {
  const rerun = await runCli(s.args, { timeoutMs: 60_000 });
  assert.equal(rerun.code, 0, `the rerun failed: ${rerun.stderr}`);
  const start = only(jsonEvents(rerun.stdout), "start");
  await assertGenerated(s.final, SEED, s.size);
  // A state temp file of a killed run would be left too, if the kill hit a state write.
  assert.deepEqual(await entries(s.dir), ["f.bin"], "only the final file may remain");

  const ratio = s.server.stats.bytesSent / s.size;
  const resumed = Number(start.resumedBytes) / s.size;
  t.diagnostic(
    `killed at ${kills.map((k) => pct(k / s.size)).join(" and ")} sent; the last run resumed ` +
      `${pct(resumed)}; server sent ${ratio.toFixed(3)}x the file in all`,
  );
  assert.ok(resumed > 0, "the rerun must resume from the saved state, not start over");
  assert.ok(
    ratio <= MAX_RATIO,
    `the server sent ${ratio.toFixed(3)}x the file over ${kills.length + 1} runs (limit ${MAX_RATIO}x)`,
  );
}

test("SIGKILL mid-download, then the same command again: whole file, little refetched", async (t) => {
  // 32 MiB at 8 MiB/s in all: a run takes ~4 s.
  const size = 32 * MiB;
  for (const point of [0.3, 0.6, 0.9]) {
    await t.test(`killed after ${point * 100}% was sent`, async (t) => {
      const s = await setUp(t, size, 4, 2 * MiB);
      const sent = await killAfterSent(t, s, point * size);
      await finish(t, s, [sent]);
    });
  }
});

test("two SIGKILLs, then the same command again: whole file, little refetched", async (t) => {
  // 16 MiB at 4 MiB/s in all over 8 connections: each lane fills a batch slowly, so a kill finds
  // many half-filled ones.
  const size = 16 * MiB;
  for (const [first, second] of [
    [0.25, 0.6],
    [0.5, 0.9],
  ] as const) {
    await t.test(`killed after ${first * 100}% and ${second * 100}% were sent`, async (t) => {
      const s = await setUp(t, size, 8, MiB / 2);
      const one = await killAfterSent(t, s, first * size);
      const two = await killAfterSent(t, s, second * size);
      await finish(t, s, [one, two]);
    });
  }
});

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
