/**
 * Crash safety: SIGKILL the real CLI at seeded points across a download (the transfer, the final
 * verification, the rename), then rerun the same command. The final path never holds a partial
 * or wrong file, the rerun always ends byte-identical with nothing left beside it, and the work
 * repeated stays bounded. A file replaced on the server between the kill and the rerun arrives
 * whole in its new version, never spliced with the old.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, watch } from "node:fs";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { digestOfContent, type RangeServer } from "../../src/server/index.js";
import { pollUntil, runCli, spawnCli, stopProcess, waitForExit } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { MiB, assertGenerated, entries, jsonEvents, only, tempDir } from "./support.js";

const SEED = "crash";
const SIZE = 16 * MiB;
const CONNECTIONS = 4;
// 8 MiB/s in all: an uninterrupted run takes about 2 s.
const RATE_PER_CONNECTION = 2 * MiB;
/** Seeds the kill points; change it to explore others. */
const PRNG_SEED = 0x0c0ffee;
/** Kill points spread over the bytes sent: one drawn at random in each twentieth of the file. */
const SENT_POINTS = 20;
/** How many kills at a time, each with its own server and directory. */
const CONCURRENCY = 2;

/**
 * What a kill can cost: only what the lanes had received but not yet written (a batch is written
 * within 20 ms, lane.ts BATCH_AGE_MS) and what was in flight in the sockets. Everything written is
 * in the journal, checkpoint or not. Mid-download that is a few hundred KiB, and kill.test.ts holds
 * two kills to 1.1x. Here two runs are killed at a time beside the rest of the suite, some in a
 * run's first half second, when the sockets hold what the starting process has not read yet (up
 * to ~1.5 MiB of this 16 MiB file), and on a busy machine the rerun's end-game races add a few
 * percent more: 1.16x was seen on Node 26 with the suite running beside it. Before the journal a
 * kill cost up to 1.93x here.
 */
const MAX_RATIO = 1.2;

type Trigger =
  /** The server has sent this share of the file. */
  | { kind: "sent"; share: number }
  /** This long after the server sent the last byte: the final verification, fsync and rename. */
  | { kind: "last-byte"; delayMs: number }
  /** --json printed "verifying". */
  | { kind: "verifying" }
  /** The state says every byte is verified: only the rename is left. */
  | { kind: "verified" }
  /** The final path has appeared (the link is made; the unlinks may not be). */
  | { kind: "published" }
  /** --json printed "done": everything is finished but the process's exit. */
  | { kind: "done" };

function describe(trigger: Trigger): string {
  switch (trigger.kind) {
    case "sent":
      return `${pct(trigger.share)} sent`;
    case "last-byte":
      return `${trigger.delayMs} ms after the last byte`;
    default:
      return `on "${trigger.kind}"`;
  }
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

function killPoints(): Trigger[] {
  const random = prng(PRNG_SEED);
  const points: Trigger[] = [];
  for (let i = 0; i < SENT_POINTS; i++) {
    points.push({ kind: "sent", share: (i + random()) / SENT_POINTS });
  }
  // An uninterrupted run ends some 25 ms after its last byte was sent.
  for (let i = 0; i < 3; i++) {
    points.push({ kind: "last-byte", delayMs: Math.floor(random() * 20) });
  }
  points.push({ kind: "verifying" }, { kind: "verifying" });
  points.push({ kind: "verified" }, { kind: "verified" });
  points.push({ kind: "published" }, { kind: "done" });
  return points;
}

interface Files {
  dir: string;
  final: string;
  partial: string;
  state: string;
  journal: string;
}

function filesIn(dir: string): Files {
  const final = path.join(dir, "f.bin");
  const parget = `${final}.parget`;
  return { dir, final, partial: parget, state: `${parget}.state`, journal: `${parget}.journal` };
}

/** Whether the ledger in the download's directory records the file. */
function recorded(files: Files): boolean {
  return readIfThere(path.join(files.dir, ".parget-ledger")).includes('"f.bin"');
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

interface Kill {
  /** False when the run finished before the kill landed. */
  killed: boolean;
  sentAtKill: number;
  /** Where the download was, judged from what the kill left on disk. */
  phase: string;
}

/**
 * Runs `args` and SIGKILLs it the moment `trigger` holds. Conditions are checked on every change
 * in the directory, every output chunk and every millisecond, and the kill is sent synchronously
 * from the check, so it lands within about a millisecond of the condition.
 */
async function runUntilKilled(
  t: TestContext,
  server: RangeServer,
  args: string[],
  files: Files,
  trigger: Trigger,
): Promise<Kill> {
  const child: ChildProcess = spawnCli(args);
  t.after(() => stopProcess(child));
  let stdout = "";
  let fired = false;
  let sentAtKill = 0;
  const kill = (): void => {
    sentAtKill = server.stats.bytesSent;
    child.kill("SIGKILL");
  };
  const due = (): boolean => {
    switch (trigger.kind) {
      case "sent":
        return server.stats.bytesSent >= trigger.share * SIZE;
      case "last-byte":
        return server.stats.bytesSent >= SIZE;
      case "verifying":
      case "done":
        return stdout.includes(`"type":"${trigger.kind}"`);
      case "verified":
        return readIfThere(files.state).includes('"verified"');
      case "published":
        return existsSync(files.final);
    }
  };
  const check = (): void => {
    if (fired || child.exitCode !== null || child.signalCode !== null || !due()) return;
    fired = true;
    if (trigger.kind === "last-byte") setTimeout(kill, trigger.delayMs);
    else kill();
  };
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    check();
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const watcher = watch(files.dir, check);
  const timer = setInterval(check, 1);
  check();
  let exit: Awaited<ReturnType<typeof waitForExit>>;
  try {
    exit = await waitForExit(child, 30_000);
  } finally {
    clearInterval(timer);
    watcher.close();
  }
  if (exit.signal !== "SIGKILL") {
    assert.equal(exit.code, 0, `the run to be killed ${describe(trigger)} failed: ${stderr}`);
    return { killed: false, sentAtKill: server.stats.bytesSent, phase: "finished" };
  }
  return { killed: true, sentAtKill, phase: phaseOf(files, sentAtKill) };
}

/** Only the final file is left: the killed run had finished, all but its exit. */
const AFTER_RENAME = "after the rename";

function phaseOf(files: Files, sent: number): string {
  const leftovers = [files.partial, files.state, files.journal].some((f) => existsSync(f));
  if (existsSync(files.final)) return leftovers ? "mid-rename" : AFTER_RENAME;
  if (readIfThere(files.state).includes('"verified"')) return "verified, before the rename";
  return sent >= SIZE ? "final verification" : "transfer";
}

/** Whatever a kill left at the final path is absent, or the whole identical file. */
async function assertNoPartialFinal(files: Files, seed: string, size: number): Promise<void> {
  if (existsSync(files.final)) await assertGenerated(files.final, seed, size);
}

interface Measured {
  label: string;
  kill: Kill;
  ratio: number;
}

test(
  "SIGKILL at seeded points across a download, then a rerun: always whole, little refetched",
  { concurrency: CONCURRENCY },
  async (t) => {
    const sha256 = await digestOfContent(SEED, SIZE, "sha256");
    const measured: Measured[] = [];

    const one = async (t: TestContext, trigger: Trigger): Promise<void> => {
      const server = await serve(t, {
        files: { "/f.bin": { content: { seed: SEED, size: SIZE } } },
        ratePerConnection: RATE_PER_CONNECTION,
      });
      const files = filesIn(await tempDir(t, "crash"));
      const args = [server.url("/f.bin"), "-d", files.dir, "-n", String(CONNECTIONS)];
      args.push("--checksum", `sha256=${sha256}`, "--json");

      const kill = await runUntilKilled(t, server, args, files, trigger);
      await assertNoPartialFinal(files, SEED, SIZE);
      if (kill.phase === AFTER_RENAME || recorded(files)) {
        // Killed once the ledger beside the file records it saved and verified (its last steps):
        // the rerun skips it, as it would after a clean exit, without asking the server, and
        // removes what the kill left beside it.
        const requests = server.stats.requests;
        const rerun = await runCli(args, { timeoutMs: 30_000 });
        assert.equal(rerun.code, 0, `a rerun after the rename skips the file: ${rerun.stderr}`);
        only(jsonEvents(rerun.stdout), "skipped");
        assert.equal(server.stats.requests, requests, "the rerun sent no request");
      } else if (kill.killed) {
        const rerun = await runCli(args, { timeoutMs: 30_000 });
        assert.equal(rerun.code, 0, `the rerun after a kill ${kill.phase} failed: ${rerun.stderr}`);
        only(jsonEvents(rerun.stdout), "done");
      }
      await assertGenerated(files.final, SEED, SIZE);
      // A state temp file of the killed run would be left too, if the kill hit a state write.
      assert.deepEqual(await entries(files.dir), ["f.bin"], "only the final file may remain");

      const ratio = server.stats.bytesSent / SIZE;
      const label = describe(trigger);
      measured.push({ label, kill, ratio });
      t.diagnostic(
        kill.killed
          ? `killed at ${pct(kill.sentAtKill / SIZE)} sent (${kill.phase}); ` +
              `server sent ${ratio.toFixed(3)}x the file over both runs`
          : `finished before the kill landed; server sent ${ratio.toFixed(3)}x the file`,
      );
      assert.ok(ratio <= MAX_RATIO, `sent ${ratio.toFixed(3)}x the file (limit ${MAX_RATIO}x)`);
    };

    const points = killPoints();
    await Promise.all(
      points.map((trigger, i) =>
        t.test(`#${i + 1} killed ${describe(trigger)}`, (t) => one(t, trigger)),
      ),
    );

    const killed = measured.filter((m) => m.kill.killed);
    const worst = measured.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    const phases = new Map<string, number>();
    for (const m of measured) phases.set(m.kill.phase, (phases.get(m.kill.phase) ?? 0) + 1);
    t.diagnostic(
      `${killed.length} of ${measured.length} runs killed; phases: ` +
        [...phases].map(([phase, n]) => `${phase} ${n}`).join(", "),
    );
    t.diagnostic(
      `worst ratio ${worst.ratio.toFixed(3)}x (killed ${worst.label}), limit ${MAX_RATIO.toFixed(3)}x`,
    );
    assert.equal(measured.length, points.length, "every kill point ran");
    assert.ok(killed.length >= 20, `only ${killed.length} runs were killed; at least 20 must be`);
    assert.ok(
      killed.some((m) => m.kill.phase !== "transfer"),
      "no kill landed after the transfer (verification or rename)",
    );
  },
);

test(
  "a file changed on the server between a kill and the rerun arrives whole in its new version",
  { concurrency: CONCURRENCY },
  async (t) => {
    const changes = [
      { label: "same size", seed: `${SEED}-new`, size: SIZE },
      { label: "shorter", seed: `${SEED}-short`, size: 5 * MiB + 77 },
    ];
    // Both at once: each has its own server and directory.
    const runs = changes.map((change) =>
      t.test(change.label, async (t) => {
        const server = await serve(t, {
          files: { "/f.bin": { content: { seed: SEED, size: SIZE } } },
          ratePerConnection: RATE_PER_CONNECTION,
        });
        const files = filesIn(await tempDir(t, "crash-changed"));
        const args = [server.url("/f.bin"), "-d", files.dir, "-n", String(CONNECTIONS), "--json"];

        const child = spawnCli(args);
        t.after(() => stopProcess(child));
        // Past the first checkpoint, so the rerun has a state to try (and must reject).
        await pollUntil(
          () => server.stats.bytesSent >= 0.6 * SIZE && readIfThere(files.state) !== "",
          "a saved state and 60% of the file sent",
          { timeoutMs: 20_000, intervalMs: 5, process: child },
        );
        child.kill("SIGKILL");
        assert.equal((await waitForExit(child, 5000)).signal, "SIGKILL");
        server.replaceFile("/f.bin", { content: { seed: change.seed, size: change.size } });

        const rerun = await runCli(args, { timeoutMs: 30_000 });
        assert.equal(rerun.code, 0, `the rerun failed: ${rerun.stderr}`);
        await assertGenerated(files.final, change.seed, change.size);
        assert.deepEqual(await entries(files.dir), ["f.bin"], "only the final file may remain");
        const done = only(jsonEvents(rerun.stdout), "done");
        assert.equal(done.size, change.size);
      }),
    );
    await Promise.all(runs);
  },
);

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
