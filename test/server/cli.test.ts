import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { digestOfContent, startServer } from "../../src/server/index.js";
import { parseServerArgs, SCENARIOS } from "../../src/server/scenarios.js";

test("flags become server options, with sizes in binary units", () => {
  const config = parseServerArgs([
    "--size",
    "1M",
    "--rate-per-connection",
    "8M",
    "--latency",
    "20",
    "--port",
    "8080",
    "--scenario",
    "ranges-off",
  ]);
  assert.equal(config.size, 1024 * 1024);
  assert.equal(config.options.ratePerConnection, 8 * 1024 * 1024);
  assert.equal(config.options.latencyMs, 20);
  assert.equal(config.options.port, 8080);
  assert.equal(config.options.files?.["/file.bin"]?.ranges, "no");
  assert.equal(parseServerArgs([]).size, 256 * 1024 * 1024);
  assert.equal(parseServerArgs([]).options.ratePerConnection, 0);
  assert.deepEqual(
    parseServerArgs(["--scenario", "uneven", "--rate-per-connection", "8M"]).options.rates,
    [8 * 1024 * 1024, 4 * 1024 * 1024, 2 * 1024 * 1024, 1024 * 1024],
  );
});

test("bad flags are errors with a message", () => {
  assert.throws(() => parseServerArgs(["--scenario", "nope"]), /unknown scenario "nope"/);
  assert.throws(() => parseServerArgs(["--size", "lots"]), /invalid size/);
  assert.throws(() => parseServerArgs(["--port", "-1"]), /--port/);
  assert.throws(() => parseServerArgs(["--tls-key", "k.pem"]), /go together/);
  assert.throws(() => parseServerArgs(["--frobnicate"]), /frobnicate/);
});

test("every scenario starts a server that serves its file", async () => {
  for (const name of Object.keys(SCENARIOS)) {
    const { options } = parseServerArgs(["--size", "64K", "--scenario", name]);
    const server = await startServer(options);
    try {
      const res = await fetch(server.url("/file.bin"), { method: "HEAD" });
      assert.ok([200, 503].includes(res.status), `${name}: ${res.status}`);
    } finally {
      await server.close();
    }
  }
});

test("the CLI prints the URL and sha256, serves, and stops on SIGINT", async () => {
  const compiled = fileURLToPath(new URL("../../src/server/cli.js", import.meta.url));
  const args = existsSync(compiled)
    ? [compiled]
    : ["--import", "tsx", compiled.replace(/\.js$/, ".ts")];
  const child = spawn(process.execPath, [...args, "--size", "1M", "--seed", "cli"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const url = (await lines.next()).value as string;
    const sha = (await lines.next()).value as string;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/file\.bin$/);
    assert.equal(sha, `sha256=${await digestOfContent("cli", 1024 * 1024, "sha256")}`);
    assert.equal((await fetch(url, { headers: { range: "bytes=0-9" } })).status, 206);
  } finally {
    child.kill("SIGINT");
  }
  assert.equal(await exited, 0);
});
