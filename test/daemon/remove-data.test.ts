/**
 * Removing a download with or without its data, through the npm `aria2` client: aria2's
 * `remove` keeps the partial file (a rerun resumes from it), parget's `removeWithData` deletes
 * it with its state and journal, running or finished, and never anything outside the root.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { generated, KiB, MiB } from "../download/fixtures.js";
import { pollUntil } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { Client, startTestDaemon } from "./support.js";

type Status = Record<string, unknown> & { gid: string; status: string };

/** Holds a download active: each response trickles. */
const slow = [{ kind: "slow" as const, rate: 128 * KiB }];

const there = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

test("remove keeps the data; removeWithData deletes the partial file, its state and journal", async (t) => {
  const server = await serve(t, {
    files: {
      "/keep.bin": generated("keep", 16 * MiB, { faults: slow }),
      "/drop.bin": generated("drop", 16 * MiB, { faults: slow }),
    },
  });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);
  const keep = await client.call<string>("addUri", [server.url("/keep.bin")], { split: "2" });
  const drop = await client.call<string>("addUri", [server.url("/drop.bin")], { split: "2" });
  for (const gid of [keep, drop]) {
    await pollUntil(
      async () =>
        Number((await client.call<Status>("tellStatus", gid)).completedLength) >= 256 * KiB,
      "256 KiB of each on disk",
    );
  }
  assert.equal(await client.call("remove", keep), keep);
  await client.next("onDownloadStop", keep);
  assert.equal(await client.raw("parget.removeWithData", drop), drop);

  const files = await readdir(d.root);
  assert.ok(files.includes("keep.bin.parget"), `the kept partial data: ${files.join(", ")}`);
  assert.deepEqual(
    files.filter((f) => f.startsWith("drop.bin")),
    [],
    "no file, partial data, state or journal left of the dropped one",
  );
  await assert.rejects(client.call("tellStatus", drop), /is not found/);
  assert.equal((await client.call<Status>("tellStatus", keep)).status, "removed");
  // A removed one keeps its data until it too is removed with it.
  assert.equal(await client.raw("parget.removeWithData", keep.slice(0, 6)), keep);
  assert.deepEqual(await readdir(d.root), []);
});

test("removeWithData deletes a finished file, and nothing a link leads to outside the root", async (t) => {
  const server = await serve(t, {
    files: { "/a.bin": generated("a", 64 * KiB), "/b.bin": generated("b", 64 * KiB) },
  });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);
  const a = await client.call<string>("addUri", [server.url("/a.bin")]);
  const b = await client.call<string>("addUri", [server.url("/b.bin")], { out: "sub/b.bin" });
  await client.next("onDownloadComplete", a);
  await client.next("onDownloadComplete", b);
  assert.equal(await client.raw("parget.removeWithData", a), a);
  assert.equal(await there(path.join(d.root, "a.bin")), false);
  await assert.rejects(client.call("tellStatus", a), /is not found/);

  // `sub` is swapped for a link to a directory outside the root holding a file of that name.
  const outside = await mkdtemp(path.join(os.tmpdir(), "parget-outside-"));
  t.after(() => rm(outside, { recursive: true, force: true }));
  await writeFile(path.join(outside, "b.bin"), "not the daemon's");
  await rename(path.join(d.root, "sub"), path.join(d.root, "sub-moved"));
  await symlink(outside, path.join(d.root, "sub"));
  await assert.rejects(client.raw("parget.removeWithData", b), /outside the download root/);
  assert.equal(await there(path.join(outside, "b.bin")), true, "the outside file is untouched");
  assert.equal((await client.call<Status>("tellStatus", b)).status, "complete");
});
