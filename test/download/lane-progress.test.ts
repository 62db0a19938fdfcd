/**
 * Progress events carry each connection: its range, speed, and how often it stole, raced or was
 * replaced, so an interface can draw them (the daemon's parget.tellConnections shows them).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { download, type LaneProgress } from "../../src/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, generated, MiB, tempDir } from "./fixtures.js";

test("progress events show every lane, and the lanes that took over a slow one's range", async (t) => {
  const size = 24 * MiB;
  // The fourth connection crawls: the others must take over its range.
  const server = await serve(t, {
    files: { "/f.bin": generated("lanes", size) },
    rates: [8 * MiB, 8 * MiB, 8 * MiB, 256 * 1024],
  });
  const dir = await tempDir(t);
  const seen: LaneProgress[][] = [];
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    progressIntervalMs: 20,
    onEvent: (event) => {
      if (event.type === "progress" && event.lanes) seen.push(event.lanes);
    },
  });
  await assertContent(result.path, "lanes", size);
  const busy = seen.flat().filter((l) => l.range !== null);
  assert.ok(busy.length > 0, "some progress event showed a lane at work");
  for (const lane of busy) {
    const [start, end] = lane.range!;
    assert.ok(0 <= start && start < end && end <= size, `range ${start}-${end}`);
    assert.ok(lane.position! >= start && lane.position! <= end, `position ${lane.position}`);
  }
  const last = seen.at(-1)!;
  assert.deepEqual(
    last.map((l) => l.lane),
    [0, 1, 2, 3],
  );
  const takeovers = last.reduce((sum, l) => sum + l.steals + l.races + l.reconnects, 0);
  assert.ok(takeovers >= 1, `no steal, race or reconnect in ${JSON.stringify(last)}`);
});
