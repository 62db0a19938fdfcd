/**
 * The crash test: SIGKILL the real CLI mid-download (no chance to save anything on the way out),
 * rerun the same command, and check the file is whole and most of the work was not repeated.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pollUntil, runCli, spawnCli, stopProcess, waitForExit } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { MiB, assertGenerated, entries, jsonEvents, only, tempDir } from "./support.js";

const SEED = "kill";
const SIZE = 32 * MiB;
const CONNECTIONS = 4;
// 8 MiB/s in all: a run takes ~4 s, so the first checkpoint (after ~1 s) lands before 30%.
const RATE_PER_CONNECTION = 2 * MiB;
/** Kill once the server has sent this share of the file and a state has been saved. */
const KILL_POINTS = [0.3, 0.6, 0.9];
const MAX_RATIO = 1.5;

test("SIGKILL mid-download, then the same command again: whole file, little refetched", async (t) => {
  for (const point of KILL_POINTS) {
    await t.test(`killed after ${point * 100}% was sent`, async (t) => {
      const server = await serve(t, {
        files: { "/f.bin": { content: { seed: SEED, size: SIZE } } },
        ratePerConnection: RATE_PER_CONNECTION,
      });
      const dir = await tempDir(t, "kill");
      const final = path.join(dir, "f.bin");
      const args = [server.url("/f.bin"), "-d", dir, "-n", String(CONNECTIONS), "--json"];

      const child = spawnCli(args);
      t.after(() => stopProcess(child));
      await pollUntil(
        () => existsSync(`${final}.parget.state`) && server.stats.bytesSent >= point * SIZE,
        `a saved state and ${point * 100}% of the file sent`,
        { timeoutMs: 20_000, process: child },
      );
      const sentAtKill = server.stats.bytesSent;
      child.kill("SIGKILL");
      const killed = await waitForExit(child, 5000);
      assert.equal(killed.signal, "SIGKILL", "the first run must die by the kill, not finish");
      assert.equal(existsSync(final), false, "the final path must not exist after a crash");
      assert.ok(existsSync(`${final}.parget`), "the partial data must survive the crash");

      const rerun = await runCli(args, { timeoutMs: 30_000 });
      assert.equal(rerun.code, 0, `the rerun failed: ${rerun.stderr}`);
      const start = only(jsonEvents(rerun.stdout), "start");
      await assertGenerated(final, SEED, SIZE);
      // A state temp file of the killed run would be left too, if the kill hit a state write.
      assert.deepEqual(await entries(dir), ["f.bin"], "only the final file may remain");

      const ratio = server.stats.bytesSent / SIZE;
      const resumed = Number(start.resumedBytes) / SIZE;
      t.diagnostic(
        `killed at ${pct(sentAtKill / SIZE)} sent; rerun resumed ${pct(resumed)}; ` +
          `server sent ${ratio.toFixed(3)}x the file in all`,
      );
      assert.ok(resumed > 0, "the rerun must resume from the saved state, not start over");
      assert.ok(
        ratio < MAX_RATIO,
        `the server sent ${ratio.toFixed(3)}x the file over both runs (limit ${MAX_RATIO}x)`,
      );
    });
  }
});

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
