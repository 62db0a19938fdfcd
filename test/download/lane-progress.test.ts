/**
 * Progress events carry each connection: its range, speed, and how often it stole, raced or was
 * replaced, so an interface can draw them (the daemon's parget.tellConnections shows them).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { download, type LaneProgress } from "../../src/index.js";
import { WRITTEN_SPANS_MAX } from "../../src/core/spans.js";
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
  const written: [number, number][][] = [];
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    progressIntervalMs: 20,
    onEvent: (event) => {
      if (event.type === "progress" && event.lanes) seen.push(event.lanes);
      if (event.type === "progress" && event.written) written.push(event.written);
    },
  });
  await assertContent(result.path, "lanes", size);
  const busy = seen.flat().filter((l) => l.range !== null);
  assert.ok(busy.length > 0, "some progress event showed a lane at work");
  for (const lane of busy) {
    const [start, end] = lane.range!;
    assert.ok(0 <= start && start < end && end <= size, `range ${start}-${end}`);
    assert.ok(lane.position! >= start && lane.position! <= end, `position ${lane.position}`);
    // A stolen range starts where it was cut; a race begins inside the range it joins.
    if (lane.origin === "steal") assert.equal(lane.originAt, start);
    if (lane.origin === "race") assert.ok(lane.originAt! >= start && lane.originAt! <= end);
    if (lane.origin === "plan") assert.equal(lane.originAt, null);
  }
  for (const lane of seen.flat().filter((l) => l.range === null)) {
    assert.deepEqual([lane.origin, lane.originAt], ["plan", null], "no origin between ranges");
  }
  // What is written: sorted spans inside the file, growing to all of it.
  for (const spans of written) {
    assert.ok(spans.length <= WRITTEN_SPANS_MAX);
    spans.forEach(([start, end], i) => {
      assert.ok(0 <= start && start < end && end <= size, `${start}-${end}`);
      if (i > 0) assert.ok(start > spans[i - 1]![1]);
    });
  }
  assert.deepEqual(written.at(-1), [[0, size]]);
  const last = seen.at(-1)!;
  assert.deepEqual(
    last.map((l) => l.lane),
    [0, 1, 2, 3],
  );
  const takeovers = last.reduce((sum, l) => sum + l.steals + l.races + l.reconnects, 0);
  assert.ok(takeovers >= 1, `no steal, race or reconnect in ${JSON.stringify(last)}`);
});
