/**
 * What the library does to the process that hosts it: an event handler that throws cannot break
 * a download or leak anything, and no garbage collection is forced on it. Each download runs in a
 * child process of its own, so that an uncaught exception, a leaked handle (the child does not
 * exit by itself), a call to `gc` or a module loaded shows.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { createTransport, download } from "../../src/index.js";
import { REPO_ROOT, waitForExit } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { assertContent, generated, listing, MiB, tempDir } from "./fixtures.js";

const LIBRARY = path.join(REPO_ROOT, "dist", "src", "index.js");

/**
 * Runs `body` (an async function body with `download`, `url` and `dir` in scope) in a fresh Node
 * process with `flags`; resolves once it exits on its own, with what it printed.
 */
async function inChild(
  body: string,
  url: string,
  dir: string,
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `
    const { download } = await import(${JSON.stringify(LIBRARY)});
    const [url, dir] = process.argv.slice(-2);
    ${body}
  `;
  const child = spawn(
    process.execPath,
    [...flags, "--input-type=module", "-e", script, "--", url, dir],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    // A leaked timer, worker or socket keeps the child alive: the wait fails.
    const { code } = await waitForExit(child, 20_000);
    return { code, stdout, stderr };
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`the child did not exit by itself; stderr:\n${stderr}`, { cause: error });
  }
}

const SIZE = 3 * MiB + 5;

for (const [what, throwsOn] of [
  ["every event", "true"],
  ['the "start" event', 'event.type === "start"'],
] as const) {
  test(`an onEvent handler that throws on ${what} breaks nothing and leaks nothing`, async (t) => {
    const server = await serve(t, { files: { "/f.bin": generated("handler", SIZE) } });
    const dir = await tempDir(t);
    const child = await inChild(
      `
      let calls = 0;
      const result = await download(url, {
        dir,
        connections: 4,
        progressIntervalMs: 10,
        onEvent: (event) => {
          calls++;
          if (${throwsOn}) throw new Error("handler bug");
        },
      });
      console.log(JSON.stringify({ size: result.size, calls }));
      `,
      server.url("/f.bin"),
      dir,
    );
    assert.equal(child.code, 0, child.stderr);
    const { size, calls } = JSON.parse(child.stdout) as { size: number; calls: number };
    assert.equal(size, SIZE);
    assert.ok(calls >= 2, "the handler keeps receiving events after it threw");
    await assertContent(path.join(dir, "f.bin"), "handler", SIZE);
    assert.deepEqual(await listing(dir), ["f.bin"]);
    // Reported once, as a warning, whatever the number of throws.
    assert.equal(child.stderr.match(/PARGET_EVENT_HANDLER/g)?.length, 1, child.stderr);
    assert.match(child.stderr, /handler bug/);
  });
}

test("the library never forces a garbage collection on its host, even where gc is exposed", async (t) => {
  const size = 24 * MiB;
  const server = await serve(t, { files: { "/f.bin": generated("no-gc", size) } });
  const dir = await tempDir(t);
  const child = await inChild(
    `
    const gc = globalThis.gc;
    let collections = 0;
    globalThis.gc = (...args) => {
      collections++;
      return gc(...args);
    };
    await download(url, { dir, connections: 4 });
    console.log(collections);
    `,
    server.url("/f.bin"),
    dir,
    ["--expose-gc"],
  );
  assert.equal(child.code, 0, child.stderr);
  assert.equal(child.stdout.trim(), "0");
  await assertContent(path.join(dir, "f.bin"), "no-gc", size);
});

test("createTransport: onReceived sees every byte received, and which left garbage, for a caller's memory policy", async (t) => {
  const size = 5 * MiB + 3;
  const server = await serve(t, { files: { "/f.bin": generated("on-received", size) } });
  const dir = await tempDir(t);
  let received = 0;
  let reused = 0;
  const transport = createTransport({
    onReceived: (bytes, allocated) => {
      received += bytes;
      if (!allocated) reused += bytes;
    },
  });
  t.after(() => transport.close());
  const result = await download(server.url("/f.bin"), { dir, connections: 4, transport });
  assert.equal(result.size, size);
  // Cancelled responses (the probe's beyond its first piece) bring some bytes twice.
  assert.ok(received >= size && received <= server.stats.bytesSent, `${received} bytes`);
  // The fast path receives into memory it reuses (at least the bytes that come with a head).
  assert.ok(reused > 0, "no byte was received into reused memory");
});

for (const [transport, loads] of [
  ["", false],
  ["undici", true],
] as const) {
  test(`undici is ${loads ? "" : "not "}loaded when PARGET_TRANSPORT is ${transport || "unset"}`, async (t) => {
    const size = 3 * MiB + 1;
    const server = await serve(t, { files: { "/f.bin": generated("lazy", size) } });
    const dir = await tempDir(t);
    const child = await inChild(
      `
      await download(url, { dir, connections: 4 });
      // undici is CommonJS: whatever of it was loaded is in require's cache.
      const { createRequire } = await import("node:module");
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(cache.filter((file) => file.includes("node_modules/undici/")).length);
      `,
      server.url("/f.bin"),
      dir,
      [],
      { PARGET_TRANSPORT: transport },
    );
    assert.equal(child.code, 0, child.stderr);
    assert.equal(Number(child.stdout.trim()) > 0, loads, child.stdout);
    await assertContent(path.join(dir, "f.bin"), "lazy", size);
  });
}
