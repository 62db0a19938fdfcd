/**
 * `parget daemon` as a real process: what it prints, a clean stop on SIGTERM, and a SIGKILL in
 * the middle of a download after which a restart loses no entry and resumes from the partial
 * data.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { assertContent, generated, KiB, MiB, tempDir } from "../download/fixtures.js";
import { pollUntil, spawnCli, stopProcess, waitForExit } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { Client, type TestDaemon } from "./support.js";

interface Running {
  child: ChildProcess;
  port: number;
  secret: string;
  stdout: () => string;
}

/** Starts `parget daemon` on a free port; resolves once it says where it listens. */
async function startProcess(t: TestContext, dir: string, extra: string[] = []): Promise<Running> {
  const child = spawnCli([
    "daemon",
    "--port",
    "0",
    "-d",
    path.join(dir, "root"),
    "--state-dir",
    path.join(dir, "state"),
    ...extra,
  ]);
  t.after(() => stopProcess(child));
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  await pollUntil(() => /#token=\S+\n/.test(out), "the daemon to print its address", {
    process: child,
  });
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\/jsonrpc/.exec(out)![1]);
  const secret = /#token=(\S+)\n/.exec(out)![1]!;
  return { child, port, secret, stdout: () => out };
}

/** A client for a daemon process (the shape Client.open takes). */
function asTestDaemon(running: Running, dir: string): TestDaemon {
  return {
    daemon: { port: running.port, secret: running.secret } as TestDaemon["daemon"],
    root: path.join(dir, "root"),
    stateDir: path.join(dir, "state"),
    url: `http://127.0.0.1:${running.port}/jsonrpc`,
    log: [],
    clients: [],
  };
}

type Status = Record<string, string> & { gid: string };

test("it prints where it listens and the secret file, never takes the secret on argv, and stops on SIGTERM", async (t) => {
  const server = await serve(t, {
    files: {
      "/held.bin": generated("held", 16 * MiB, { faults: [{ kind: "slow", rate: 256 * KiB }] }),
    },
  });
  const dir = await tempDir(t);
  const running = await startProcess(t, dir);
  const secretPath = path.join(dir, "state", "secret");
  const out = running.stdout();
  assert.match(out, new RegExp(`secret in ${secretPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  assert.match(out, new RegExp(`open http://127\\.0\\.0\\.1:${running.port}/#token=`));
  assert.equal((await readFile(secretPath, "utf8")).trim(), running.secret);
  const cmdline = await readFile(`/proc/${running.child.pid}/cmdline`, "utf8").catch(() => "");
  assert.ok(!cmdline.includes(running.secret), "the secret is not in the process list");

  const client = await Client.open(asTestDaemon(running, dir));
  const gid = await client.call<string>("addUri", [server.url("/held.bin")]);
  await pollUntil(
    async () => Number((await client.call<Status>("tellStatus", gid)).completedLength) > 0,
    "bytes of held.bin on disk",
    { process: running.child },
  );
  await client.close();
  running.child.kill("SIGTERM");
  const { code } = await waitForExit(running.child, 10_000);
  assert.equal(code, 0);
  assert.match(running.stdout(), /stopped; downloads resume at the next start/);
  // Still active in the store, so the next start continues it; its partial data is kept.
  const session = JSON.parse(await readFile(path.join(dir, "state", "session.json"), "utf8")) as {
    entries: { gid: string; status: string }[];
  };
  assert.deepEqual(
    session.entries.map((e) => [e.gid, e.status]),
    [[gid, "active"]],
  );
  await readFile(path.join(dir, "root", "held.bin.parget.state"));
});

test("a SIGKILL loses no entry; the restarted daemon resumes the active download from its data", async (t) => {
  const big = 16 * MiB;
  const server = await serve(t, {
    files: {
      "/big.bin": generated("big", big, { faults: [{ kind: "slow", rate: 256 * KiB }] }),
      "/s1.bin": generated("s1", 64 * KiB),
      "/s2.bin": generated("s2", 64 * KiB),
    },
  });
  const dir = await tempDir(t);
  const first = await startProcess(t, dir, ["-j", "1"]);
  const client = await Client.open(asTestDaemon(first, dir));
  const gBig = await client.call<string>("addUri", [server.url("/big.bin")], { split: "2" });
  const g1 = await client.call<string>("addUri", [server.url("/s1.bin")]);
  const g2 = await client.call<string>("addUri", [server.url("/s2.bin")], { out: "two.bin" });
  await client.call("pause", g2);
  await pollUntil(
    async () =>
      Number((await client.call<Status>("tellStatus", gBig)).completedLength) >= 512 * KiB,
    "512 KiB of big.bin on disk",
    { process: first.child },
  );
  first.child.kill("SIGKILL");
  await waitForExit(first.child, 10_000);
  await client.close().catch(() => {});

  const requestsBefore = server.stats.requestLog.length;
  server.setFaults("/big.bin", []);
  const second = await startProcess(t, dir, ["-j", "1"]);
  const again = await Client.open(asTestDaemon(second, dir));
  // Every entry is there, with its options, in its place.
  const all = [
    ...(await again.call<Status[]>("tellActive", ["gid", "status"])),
    ...(await again.call<Status[]>("tellWaiting", 0, 10, ["gid", "status"])),
  ];
  assert.deepEqual(
    all.map((s) => [s.gid, s.status]),
    [
      [gBig, "active"],
      [g1, "waiting"],
      [g2, "paused"],
    ],
  );
  assert.equal((await again.call<Record<string, string>>("getOption", g2)).out, "two.bin");

  await again.call("unpause", g2);
  // This socket proved the secret before its first call ran: every completion since is heard.
  for (const gid of [gBig, g1, g2]) {
    const { status } = await again.call<Status>("tellStatus", gid, ["status"]);
    if (status !== "complete") await again.next("onDownloadComplete", gid);
  }
  await assertContent(path.join(dir, "root", "big.bin"), "big", big);
  await assertContent(path.join(dir, "root", "s1.bin"), "s1", 64 * KiB);
  await assertContent(path.join(dir, "root", "two.bin"), "s2", 64 * KiB);
  // Resumed: no request after the restart asked for big.bin from its first byte again.
  for (const request of server.stats.requestLog.slice(requestsBefore)) {
    if (request.path !== "/big.bin") continue;
    assert.ok(request.range !== undefined && !/^bytes=0-/.test(request.range), request.range);
  }
});
