import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import {
  DownloadSet,
  downloadAll,
  EXIT,
  type ChecksumLookup,
  type SetEvent,
} from "../../src/index.js";
import { digestOfContent } from "../../src/server/index.js";
import {
  assertContent,
  clientConnections,
  generated,
  KiB,
  listing,
  MiB,
  tempDir,
} from "../download/fixtures.js";
import { serve } from "../helpers/server.js";

function files(
  count: number,
  size: number,
  prefix = "f",
): Record<string, ReturnType<typeof generated>> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `/${prefix}${i}.bin`,
      generated(`${prefix}${i}`, size),
    ]),
  );
}

test("a set of small files reuses kept-alive connections and never opens more than its budget", async (t) => {
  const server = await serve(t, { files: files(40, 64 * KiB) });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const events: SetEvent[] = [];
  const { outcomes, summary } = await downloadAll(
    Array.from({ length: 40 }, (_, i) => ({ url: server.url(`/f${i}.bin`) })),
    { dir, jobs: 8, maxConnections: 6, retries: 0, onEvent: (e) => events.push(e) },
  );

  assert.equal(summary.saved, 40);
  assert.equal(summary.exitCode, EXIT.ok);
  for (let i = 0; i < 40; i++) await assertContent(path.join(dir, `f${i}.bin`), `f${i}`, 64 * KiB);
  assert.ok(sockets.peak <= 6, `at most 6 connections at once, saw ${sockets.peak}`);
  // Kept alive from one file to the next: far fewer handshakes than files.
  assert.ok(
    server.stats.connectionsAccepted <= 6,
    `${server.stats.connectionsAccepted} connections for 40 files`,
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    Array(40).fill("saved"),
  );
  // Every event names its file; each file's events run from "queued" to "done".
  for (const { id } of outcomes) {
    const mine = events.filter((e) => "id" in e && e.id === id).map((e) => e.type);
    assert.equal(mine[0], "queued");
    assert.equal(mine.at(-1), "done");
  }
  assert.equal(events.at(-1)?.type, "summary");
});

test("a large file gets many connections while the small ones take one each, within the host's cap", async (t) => {
  const server = await serve(t, {
    files: { ...files(6, 32 * KiB, "s"), "/big.bin": generated("big", 24 * MiB) },
    ratePerConnection: 8 * MiB,
  });
  const dir = await tempDir(t);
  const sockets = clientConnections(t, server.port);
  const starts = new Map<number, number>();
  const { summary } = await downloadAll(
    [
      { url: server.url("/big.bin") },
      ...Array.from({ length: 6 }, (_, i) => ({ url: server.url(`/s${i}.bin`) })),
    ],
    {
      dir,
      jobs: 7,
      maxHostConnections: 8,
      connections: 8,
      minSplitSize: 256 * KiB,
      onEvent: (e) => {
        if (e.type === "start") starts.set(e.id, e.connections);
      },
    },
  );
  assert.equal(summary.saved, 7);
  await assertContent(path.join(dir, "big.bin"), "big", 24 * MiB);
  assert.ok(sockets.peak <= 8, `the host's cap of 8 held, saw ${sockets.peak}`);
  // Once the small files are done, their connections went to the large one.
  const bigRanges = server.stats.requestLog.filter((r) => r.path === "/big.bin").length;
  assert.ok(bigRanges >= 4, `the large file was fetched over several ranges (${bigRanges})`);
});

test("a failed file does not stop the others; the set's status is the worst one", async (t) => {
  const server = await serve(t, { files: files(3, 100 * KiB) });
  const dir = await tempDir(t);
  await writeFile(path.join(dir, "f1.bin"), "mine");
  const events: SetEvent[] = [];
  const { outcomes, summary } = await downloadAll(
    [
      { url: server.url("/f0.bin") },
      { url: server.url("/f1.bin") },
      { url: server.url("/missing.bin") },
      { url: server.url("/f2.bin") },
    ],
    { dir, retries: 0, onEvent: (e) => events.push(e) },
  );
  assert.deepEqual(
    outcomes.map((o) => [o.status, o.exitCode]),
    [
      ["saved", 0],
      ["failed", EXIT.filesystem],
      ["failed", EXIT.http],
      ["saved", 0],
    ],
  );
  assert.equal(summary.exitCode, EXIT.http);
  assert.equal(summary.failed, 2);
  assert.equal(events.filter((e) => e.type === "failed").length, 2);
  assert.deepEqual(await listing(dir), ["f0.bin", "f1.bin", "f2.bin"]);
});

test("a rerun skips what is saved without a request, and retries what failed", async (t) => {
  const server = await serve(t, { files: files(5, 200 * KiB) });
  const dir = await tempDir(t);
  const entries = Array.from({ length: 6 }, (_, i) => ({ url: server.url(`/f${i}.bin`) }));
  const first = await downloadAll(entries, { dir, retries: 0 });
  assert.equal(first.summary.saved, 5);
  assert.equal(first.summary.failed, 1);

  server.replaceFile("/f5.bin", generated("f5", 200 * KiB));
  server.resetStats();
  const second = await downloadAll(entries, { dir, retries: 0 });
  assert.deepEqual(
    second.outcomes.map((o) => o.status),
    ["skipped", "skipped", "skipped", "skipped", "skipped", "saved"],
  );
  assert.equal(second.summary.exitCode, EXIT.ok);
  assert.deepEqual(
    server.stats.requestLog.map((r) => r.path),
    ["/f5.bin"],
    "only the file that failed was asked for",
  );
  await assertContent(path.join(dir, "f5.bin"), "f5", 200 * KiB);
});

test("a skipped file is checked against a digest asked now, by reading it back once", async (t) => {
  const server = await serve(t, { files: files(1, 300 * KiB) });
  const dir = await tempDir(t);
  await downloadAll([{ url: server.url("/f0.bin") }], { dir });
  const sha256 = await digestOfContent("f0", 300 * KiB, "sha256");
  const list = (hex: string): ChecksumLookup => ({
    source: "SHA256SUMS",
    lookup: (p) =>
      p === "f0.bin" ? [{ algorithm: "sha256", hex, source: "SHA256SUMS" }] : undefined,
  });

  const right = await downloadAll([{ url: server.url("/f0.bin") }], {
    dir,
    checksumList: list(sha256),
  });
  assert.equal(right.outcomes[0]?.status, "skipped");
  assert.deepEqual(
    right.outcomes[0]?.result?.verified.map((v) => v.source),
    ["SHA256SUMS"],
  );
  const wrong = await downloadAll([{ url: server.url("/f0.bin") }], {
    dir,
    checksumList: list("0".repeat(64)),
  });
  assert.equal(wrong.outcomes[0]?.status, "failed");
  assert.equal(wrong.outcomes[0]?.exitCode, EXIT.integrity);
  assert.equal(server.stats.requests, 1, "neither check sent a request");
});

test("with a checksum list, a file it does not name fails before a byte is written", async (t) => {
  const server = await serve(t, { files: files(2, 100 * KiB) });
  const dir = await tempDir(t);
  const sha256 = await digestOfContent("f0", 100 * KiB, "sha256");
  const list: ChecksumLookup = {
    source: "SHA256SUMS",
    lookup: (p) =>
      p === "f0.bin" ? [{ algorithm: "sha256", hex: sha256, source: "SHA256SUMS" }] : undefined,
  };
  const { outcomes } = await downloadAll(
    [{ url: server.url("/f0.bin") }, { url: server.url("/f1.bin") }],
    { dir, checksumList: list },
  );
  assert.equal(outcomes[0]?.status, "saved");
  assert.deepEqual(
    outcomes[0]?.result?.verified.map((v) => v.algorithm),
    ["sha256"],
  );
  assert.equal(outcomes[1]?.status, "failed");
  assert.equal(outcomes[1]?.exitCode, EXIT.integrity);
  assert.match(String(outcomes[1]?.error), /f1\.bin is not listed in SHA256SUMS/);
  assert.deepEqual(await listing(dir), ["f0.bin"]);
});

test("cancelling one file leaves the others running and its partial data resumable", async (t) => {
  const server = await serve(t, {
    files: { "/slow.bin": generated("slow", 8 * MiB), "/quick.bin": generated("quick", 64 * KiB) },
    ratePerConnection: 2 * MiB,
  });
  const dir = await tempDir(t);
  let slowId = 0;
  const set = new DownloadSet({
    dir,
    connections: 2,
    onEvent: (e) => {
      if (e.type === "progress" && e.id === slowId && e.bytes > 0) set.cancel(slowId);
    },
  });
  t.after(() => set.close());
  slowId = set.add(server.url("/slow.bin"));
  set.add(server.url("/quick.bin"));
  const { outcomes, summary } = await set.settled();
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["cancelled", "saved"],
  );
  assert.equal(summary.cancelled, 1);
  assert.ok((await listing(dir)).includes("slow.bin.parget.state"), "the state was kept");

  const again = await downloadAll([{ url: server.url("/slow.bin") }], { dir });
  assert.ok((again.outcomes[0]?.result?.resumedBytes ?? 0) > 0, "the rerun resumed");
  await assertContent(path.join(dir, "slow.bin"), "slow", 8 * MiB);
});

test("a host that refuses connections lowers the cap for the whole set", async (t) => {
  const server = await serve(t, {
    files: files(12, 2 * MiB),
    requestLimit: 3,
    ratePerConnection: 4 * MiB,
  });
  const dir = await tempDir(t);
  const { summary } = await downloadAll(
    Array.from({ length: 12 }, (_, i) => ({ url: server.url(`/f${i}.bin`) })),
    { dir, jobs: 12, maxHostConnections: 12, minSplitSize: 256 * KiB },
  );
  assert.equal(summary.saved, 12);
  for (let i = 0; i < 12; i++) await assertContent(path.join(dir, `f${i}.bin`), `f${i}`, 2 * MiB);
  const refused = server.stats.statuses[503] ?? 0;
  // Each file on its own is refused again and again (about 50 here); the set learns at once.
  t.diagnostic(`${refused} requests refused`);
  assert.ok(refused <= 12, `${refused} requests refused`);
});

test("all or nothing: a failure leaves the directory as it was, and the rerun commits the set", async (t) => {
  const server = await serve(t, { files: files(4, 300 * KiB) });
  const dir = await tempDir(t);
  await writeFile(path.join(dir, "keep.txt"), "mine");
  const entries = [
    ...Array.from({ length: 4 }, (_, i) => ({ url: server.url(`/f${i}.bin`), options: {} })),
    { url: server.url("/late.bin"), options: { dir: "sub" } },
  ];
  const first = await downloadAll(entries, { dir, atomic: true, retries: 0 });
  assert.equal(first.summary.exitCode, EXIT.http);
  assert.deepEqual(await listing(dir), [".parget-staging", "keep.txt"], "nothing published");

  server.replaceFile("/late.bin", generated("late", 300 * KiB));
  server.resetStats();
  const second = await downloadAll(entries, { dir, atomic: true, retries: 0 });
  assert.equal(second.summary.exitCode, EXIT.ok);
  assert.deepEqual(
    server.stats.requestLog.map((r) => r.path),
    ["/late.bin"],
    "the staged files were not fetched again",
  );
  assert.deepEqual(await listing(dir), ["f0.bin", "f1.bin", "f2.bin", "f3.bin", "keep.txt", "sub"]);
  for (let i = 0; i < 4; i++) await assertContent(path.join(dir, `f${i}.bin`), `f${i}`, 300 * KiB);
  await assertContent(path.join(dir, "sub", "late.bin"), "late", 300 * KiB);
  assert.equal(second.outcomes[4]?.path, path.join(dir, "sub", "late.bin"));

  server.resetStats();
  const third = await downloadAll(entries, { dir, atomic: true });
  assert.deepEqual(
    third.outcomes.map((o) => o.status),
    Array(5).fill("skipped"),
  );
  assert.equal(server.stats.requests, 0);
});

test("all or nothing: an existing final path stops the whole commit", async (t) => {
  const server = await serve(t, { files: files(3, 100 * KiB) });
  const dir = await tempDir(t);
  await writeFile(path.join(dir, "f2.bin"), "mine");
  const entries = Array.from({ length: 3 }, (_, i) => ({ url: server.url(`/f${i}.bin`) }));
  const { outcomes, summary } = await downloadAll(entries, { dir, atomic: true });
  assert.equal(summary.exitCode, EXIT.filesystem);
  assert.equal(outcomes[2]?.status, "failed");
  assert.deepEqual(await listing(dir), [".parget-staging", "f2.bin"]);
  const overwritten = await downloadAll(entries, { dir, atomic: true, overwrite: true });
  assert.equal(overwritten.summary.exitCode, EXIT.ok);
  await assertContent(path.join(dir, "f2.bin"), "f2", 100 * KiB);
  assert.deepEqual(await listing(dir), ["f0.bin", "f1.bin", "f2.bin"]);
});

test("two files of a set that would share a final path: the later one fails, nothing is spliced", async (t) => {
  const server = await serve(t, {
    files: {
      "/a/index.bin": generated("a", 2 * MiB),
      "/b/index.bin": generated("b", 2 * MiB),
    },
    ratePerConnection: 4 * MiB,
  });
  const dir = await tempDir(t);
  const { outcomes } = await downloadAll(
    [{ url: server.url("/a/index.bin") }, { url: server.url("/b/index.bin") }],
    { dir, overwrite: true },
  );
  assert.deepEqual(
    outcomes.map((o) => [o.status, o.exitCode]),
    [
      ["saved", 0],
      ["failed", EXIT.filesystem],
    ],
  );
  assert.match(String(outcomes[1]?.error), /index\.bin is also where .*\/a\/index\.bin is saved/);
  await assertContent(path.join(dir, "index.bin"), "a", 2 * MiB);
});
