/**
 * A request refused for good mid-download (a 403 once a presigned URL expires) lets the responses
 * already flowing finish and be kept, then fails with that refusal; a rerun resumes their bytes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { download, HttpStatusError } from "../../src/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, generated, KiB, MiB, rejectsWith, tempDir } from "./fixtures.js";

test("a 403 on a new range request: flowing responses finish and are kept, then the 403", async (t) => {
  const size = 8 * MiB;
  const piece = 512 * KiB;
  // The first connection (the probe's) is fast and asks for a second piece long before the slow
  // ones finish their first: that request, and every later one, is refused.
  const server = await serve(t, {
    rates: [16 * MiB, 1 * MiB],
    files: {
      "/f.bin": generated("drain", size, {
        faults: [{ kind: "status", status: 403, which: "range", after: 4 }],
      }),
    },
  });
  const dir = await tempDir(t);
  const options = { dir, connections: 4, maxPieceSize: piece, minSplitSize: 64 * KiB, retries: 3 };
  const error = await rejectsWith(download(server.url("/f.bin"), options), "PARGET_HTTP_STATUS", 5);
  assert.ok(error instanceof HttpStatusError);
  assert.equal(error.status, 403);

  const log = server.stats.requestLog;
  const served = log.filter((e) => e.status === 206);
  assert.equal(served.length, 4, "the first four requests were answered");
  assert.ok(log.length <= 8, `no new request once refused: ${log.length} requests`);

  server.setFaults("/f.bin", []);
  const rerun = await download(server.url("/f.bin"), options);
  // The probe asked for one smallest piece (minSplitSize), the three others for a piece each.
  assert.equal(
    rerun.resumedBytes,
    64 * KiB + 3 * piece,
    "every byte the answered requests brought was kept",
  );
  await assertContent(rerun.path, "drain", size);
});
