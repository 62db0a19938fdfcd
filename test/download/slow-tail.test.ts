import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { download } from "../../src/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, generated, MiB, tempDir } from "./fixtures.js";

// Issue 3: with one connection throttled to a trickle, the download takes at most 1.25x as long
// as the same download without it. Both runs happen here, one after the other, so the ratio does
// not depend on how fast this machine is. (For 7 useful lanes of 8, 8/7 = 1.14 is the floor.)
const SIZE = 48 * MiB;
const RATE = 4 * MiB;

async function timed(t: import("node:test").TestContext, trickle: boolean): Promise<number> {
  const server = await serve(t, {
    files: { "/f.bin": generated("tail", SIZE) },
    ratePerConnection: RATE,
  });
  const dir = await tempDir(t);
  const started = performance.now();
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 8,
    onEvent: (event) => {
      // Once the first answer is in, the next range response crawls at 64 KiB/s.
      if (trickle && event.type === "start") {
        server.setFaults("/f.bin", [{ kind: "slow", rate: 64 * 1024, which: "range", times: 1 }]);
      }
    },
  });
  const elapsed = performance.now() - started;
  await assertContent(result.path, "tail", SIZE);
  if (trickle)
    assert.ok(
      server.stats.requestLog.some((e) => e.fault === "slow"),
      "a response was slowed",
    );
  // Racing the straggler costs little traffic: hedged bytes are bounded by what it had left.
  assert.ok(server.stats.bytesSent < SIZE * 1.05, `sent ${server.stats.bytesSent} bytes`);
  return elapsed;
}

test("one connection at a trickle: at most 1.25x the time without it", async (t) => {
  const baseline = await timed(t, false);
  const slowed = await timed(t, true);
  const ratio = slowed / baseline;
  t.diagnostic(
    `without the trickle ${(baseline / 1000).toFixed(2)} s, with it ${(slowed / 1000).toFixed(2)} s: ${ratio.toFixed(2)}x`,
  );
  assert.ok(ratio <= 1.25, `${ratio.toFixed(2)}x`);
});
