/**
 * The exit-status contract, through the real binary: 0 saved, 2 usage, 3 file system, 4 network,
 * 5 HTTP, 6 integrity; and what each leaves on stdout, stderr and disk.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { digestOfContent } from "../../src/server/index.js";
import { REPO_ROOT, freePort, runCli, type CliResult } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { assertGenerated, entries, jsonEvents, tempDir } from "./support.js";

const SEED = "exit";
const SIZE = 3 * 1024 * 1024 + 17;
const FILES = { "/f.bin": { content: { seed: SEED, size: SIZE } } };
/**
 * A refused connection fails fast: one retry after at most 250 ms. No short --timeout: a refusal
 * needs none, and it would also apply to the good downloads beside it on a busy machine.
 */
const FAST_FAIL = ["--retries", "1"];

function explain(result: CliResult): string {
  return `exit ${result.code} (signal ${result.signal})\nstdout: ${result.stdout.slice(0, 500)}\nstderr: ${result.stderr.slice(0, 500)}`;
}

/** One line on stderr, nothing on stdout: the shape of every single failure. */
function assertOneErrorLine(result: CliResult): void {
  assert.equal(result.stdout, "", `nothing may go to stdout\n${explain(result)}`);
  assert.match(
    result.stderr,
    /^parget: [^\n]+\n$/,
    `exactly one line on stderr\n${explain(result)}`,
  );
}

test("0: the file is saved, byte for byte", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const result = await runCli([server.url("/f.bin"), "-d", dir]);
  assert.equal(result.code, 0, explain(result));
  await assertGenerated(path.join(dir, "f.bin"), SEED, SIZE);
  assert.deepEqual(await entries(dir), ["f.bin"]);
});

test("2: bad arguments fail before anything is fetched or written", async (t) => {
  const server = await serve(t, { files: FILES });
  const url = server.url("/f.bin");
  const cases: [string, string[]][] = [
    ["-n 0", ["-n", "0", url]],
    ["-n -1", ["-n", "-1", url]],
    ["-n abc", ["-n", "abc", url]],
    ["-k 12Q", ["-k", "12Q", url]],
    ["--checksum sha256=zz", ["--checksum", "sha256=zz", url]],
    ["an unknown flag", ["--frobnicate", url]],
    ["ftp://x", ["ftp://x"]],
    ["not a url", ["not a url"]],
    ["no URL at all", []],
  ];
  for (const [name, args] of cases) {
    await t.test(name, async (t) => {
      const dir = await tempDir(t);
      const result = await runCli(args, { cwd: dir });
      assert.equal(result.code, 2, explain(result));
      assertOneErrorLine(result);
      assert.deepEqual(await entries(dir), [], "no file may be created");
    });
  }
  assert.equal(server.stats.requests, 0, "a usage error must not reach the server");
});

test("3: a directory that cannot be created", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  // Tests run as root, who may write anywhere; a path through a regular file fails for anyone.
  await writeFile(path.join(dir, "file.txt"), "not a directory\n");
  const result = await runCli([server.url("/f.bin"), "-d", path.join(dir, "file.txt", "sub")]);
  assert.equal(result.code, 3, explain(result));
  assertOneErrorLine(result);
  assert.deepEqual(await entries(dir), ["file.txt"]);
});

test("3: an existing file without --overwrite is left untouched", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const final = path.join(dir, "f.bin");
  await writeFile(final, "precious\n");
  const result = await runCli([server.url("/f.bin"), "-d", dir]);
  assert.equal(result.code, 3, explain(result));
  assertOneErrorLine(result);
  assert.equal(await readFile(final, "utf8"), "precious\n");
  assert.deepEqual(await entries(dir), ["f.bin"], "no partial file may be left behind");

  const again = await runCli([server.url("/f.bin"), "-d", dir, "--overwrite"]);
  assert.equal(again.code, 0, explain(again));
  await assertGenerated(final, SEED, SIZE);
});

test("4: a refused connection, after the retries", async (t) => {
  const dir = await tempDir(t);
  const port = await freePort();
  const result = await runCli([`http://127.0.0.1:${port}/f.bin`, "-d", dir, ...FAST_FAIL]);
  assert.equal(result.code, 4, explain(result));
  assert.equal(result.stdout, "", explain(result));
  assert.match(result.stderr, /parget: [^\n]+\n$/, explain(result));
  assert.deepEqual(await entries(dir), []);
});

test("5: a 404", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const result = await runCli([server.url("/missing.bin"), "-d", dir]);
  assert.equal(result.code, 5, explain(result));
  assertOneErrorLine(result);
  assert.match(result.stderr, /404/);
  assert.deepEqual(await entries(dir), []);
});

test("6: a wrong --checksum keeps the data beside the target, and no final file", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const final = path.join(dir, "f.bin");
  const wrong = `sha256=${"0".repeat(64)}`;
  const result = await runCli([server.url("/f.bin"), "-d", dir, "-q", "--checksum", wrong]);
  assert.equal(result.code, 6, explain(result));
  assertOneErrorLine(result);
  assert.equal(existsSync(final), false, "an unverified file must not reach the final path");
  await assertGenerated(`${final}.parget`, SEED, SIZE);

  const right = `sha256=${await digestOfContent(SEED, SIZE, "sha256")}`;
  const fixed = await runCli([server.url("/f.bin"), "-d", dir, "-q", "--checksum", right]);
  assert.equal(fixed.code, 0, explain(fixed));
  await assertGenerated(final, SEED, SIZE);
  assert.deepEqual(await entries(dir), ["f.bin"]);
});

test("--json: only JSON lines on stdout, ending with done", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const result = await runCli([server.url("/f.bin"), "-d", dir, "--json"]);
  assert.equal(result.code, 0, explain(result));
  const events = jsonEvents(result.stdout);
  const known = new Set(["start", "progress", "retry", "restart", "verifying", "done", "error"]);
  for (const e of events) assert.ok(known.has(e.type), `unknown event type ${e.type}`);
  assert.equal(events[0]?.type, "start");
  const done = events.at(-1)!;
  assert.equal(done.type, "done");
  assert.equal(done.path, path.join(dir, "f.bin"));
  assert.equal(done.size, SIZE);
  await assertGenerated(path.join(dir, "f.bin"), SEED, SIZE);
});

test("--json: a failure ends with an error event carrying the exit code", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const result = await runCli([server.url("/missing.bin"), "-d", dir, "--json"]);
  assert.equal(result.code, 5, explain(result));
  const events = jsonEvents(result.stdout);
  assert.equal(events.at(-1)?.type, "error");
  assert.equal(events.at(-1)?.exitCode, 5);
});

test("-q: nothing at all on success", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const result = await runCli([server.url("/f.bin"), "-d", dir, "-q"]);
  assert.equal(result.code, 0, explain(result));
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, "");
  await assertGenerated(path.join(dir, "f.bin"), SEED, SIZE);
});

test("several URLs: the highest status, and the good file still arrives", async (t) => {
  const server = await serve(t, { files: FILES });
  const dir = await tempDir(t);
  const refused = `http://127.0.0.1:${await freePort()}/gone.bin`;
  const result = await runCli([
    server.url("/missing.bin"),
    server.url("/f.bin"),
    refused,
    "-d",
    dir,
    "-q",
    ...FAST_FAIL,
  ]);
  assert.equal(result.code, 5, explain(result));
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trimEnd().split("\n").length, 2, "one line per failed URL");
  await assertGenerated(path.join(dir, "f.bin"), SEED, SIZE);
  assert.deepEqual(await entries(dir), ["f.bin"]);
});

test("--version and --help exit 0 on stdout", async () => {
  const { version } = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8"));
  const shown = await runCli(["--version"]);
  assert.equal(shown.code, 0, explain(shown));
  assert.equal(shown.stdout.trim(), version);
  assert.equal(shown.stderr, "");

  const help = await runCli(["--help"]);
  assert.equal(help.code, 0, explain(help));
  assert.match(help.stdout, /^Usage: parget /);
  assert.match(help.stdout, /--checksum/);
  assert.equal(help.stderr, "");
});
