/**
 * A slow tail: one response crawls while the others run at full speed. The download must not
 * wait for it: other requests take over the rest of its range (a steal, a race or a replaced
 * connection, whichever the measured speeds chose), and the takeover costs little traffic.
 * How much time that saves is a figure for `parget bench`, not for a test on a shared machine.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { download } from "../../src/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, bounds, generated, MiB, tempDir } from "./fixtures.js";

const SIZE = 48 * MiB;
const RATE = 4 * MiB;
/** The trickle: the crawling response's 6 MiB would take over a minute and a half. */
const TRICKLE = 64 * 1024;

test("one connection at a trickle: other requests take over the rest of its range", async (t) => {
  const server = await serve(t, {
    files: { "/f.bin": generated("tail", SIZE) },
    ratePerConnection: RATE,
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 8,
    onEvent: (event) => {
      // Once the first answer is in, the next range response crawls.
      if (event.type === "start") {
        server.setFaults("/f.bin", [{ kind: "slow", rate: TRICKLE, which: "range", times: 1 }]);
      }
    },
  });
  await assertContent(result.path, "tail", SIZE);

  const log = server.stats.requestLog;
  const slowed = log.filter((e) => e.fault === "slow");
  assert.equal(slowed.length, 1, "one response was slowed");
  const crawling = bounds(slowed[0]!);
  assert.ok(crawling, `the slowed request asked for ${slowed[0]!.range}`);
  const [first, last] = crawling;
  // Waiting for the trickle, nobody else would ever ask for the end of its range.
  const takeover = log
    .filter((e) => e !== slowed[0])
    .map(bounds)
    .filter((r) => r !== undefined && first <= r[0] && r[0] <= last && last <= r[1]);
  assert.ok(
    takeover.length > 0,
    `nobody else fetched bytes up to ${last} of the crawling range ${first}-${last}`,
  );
  // Racing the straggler costs little traffic: hedged bytes are bounded by what it had left.
  assert.ok(server.stats.bytesSent < SIZE * 1.05, `sent ${server.stats.bytesSent} bytes`);
});
