/**
 * A body that ends early loses nothing that arrived: the bytes received before the drop are
 * written, and the retry asks from exactly where the connection stopped.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { download } from "../../src/index.js";
import type { FaultRule } from "../../src/server/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, Events, generated, KiB, MiB, tempDir } from "./fixtures.js";

const SIZE = 4 * MiB;
/** Mid-batch: half a 1 MiB batch buffer had arrived when the connection dropped. */
const CUT = 1.5 * MiB + 3 * KiB;

for (const [kind, fault] of [
  ["closed", { kind: "truncate", afterBytes: CUT, times: 1 }],
  ["stalled", { kind: "stall", afterBytes: CUT, times: 1 }],
] as const satisfies readonly (readonly [string, FaultRule])[]) {
  test(`a connection ${kind} mid-segment: the retry asks from the byte it stopped at`, async (t) => {
    const server = await serve(t, {
      files: { "/f.bin": generated(kind, SIZE, { faults: [fault] }) },
    });
    const dir = await tempDir(t);
    const events = new Events();
    const result = await download(server.url("/f.bin"), {
      dir,
      connections: 1,
      retries: 2,
      idleTimeoutMs: 1000,
      onEvent: events.onEvent,
    });
    await assertContent(result.path, kind, SIZE);
    assert.equal(events.of("retry").length, 1);
    const ranges = server.stats.requestLog.map((e) => e.range);
    assert.deepEqual(ranges, ["bytes=0-", `bytes=${CUT}-${SIZE - 1}`]);
    assert.equal(server.stats.bytesSent, SIZE, "no byte was sent twice");
  });
}
