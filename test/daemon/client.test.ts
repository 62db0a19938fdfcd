/**
 * The daemon driven by a real aria2 client (the npm `aria2` package, which parget did not
 * write), over WebSocket: add, status, pause, unpause, change position, remove, and the
 * notifications each one sends. Downloads come from parget's fault server on loopback; a
 * download is held active by responses that stall, and let go by clearing the faults.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { digestOfContent } from "../../src/server/index.js";
import { assertContent, generated, KiB, MiB } from "../download/fixtures.js";
import { pollUntil } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { Client, startTestDaemon } from "./support.js";

type Status = Record<string, unknown> & { gid: string; status: string };

/** Holds a download active: each response trickles, so it is far from done when the test acts. */
const slow = [{ kind: "slow" as const, rate: 128 * KiB }];

test("add, tellStatus and completion with a verified digest, over WebSocket", async (t) => {
  const server = await serve(t, { files: { "/a.bin": generated("a", 3 * MiB) } });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);
  const hex = await digestOfContent("a", 3 * MiB, "sha256");

  const gid = await client.call<string>("addUri", [server.url("/a.bin")], {
    out: "sub/a.bin",
    checksum: `sha-256=${hex}`,
    split: "4",
  });
  assert.match(gid, /^[0-9a-f]{16}$/);
  await client.next("onDownloadStart", gid);
  const verified = await client.next("parget.onDownloadVerified", gid);
  await client.next("onDownloadComplete", gid);

  const status = await client.call<Status>("tellStatus", gid);
  assert.equal(status.status, "complete");
  assert.equal(status.totalLength, String(3 * MiB));
  assert.equal(status.completedLength, String(3 * MiB));
  const file = path.join(d.root, "sub", "a.bin");
  assert.deepEqual(status.files, [
    {
      index: "1",
      path: file,
      length: String(3 * MiB),
      completedLength: String(3 * MiB),
      selected: "true",
      uris: [{ uri: server.url("/a.bin"), status: "waiting" }],
    },
  ]);
  await assertContent(file, "a", 3 * MiB);
  // What aria2 has no field for: which digest was checked, against what.
  assert.deepEqual(verified.params.verification, {
    status: "verified",
    digests: [{ algorithm: "sha256", source: "user", expected: hex, actual: hex }],
  });
  assert.deepEqual(await client.raw("parget.getVerification", gid.slice(0, 6)), {
    status: "verified",
    digests: [{ algorithm: "sha256", source: "user", expected: hex, actual: hex }],
  });
  // Only the asked keys; a unique prefix names the download.
  assert.deepEqual(await client.call("tellStatus", gid.slice(0, 4), ["gid", "status"]), {
    gid,
    status: "complete",
  });
  const stopped = await client.call<Status[]>("tellStopped", 0, 10, ["gid"]);
  assert.deepEqual(stopped, [{ gid }]);
  const option = await client.call<Record<string, string>>("getOption", gid);
  assert.equal(option.out, "sub/a.bin");
  assert.equal(option.split, "4");
});

test("pause keeps the partial data, unpause resumes from it; notifications for each", async (t) => {
  const size = 16 * MiB;
  const server = await serve(t, { files: { "/p.bin": generated("p", size, { faults: slow }) } });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);

  const gid = await client.call<string>("addUri", [server.url("/p.bin")], { split: "2" });
  await client.next("onDownloadStart", gid);
  // Some of it is on disk.
  await pollUntil(
    async () => Number((await client.call<Status>("tellStatus", gid)).completedLength) >= 256 * KiB,
    "256 KiB on disk",
  );
  // Each connection, as aria2 cannot show it: its range, speed, steals, races, reconnects.
  const lanes = await client.raw<Record<string, unknown>[]>("parget.tellConnections", gid);
  assert.equal(lanes.length, 2);
  for (const lane of lanes) {
    assert.deepEqual(Object.keys(lane).sort(), [
      "downloadSpeed",
      "lane",
      "origin",
      "originAt",
      "position",
      "races",
      "range",
      "reconnects",
      "state",
      "steals",
    ]);
  }
  assert.ok(lanes.some((l) => Array.isArray(l.range) && l.state === "receiving"));
  // The range map: what is written, as spans inside the file, and the same connections.
  const map = await client.raw<{
    totalLength: string;
    written: [string, string][];
    hashedLength: string | null;
    connections: unknown[];
  }>("parget.tellRangeMap", gid);
  assert.equal(map.totalLength, String(size));
  assert.ok(map.written.length > 0);
  for (const [start, end] of map.written) assert.ok(0 <= +start && +start < +end && +end <= size);
  assert.equal(map.hashedLength, null, "no in-order digest was asked");
  assert.equal(map.connections.length, 2);
  const [servers] = await client.call<{ index: string; servers: { uri: string }[] }[]>(
    "getServers",
    gid,
  );
  assert.equal(servers!.index, "1");
  assert.ok(servers!.servers.every((s) => s.uri === server.url("/p.bin")));
  assert.equal(await client.call("pause", gid), gid);
  await client.next("onDownloadPause", gid);
  assert.equal((await client.call<Status>("tellStatus", gid)).status, "paused");
  const waiting = await client.call<Status[]>("tellWaiting", 0, 10, ["gid", "status"]);
  assert.deepEqual(waiting, [{ gid, status: "paused" }]);

  server.setFaults("/p.bin", []);
  const requestsBefore = server.stats.requestLog.length;
  assert.equal(await client.call("unpause", gid), gid);
  await client.next("onDownloadStart", gid, 2);
  await client.next("onDownloadComplete", gid);
  await assertContent(path.join(d.root, "p.bin"), "p", size);
  // Resumed: what was on disk was not asked for again.
  const after = server.stats.requestLog.slice(requestsBefore);
  assert.ok(after.length > 0);
  for (const request of after) {
    assert.ok(request.range !== undefined && !/^bytes=0-/.test(request.range), request.range);
  }
});

test("the queue: max-concurrent-downloads, changePosition, remove, and what starts next", async (t) => {
  const server = await serve(t, {
    files: {
      "/held.bin": generated("held", 16 * MiB, { faults: slow }),
      "/b.bin": generated("b", 64 * KiB),
      "/c.bin": generated("c", 64 * KiB),
    },
  });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);
  assert.equal(await client.call("changeGlobalOption", { "max-concurrent-downloads": "1" }), "OK");
  assert.equal(
    (await client.call<Record<string, string>>("getGlobalOption"))["max-concurrent-downloads"],
    "1",
  );

  const held = await client.call<string>("addUri", [server.url("/held.bin")]);
  await client.next("onDownloadStart", held);
  const b = await client.call<string>("addUri", [server.url("/b.bin")]);
  const c = await client.call<string>("addUri", [server.url("/c.bin")]);
  const order = async (): Promise<string[]> =>
    (await client.call<Status[]>("tellWaiting", 0, 10, ["gid"])).map((s) => s.gid);
  assert.deepEqual(await order(), [b, c]);
  assert.deepEqual(
    (await client.call<Status[]>("tellActive", ["gid", "status"])).map((s) => s.status),
    ["active"],
  );

  assert.equal(await client.call("changePosition", c, 0, "POS_SET"), 0);
  assert.deepEqual(await order(), [c, b]);
  assert.equal(await client.call("changePosition", c, 5, "POS_CUR"), 1);
  assert.equal(await client.call("changePosition", c, -1, "POS_END"), 0);
  assert.deepEqual(await order(), [c, b]);
  // aria2 reads a negative offset from the end, backwards.
  assert.deepEqual(
    (await client.call<Status[]>("tellWaiting", -1, 2, ["gid"])).map((s) => s.gid),
    [b, c],
  );
  const stat = await client.call<Record<string, string>>("getGlobalStat");
  assert.deepEqual([stat.numActive, stat.numWaiting, stat.numStopped], ["1", "2", "0"]);

  // Removing the active one frees its slot: the first in line starts.
  assert.equal(await client.call("remove", held), held);
  await client.next("onDownloadStop", held);
  await client.next("onDownloadStart", c);
  await client.next("onDownloadComplete", c);
  await client.next("onDownloadComplete", b);
  const removed = await client.call<Status>("tellStatus", held, ["status", "errorCode"]);
  assert.deepEqual(removed, { status: "removed", errorCode: "31" });
  // A position only means something in the waiting queue.
  await assert.rejects(client.call("changePosition", held, 0, "POS_SET"), /waiting queue/);
  assert.equal(await client.call("removeDownloadResult", held), "OK");
  await assert.rejects(client.call("tellStatus", held), /is not found/);
  assert.equal(await client.call("purgeDownloadResult"), "OK");
  assert.deepEqual(await client.call("tellStopped", 0, 10), []);
});

test("batches, system.multicall, listings, and clear errors for what parget does not do", async (t) => {
  const server = await serve(t, { files: { "/m.bin": generated("m", 64 * KiB) } });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);

  const methods = await client.call<string[]>("system.listMethods");
  for (const name of ["aria2.addUri", "aria2.changePosition", "system.multicall"]) {
    assert.ok(methods.includes(name), name);
  }
  assert.ok(
    (await client.call<string[]>("system.listNotifications")).includes("aria2.onDownloadComplete"),
  );
  const [version, gid] = await client.aria2.multicall([
    ["getVersion"],
    ["addUri", [server.url("/m.bin")], { out: "m.bin" }],
  ]);
  assert.equal(typeof (version as [{ version: string }])[0].version, "string");
  const added = (gid as [string])[0];
  await client.next("onDownloadComplete", added);
  const [status, files] = await Promise.all(
    await client.aria2.batch([
      ["tellStatus", added, ["status"]],
      ["getFiles", added],
    ]),
  );
  assert.deepEqual(status, { status: "complete" });
  assert.equal((files as { path: string }[])[0]!.path, path.join(d.root, "m.bin"));

  await assert.rejects(client.call("addTorrent", "AAAA"), /does not support BitTorrent/);
  await assert.rejects(client.call("addMetalink", "AAAA"), /does not support Metalink/);
  await assert.rejects(client.call("tellStatus", "0123456789abcdef"), /is not found/);
  await assert.rejects(client.call("addUri", ["ftp://example.com/x"]), /http/);
  // Nothing over RPC names a file the daemon would write or run.
  await assert.rejects(
    client.call("changeGlobalOption", { "on-download-complete": "/bin/sh" }),
    /cannot be set over RPC/,
  );
  await assert.rejects(
    client.call("addUri", [server.url("/m.bin")], { log: "/tmp/x" }),
    /cannot be set over RPC/,
  );
});

test("pauseAll, unpauseAll, forcePause, forceRemove, getUris, changeOption, session calls and shutdown", async (t) => {
  const server = await serve(t, {
    files: {
      "/h1.bin": generated("h1", 16 * MiB, { faults: slow }),
      "/h2.bin": generated("h2", 64 * KiB),
    },
  });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);
  const h1 = await client.call<string>("addUri", [server.url("/h1.bin")]);
  await client.next("onDownloadStart", h1);
  assert.equal(await client.call("pauseAll"), "OK");
  await client.next("onDownloadPause", h1);
  const h2 = await client.call<string>("addUri", [server.url("/h2.bin")], {}, 0);
  assert.equal(await client.call("forcePause", h2), h2);
  // While it waits, its options change; the new name is where it is saved.
  assert.equal(await client.call("changeOption", h2, { out: "renamed.bin" }), "OK");
  assert.deepEqual(await client.call("getUris", h2), [
    { uri: server.url("/h2.bin"), status: "waiting" },
  ]);
  assert.deepEqual(
    (await client.call<Status[]>("tellWaiting", 0, 5, ["gid", "status"])).map((s) => [
      s.gid,
      s.status,
    ]),
    // Added at position 0: ahead of the paused one.
    [
      [h2, "paused"],
      [h1, "paused"],
    ],
  );
  server.setFaults("/h1.bin", []);
  assert.equal(await client.call("unpauseAll"), "OK");
  await client.next("onDownloadComplete", h2);
  await client.next("onDownloadComplete", h1);
  await assertContent(path.join(d.root, "renamed.bin"), "h2", 64 * KiB);
  await assert.rejects(client.call("forceRemove", h1), /cannot remove while complete/);
  await assert.rejects(client.call("getServers", h1), /is not active/);
  const { sessionId } = await client.call<{ sessionId: string }>("getSessionInfo");
  assert.match(sessionId, /^[0-9a-f]{40}$/);
  assert.equal(await client.call("saveSession"), "OK");
  assert.equal(await client.call("shutdown"), "OK");
  await d.daemon.stopped;
});

test("speed limits through the client: a download's own holds, a change takes effect, the global one reads back", async (t) => {
  const size = 2 * MiB;
  const rate = 512 * KiB;
  const server = await serve(t, {
    files: { "/l.bin": generated("l", size), "/m.bin": generated("m", size) },
  });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);

  const started = performance.now();
  const limited = await client.call<string>("addUri", [server.url("/l.bin")], {
    "max-download-limit": "512K",
  });
  await client.next("onDownloadComplete", limited);
  const seconds = (performance.now() - started) / 1000;
  // An upper bound on the speed, safe on a busy machine (which only slows it): the limit over
  // the whole run, plus its 100 ms burst and one read.
  assert.ok(
    size <= rate * (seconds + 0.1) + 64 * KiB,
    `${size} bytes in ${seconds.toFixed(2)} s at ${rate} B/s`,
  );
  await assertContent(path.join(d.root, "l.bin"), "l", size);

  // A crawl of 64 KiB/s, lifted once it runs: it completes, and its option reads back.
  const crawling = await client.call<string>("addUri", [server.url("/m.bin")], {
    "max-download-limit": "64K",
  });
  await client.next("onDownloadStart", crawling);
  await client.call("changeOption", crawling, { "max-download-limit": "0" });
  await client.next("onDownloadComplete", crawling);
  const option = await client.call<Record<string, string>>("getOption", crawling);
  assert.equal(option["max-download-limit"], "0");

  await client.call("changeGlobalOption", { "max-overall-download-limit": "1M" });
  const global = await client.call<Record<string, string>>("getGlobalOption");
  assert.equal(global["max-overall-download-limit"], String(MiB));
});
