/**
 * The runner alone, without RPC: what a client cannot time, such as forgetting a download's
 * result in the same moment it is removed, before its run has stopped.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Runner, type RunnerNotification } from "../../src/daemon/runner.js";
import { generated, KiB, MiB, tempDir } from "../download/fixtures.js";
import { pollUntil } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";

test(
  "a result forgotten while its run still stops: the run is let go, the runner stops",
  // Without the fix, stop() waits for ever: fail instead.
  { timeout: 60_000 },
  async (t) => {
    const server = await serve(t, {
      files: {
        "/held.bin": generated("held", 16 * MiB, { faults: [{ kind: "slow", rate: 128 * KiB }] }),
      },
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    t.after(() => process.off("warning", onWarning));
    const notes: RunnerNotification[] = [];
    const runner = await Runner.open({
      root: await tempDir(t),
      stateDir: await tempDir(t),
      global: { maxConcurrentDownloads: 5, maxOverallDownloadLimit: 0 },
      notify: (n) => notes.push(n),
    });
    runner.start();
    const gid = await runner.add([server.url("/held.bin")], {});
    await pollUntil(() => server.stats.bytesSent > 0, "the download to receive bytes");

    runner.remove(gid);
    runner.removeResult(gid);
    // stop() waits until every run has ended and been let go: it would wait for ever for one whose
    // end found no download (its events threw, and the set stopped calling the handler).
    await runner.stop();
    assert.deepEqual(
      warnings.map((w) => w.message),
      [],
      "the runner's event handler threw",
    );
    assert.deepEqual(
      notes.map((n) => n.type),
      ["start", "stop"],
    );
    assert.deepEqual(runner.counts(), { active: 0, waiting: 0, stopped: 0 });
  },
);
