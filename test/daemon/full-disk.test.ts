/**
 * A full disk under the daemon's store: an addUri that cannot be made durable fails (and is not
 * half added), the session on disk stays whole, and once there is room again the queue is saved
 * as before. Needs a tmpfs mount (root or CAP_SYS_ADMIN); skipped where it is refused.
 */
import assert from "node:assert/strict";
import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { mountTmpfs } from "../e2e/support.js";
import { generated, KiB } from "../download/fixtures.js";
import { serve } from "../helpers/server.js";
import { Client, startTestDaemon } from "./support.js";

/** Writes zeros into `file` until the file system is full. */
async function fill(file: string): Promise<void> {
  const handle = await open(file, "w");
  try {
    for (;;) await handle.write(Buffer.alloc(4 * KiB));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await handle.close().catch(() => {});
  }
}

test("a full disk fails the add that cannot be saved, and keeps the saved queue whole", async (t) => {
  const tmpfs = await mountTmpfs(t, 256 * KiB);
  if ("unavailable" in tmpfs) return t.skip(tmpfs.unavailable);
  const server = await serve(t, { files: { "/f.bin": generated("f", 64 * KiB) } });
  const d = await startTestDaemon(t, { stateDir: path.join(tmpfs.dir, "state") });
  const client = await Client.open(d);
  const session = path.join(tmpfs.dir, "state", "session.json");
  const saved = async (): Promise<string[]> =>
    (JSON.parse(await readFile(session, "utf8")) as { entries: { gid: string }[] }).entries.map(
      (e) => e.gid,
    );

  const first = await client.call<string>("addUri", [server.url("/f.bin")], { out: "a.bin" });
  await client.call("pause", first);
  assert.deepEqual(await saved(), [first]);

  const filler = path.join(tmpfs.dir, "filler");
  await fill(filler);
  await assert.rejects(
    client.call("addUri", [server.url("/f.bin")], { out: "b.bin" }),
    /no space|ENOSPC/i,
  );
  // Not added: the queue and the file on disk hold what they held.
  assert.deepEqual(
    (await client.call<{ gid: string }[]>("tellWaiting", 0, 10, ["gid"])).map((s) => s.gid),
    [first],
  );
  assert.deepEqual(await saved(), [first]);

  await rm(filler);
  const second = await client.call<string>("addUri", [server.url("/f.bin")], { out: "b.bin" });
  await client.call("pause", second);
  assert.deepEqual(await saved(), [first, second]);
  await client.close();
  await d.daemon.stop();
});
