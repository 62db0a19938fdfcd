/**
 * npm run bench:daemon -- [--queue 1000] [--active 16] [--calls 400] [--kills 10] [--files 50]
 *
 * The daemon's figures (issue 10), in one run, on parget's own server on 127.0.0.1:
 * 1. A queue of `--queue` downloads with `--active` running: RPC latency of tellActive and
 *    getGlobalStat (p50, p99) and the daemon's RSS, for `parget daemon` and `aria2c --enable-rpc`
 *    with the same queue from the same server.
 * 2. `--kills` SIGKILLs of `parget daemon` at random moments while a queue of `--files` files
 *    runs, restarting it each time: every file verified, no entry lost, and the bytes the server
 *    sent against the files' total.
 * Prints Markdown. Every process and directory it makes is removed at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { digestOfContent, startServer, type RangeServer } from "../src/server/index.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(REPO, "dist", "parget.mjs");
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const QUEUE = flag("queue", 1000);
const ACTIVE = flag("active", 16);
const CALLS = flag("calls", 400);
const KILLS = flag("kills", 10);
const FILES = flag("files", 50);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * One JSON-RPC call over HTTP; resolves with the result, throws the error. `secret` undefined:
 * no token (system.multicall, whose calls carry their own).
 */
function rpc(
  port: number,
  secret: string | undefined,
  method: string,
  params: unknown[] = [],
): Promise<unknown> {
  const token = secret === undefined ? [] : [`token:${secret}`];
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [...token, ...params] });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/jsonrpc",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => {
          try {
            const answer = JSON.parse(text) as { result?: unknown; error?: { message: string } };
            if (answer.error) reject(new Error(`${method}: ${answer.error.message}`));
            else resolve(answer.result);
          } catch (error) {
            reject(
              new Error(`${method}: ${res.statusCode} ${text.slice(0, 200)}`, { cause: error }),
            );
          }
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function latency(port: number, secret: string, method: string): Promise<[number, number]> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await rpc(port, secret, method);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return [percentile(times, 50), percentile(times, 99)];
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

function start(command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await Promise.race([exited, delay(10_000).then(() => child.kill("SIGKILL"))]);
  await exited;
}

interface Daemon {
  child: ChildProcess;
  port: number;
  secret: string;
}

async function startParget(dir: string, extra: string[] = []): Promise<Daemon> {
  const { child, output } = start(process.execPath, [
    CLI,
    "daemon",
    "--port",
    "0",
    "-d",
    path.join(dir, "root"),
    "--state-dir",
    path.join(dir, "state"),
    ...extra,
  ]);
  await waitFor("parget daemon to listen", async () => /#token=\S+\n/.test(output()));
  const port = Number(/127\.0\.0\.1:(\d+)\/jsonrpc/.exec(output())![1]);
  const secret = /#token=(\S+)\n/.exec(output())![1]!;
  return { child, port, secret };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startAria2(dir: string): Promise<Daemon> {
  const port = await freePort();
  const secret = randomBytes(16).toString("hex");
  const { child } = start("aria2c", [
    "--enable-rpc",
    `--rpc-listen-port=${port}`,
    `--rpc-secret=${secret}`,
    `--dir=${dir}`,
    `--max-concurrent-downloads=${ACTIVE}`,
    "--max-download-result=2000",
    "--quiet=true",
    "--check-certificate=false",
  ]);
  await waitFor(
    "aria2c to listen",
    async () => (await rpc(port, secret, "aria2.getVersion")) !== undefined,
  );
  return { child, port, secret };
}

/** Fills the daemon's queue, waits for `ACTIVE` running, measures; then stops it. */
async function measure(name: string, daemon: Daemon, server: RangeServer): Promise<string> {
  for (let i = 0; i < QUEUE; i += 100) {
    const calls = [];
    for (let j = i; j < Math.min(QUEUE, i + 100); j++) {
      calls.push({
        methodName: "aria2.addUri",
        params: [
          `token:${daemon.secret}`,
          [server.url(`/q${j}.bin`)],
          { split: "1", out: `q${j}.bin` },
        ],
      });
    }
    const results = (await rpc(daemon.port, undefined, "system.multicall", [calls])) as unknown[];
    const failed = results.find((r) => !Array.isArray(r));
    if (failed) throw new Error(`${name}: addUri failed: ${JSON.stringify(failed)}`);
  }
  await waitFor(`${ACTIVE} active in ${name}`, async () => {
    const stat = (await rpc(daemon.port, daemon.secret, "aria2.getGlobalStat")) as Record<
      string,
      string
    >;
    return (
      Number(stat.numActive) === ACTIVE &&
      Number(stat.numActive) + Number(stat.numWaiting) === QUEUE
    );
  });
  const active = await latency(daemon.port, daemon.secret, "aria2.tellActive");
  const stat = await latency(daemon.port, daemon.secret, "aria2.getGlobalStat");
  const rss = await rssOf(daemon.child.pid!);
  await stop(daemon.child);
  const ms = (n: number): string => n.toFixed(2);
  return `| ${name} | ${ms(active[0])} | ${ms(active[1])} | ${ms(stat[0])} | ${ms(stat[1])} | ${(rss / 2 ** 20).toFixed(0)} |`;
}

async function queueCase(dir: string): Promise<string[]> {
  // Each download trickles, so the active ones stay active while they are measured.
  const files = Object.fromEntries(
    Array.from({ length: QUEUE }, (_, i) => [
      `/q${i}.bin`,
      { content: { seed: `q${i}`, size: 64 * 2 ** 20 } },
    ]),
  );
  const server = await startServer({ files, ratePerConnection: 16 * 1024 });
  try {
    const rows = [
      `Queue of ${QUEUE} downloads, ${ACTIVE} active (one connection each); ${CALLS} calls of each method, one at a time over one kept-alive connection:`,
      "",
      "| daemon | tellActive p50 (ms) | p99 | getGlobalStat p50 (ms) | p99 | RSS (MiB) |",
      "| --- | --- | --- | --- | --- | --- |",
    ];
    const parget = await startParget(path.join(dir, "parget"), ["-j", String(ACTIVE)]);
    rows.push(await measure("parget daemon", parget, server));
    const aria2 = await startAria2(path.join(dir, "aria2"));
    rows.push(await measure("aria2c --enable-rpc", aria2, server));
    return rows;
  } finally {
    await server.close();
  }
}

async function killCase(dir: string): Promise<string[]> {
  const size = 4 * 2 ** 20;
  const files = Object.fromEntries(
    Array.from({ length: FILES }, (_, i) => [`/k${i}.bin`, { content: { seed: `k${i}`, size } }]),
  );
  // Slow enough that the whole queue takes a while (about 20 s unkilled).
  const server = await startServer({ files, ratePerConnection: 1024 * 1024 });
  try {
    let daemon = await startParget(dir, ["-j", "4"]);
    const gids: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const hex = await digestOfContent(`k${i}`, size, "sha256");
      gids.push(
        (await rpc(daemon.port, daemon.secret, "aria2.addUri", [
          [server.url(`/k${i}.bin`)],
          { out: `k${i}.bin`, checksum: `sha-256=${hex}`, split: "2" },
        ])) as string,
      );
    }
    let lost = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await delay(randomInt(300, 2500));
      daemon.child.kill("SIGKILL");
      await new Promise((resolve) => daemon.child.once("exit", resolve));
      daemon = await startParget(dir, ["-j", "4"]);
      for (const gid of gids) {
        await rpc(daemon.port, daemon.secret, "aria2.tellStatus", [gid, ["gid"]]).catch(
          () => lost++,
        );
      }
    }
    await waitFor(
      "every file to complete",
      async () => {
        const stopped = (await rpc(daemon.port, daemon.secret, "aria2.tellStopped", [
          0,
          FILES,
          ["status"],
        ])) as {
          status: string;
        }[];
        return stopped.length === FILES;
      },
      600_000,
    );
    let verified = 0;
    for (const gid of gids) {
      const v = (await rpc(daemon.port, daemon.secret, "parget.getVerification", [gid])) as {
        status: string;
      } | null;
      if (v?.status === "verified") verified++;
    }
    await stop(daemon.child);
    const ratio = server.stats.bytesSent / (FILES * size);
    return [
      `${KILLS} SIGKILLs of parget daemon at random moments (0.3-2.5 s apart) during a queue of ${FILES} files of 4 MiB (4 at once, 2 connections each, 1 MiB/s per connection), restarted each time:`,
      "",
      `- entries lost: ${lost}`,
      `- files verified (sha-256): ${verified} of ${FILES}`,
      `- bytes sent by the server: ${ratio.toFixed(3)}x the files' total`,
    ];
  } finally {
    await server.close();
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), "parget-bench-daemon-"));
try {
  const lines = [
    ...(await queueCase(path.join(dir, "queue"))),
    "",
    ...(await killCase(path.join(dir, "kill"))),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
} catch (error) {
  log(`bench:daemon: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  agent.destroy();
  await rm(dir, { recursive: true, force: true });
}
