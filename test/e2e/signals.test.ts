/**
 * SIGINT and SIGTERM stop the real CLI at any moment with exit 130 and the "rerun" line, and
 * keep what a rerun needs: while the first request waits for an answer, during a retry's
 * backoff, and mid-transfer at the most connections allowed. Each signal is sent once the
 * moment is proven by the server's counters or the CLI's own output.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { pollUntil, runCli, spawnCli, stopProcess, waitForExit } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { MiB, assertGenerated, entries, jsonEvents, tempDir } from "./support.js";

const RERUN = /^parget: interrupted; rerun the same command to resume$/m;

/** Starts the CLI; its stderr is collected into the returned getter. */
function start(
  t: TestContext,
  args: string[],
): { child: ReturnType<typeof spawnCli>; stderr: () => string } {
  const child = spawnCli(args);
  t.after(() => stopProcess(child));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

async function interrupt(
  child: ReturnType<typeof spawnCli>,
  signal: NodeJS.Signals,
  stderr: () => string,
): Promise<void> {
  child.kill(signal);
  const { code } = await waitForExit(child, 15_000);
  assert.equal(code, 130, `exit ${code}; stderr: ${stderr()}`);
  assert.match(stderr(), RERUN);
  assert.doesNotMatch(stderr(), /\n\s+at /, "no stack trace");
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} while the first request waits for an answer`, async (t) => {
    let accepted = 0;
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on("error", () => {});
    });
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const { port } = silent.address() as net.AddressInfo;
    const dir = await tempDir(t);
    const { child, stderr } = start(t, [`http://127.0.0.1:${port}/f.bin`, "-d", dir, "-n", "64"]);
    await pollUntil(() => accepted >= 1, "the first connection", { process: child });
    await interrupt(child, signal, stderr);
    assert.deepEqual(await entries(dir), [], "nothing was fetched, so nothing is kept");
  });
}

test("SIGINT during a retry's backoff keeps the partial data and its state; the rerun resumes", async (t) => {
  const size = 8 * MiB;
  const server = await serve(t, {
    files: {
      "/f.bin": {
        content: { seed: "backoff", size },
        // The first request streams slowly; every other one is told to come back in a minute.
        faults: [
          { kind: "slow", rate: MiB, which: "first" },
          { kind: "status", status: 503, retryAfter: "60" },
        ],
      },
    },
  });
  const dir = await tempDir(t);
  const final = path.join(dir, "f.bin");
  const args = [server.url("/f.bin"), "-d", dir, "-n", "2"];
  const { child, stderr } = start(t, args);
  await pollUntil(
    // The first request asks for one piece of 1 MiB: once it is all sent, it is written (or in
    // the journal) before the interrupted run's last checkpoint.
    () =>
      /retry 1 bytes \d+-\d+ in 60\.0 s: HTTP 503/.test(stderr()) &&
      existsSync(`${final}.parget.state`) &&
      server.stats.bytesSent >= 1 * MiB,
    "a retry waiting 60 s, a saved state, and data written",
    { process: child, timeoutMs: 20_000 },
  );
  await interrupt(child, "SIGINT", stderr);
  assert.deepEqual(await entries(dir), [
    "f.bin.parget",
    "f.bin.parget.journal",
    "f.bin.parget.state",
  ]);

  server.setFaults("/f.bin", []);
  const rerun = await runCli([...args, "--json"]);
  assert.equal(rerun.code, 0, rerun.stderr);
  const started = jsonEvents(rerun.stdout).find((e) => e.type === "start");
  assert.ok(Number(started?.resumedBytes) > 0, "the rerun resumes");
  await assertGenerated(final, "backoff", size);
});

test("SIGTERM mid-transfer at 64 connections keeps the state; the rerun resumes", async (t) => {
  const size = 64 * MiB;
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "mid", size } } },
    ratePerConnection: 256 * 1024,
  });
  const dir = await tempDir(t);
  const final = path.join(dir, "f.bin");
  const args = [server.url("/f.bin"), "-d", dir, "-n", "64"];
  const { child, stderr } = start(t, args);
  await pollUntil(
    () =>
      existsSync(`${final}.parget.state`) &&
      server.stats.openConnections >= 32 &&
      server.stats.bytesSent >= 4 * MiB,
    "many connections receiving, and a saved state",
    { process: child, timeoutMs: 20_000 },
  );
  await interrupt(child, "SIGTERM", stderr);
  assert.deepEqual(await entries(dir), [
    "f.bin.parget",
    "f.bin.parget.journal",
    "f.bin.parget.state",
  ]);

  const rerun = await runCli([...args, "--json"], { timeoutMs: 60_000 });
  assert.equal(rerun.code, 0, rerun.stderr);
  const started = jsonEvents(rerun.stdout).find((e) => e.type === "start");
  assert.ok(Number(started?.resumedBytes) > 0, "the rerun resumes");
  await assertGenerated(final, "mid", size);
});
