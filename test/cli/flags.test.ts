import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseArgs, type ParseEnv, type ParsedArgs } from "../../src/cli/flags.js";
import { PargetError } from "../../src/index.js";

const URL_A = "https://example.com/a.bin";
const noFiles: ParseEnv = { readText: () => Promise.reject(new Error("no files in this test")) };

async function downloadArgs(argv: string[], env = noFiles) {
  const parsed = await parseArgs(argv, env);
  assert.equal(parsed.kind, "download");
  return parsed as Extract<ParsedArgs, { kind: "download" }>;
}

/** Asserts a usage error (exit 2) whose one-line message matches `message`. */
async function usageError(argv: string[], message: RegExp, env = noFiles): Promise<void> {
  await assert.rejects(parseArgs(argv, env), (err: unknown) => {
    assert.ok(err instanceof PargetError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
}

test("a bare URL gives no options, so the engine's defaults apply", async () => {
  const args = await downloadArgs([URL_A]);
  assert.deepEqual(args, {
    kind: "download",
    entries: [{ url: URL_A, options: {} }],
    options: {},
    set: {},
    checksumList: undefined,
    atomic: false,
    quiet: false,
    json: false,
  });
});

test("flags map onto DownloadOptions", async () => {
  const args = await downloadArgs([
    ...["-o", "x.bin", "-d", "out", "-n", "4", "-k", "1M", "--retries", "0", "--timeout", "1.5"],
    ...["--overwrite", "-q", "--json", URL_A],
  ]);
  assert.deepEqual(args.options, {
    output: "x.bin",
    dir: "out",
    connections: 4,
    chunkSize: 1024 * 1024,
    retries: 0,
    idleTimeoutMs: 1500,
    overwrite: true,
  });
  assert.equal(args.quiet, true);
  assert.equal(args.json, true);
});

const badValues: [string[], RegExp][] = [
  [["-n", "0"], /^--connections: expected a positive whole number, got "0"$/],
  [["-n", "-3"], /^--connections: .*"-3"/],
  [["-n", "abc"], /^--connections: .*"abc"/],
  [["-n", "2.5"], /^--connections: .*"2.5"/],
  [["-n", "65"], /^--connections: expected at most 64, got 65$/],
  [["-n", "100000"], /^--connections: expected at most 64, got 100000$/],
  [["-k", "1X"], /^--chunk-size: invalid size "1X"/],
  [["--retries", "-1"], /^--retries: .*"-1"/],
  [["--timeout", "0"], /^--timeout: .*"0"/],
  [["--timeout", "soon"], /^--timeout: .*"soon"/],
  [["--checksum", "sha256=abc"], /^--checksum: invalid sha256 checksum/],
  [["--checksum", "whirlpool=00"], /^--checksum: unknown checksum algorithm/],
  [["-H", "Authorization Bearer s3cret"], /^--header: expected "Name: value", got no ":"$/],
  [["-H", "Bad Name: x"], /^--header: invalid header name "Bad Name"$/],
  [["-H", ": x"], /^--header: invalid header name ""$/],
  [["-H", "X-A: 1\r\nX-B: 2"], /^--header: the value of X-A has a line break$/],
  [["--limit-rate", "fast"], /^--limit-rate: invalid size "fast"/],
  [["--limit-rate", "-1M"], /^--limit-rate: invalid size "-1M"/],
  [["--total-limit-rate", "1.5"], /^--total-limit-rate: invalid size "1.5": must be a whole/],
];
for (const [flags, message] of badValues) {
  test(`usage error: ${flags.join(" ")}`, () => usageError([...flags, URL_A], message));
}

test("commander's own complaints become one line", async () => {
  await usageError(
    ["--frobnicate", URL_A],
    /^unknown option '--frobnicate' \(see parget --help\)$/,
  );
  // A near miss makes commander add a suggestion on a second line.
  await usageError(
    ["--jsn", URL_A],
    /^unknown option '--jsn' \(Did you mean --json\?\) \(see parget --help\)$/,
  );
  await usageError([URL_A, "-n"], /^option '-n, --connections <N>' argument missing/);
  await usageError([], /^no URL given/);
});

test("--limit-rate is each file's, --total-limit-rate the set's, in bytes per second", async () => {
  const args = await downloadArgs(["--limit-rate", "1.5MiB", "--total-limit-rate", "10M", URL_A]);
  assert.equal(args.options.rateLimit, 1.5 * 1024 * 1024);
  assert.deepEqual(args.set, { totalRateLimit: 10 * 1024 * 1024 });
  assert.equal((await downloadArgs(["--limit-rate", "512K", URL_A])).options.rateLimit, 512 * 1024);
  assert.equal((await downloadArgs(["--limit-rate", "0", URL_A])).options.rateLimit, 0);
});

test("--checksum repeats and accumulates", async () => {
  const sha = "a".repeat(64);
  const args = await downloadArgs([
    "--checksum",
    `sha256=${sha}`,
    "--checksum",
    "CRC32C=DEADBEEF",
    URL_A,
  ]);
  assert.deepEqual(args.options.checksums, [
    { algorithm: "sha256", hex: sha, source: "user" },
    { algorithm: "crc32c", hex: "deadbeef", source: "user" },
  ]);
});

test("-H parses Name: value, keeps colons in the value, and a later name replaces an earlier one", async () => {
  const args = await downloadArgs([
    ...["-H", "Authorization: Bearer a:b ", "-H", "X-Trace:1", "-H", "x-trace: 2", URL_A],
  ]);
  assert.deepEqual(args.options.headers, { Authorization: "Bearer a:b", "x-trace": "2" });
});

test("-i adds the file's URLs after the positional ones, with their own options", async () => {
  const read: string[] = [];
  const env: ParseEnv = {
    readText: async (path) => {
      read.push(path);
      return "# mirrors\n\nhttp://a.example/x\r\n  out=y.bin\n\tdir=sub\nhttps://b.example/y  \n";
    },
  };
  const args = await downloadArgs([URL_A, "-i", "-", "-j", "3", "--max-connections", "9"], env);
  assert.deepEqual(read, ["-"]);
  assert.deepEqual(args.entries, [
    { url: URL_A, options: {} },
    { url: "http://a.example/x", options: { output: "y.bin", dir: "sub" } },
    { url: "https://b.example/y", options: {} },
  ]);
  assert.deepEqual(args.set, { jobs: 3, maxConnections: 9 });
});

test("-i reads a real file; a missing one is a usage error in one clean line", async () => {
  const dir = await mkdtemp(join(tmpdir(), "parget-flags-"));
  try {
    const list = join(dir, "urls.txt");
    await writeFile(list, `${URL_A}\n# done\n`);
    assert.deepEqual(((await parseArgs(["-i", list])) as { entries: unknown }).entries, [
      { url: URL_A, options: {} },
    ]);
    await assert.rejects(parseArgs(["-i", join(dir, "missing.txt")]), (err: unknown) => {
      assert.ok(err instanceof PargetError);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^cannot read URL list .*missing\.txt: no such file or directory$/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a bad URL in an -i list is named by its line", async () => {
  const env: ParseEnv = { readText: async () => "http://a.example/x\n# b\nlocalhost:80/x\n" };
  await usageError(
    ["-i", "urls.txt"],
    /^urls\.txt:3: "localhost:80\/x" has no scheme: try http:\/\/localhost:80\/x$/,
    env,
  );
  await usageError(["-i", "-"], /^stdin:1: unsupported URL scheme "ftp:"/, {
    readText: async () => "ftp://x/a\n",
  });
});

test("an -i file with only comments is a usage error", () =>
  usageError(["-i", "list"], /^no URL given/, { readText: async () => "# nothing yet\n" }));

test("-o with several URLs is a usage error", () =>
  usageError(
    ["-o", "x", URL_A, "https://example.com/b"],
    /^--output names one file, but 2 URLs were given$/,
  ));

test("only http and https URLs are accepted", async () => {
  await usageError(
    ["ftp://x"],
    /^unsupported URL scheme "ftp:" in ftp:\/\/x \(use http or https\)$/,
  );
  await usageError(["file:///etc/passwd"], /^unsupported URL scheme "file:"/);
  await usageError(
    ["example.com/a"],
    /^"example.com\/a" has no scheme: try http:\/\/example.com\/a$/,
  );
  await usageError(
    ["localhost:80/x"],
    /^"localhost:80\/x" has no scheme: try http:\/\/localhost:80\/x$/,
  );
  await usageError(
    ["user:pa55@host.test/x"],
    /^"user:REDACTED@host.test\/x" has no scheme: try http:\/\/user:REDACTED@host.test\/x$/,
  );
  await usageError(["[::1]:8080"], /^"\[::1\]:8080" has no scheme: try http:\/\/\[::1\]:8080$/);
  await usageError(["word"], /^invalid URL "word"/);
  await usageError(["ftp://user:secret@x/f"], /^unsupported URL scheme "ftp:" in ftp:\/\/x\/f /);
  await assert.rejects(parseArgs(["ftp://x"]), { code: "PARGET_BAD_URL" });
});

test("--help and --version ask to print and exit 0", async () => {
  const help = await parseArgs(["--help"]);
  assert.equal(help.kind, "exit");
  const text = help.kind === "exit" ? help.output : "";
  for (const expected of [
    "Usage: parget [options] <url...>",
    "-n, --connections <N>",
    "--checksum <ALGO=HEX>",
    "Examples:",
    "Exit status",
    "130",
  ]) {
    assert.ok(text.includes(expected), `help lacks ${expected}`);
  }
  const version = await parseArgs(["--version"]);
  assert.match(version.kind === "exit" ? version.output : "", /^\d+\.\d+\.\d+/);
});

test("demo gets its own arguments", async () => {
  assert.deepEqual(await parseArgs(["demo", "--size", "1M"]), {
    kind: "demo",
    argv: ["--size", "1M"],
  });
});
