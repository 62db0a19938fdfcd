/**
 * The daemon's refusals, tried from outside with raw HTTP and WebSocket requests: no or a wrong
 * secret, a foreign Host (DNS rebinding), a foreign Origin (a cross-site page), a body that is
 * not application/json, RPC over GET, an oversized body, paths leading out of the root, an
 * existing file, a secret file others may read, and a listen beyond loopback.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import WebSocket from "ws";
import { startDaemon } from "../../src/daemon/index.js";
import { failureDelayMs } from "../../src/core/rpc-guard.js";
import { generated, KiB } from "../download/fixtures.js";
import { serve } from "../helpers/server.js";
import { Client, startTestDaemon, type TestDaemon } from "./support.js";

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to the daemon, headers as given (Host included). */
function request(
  d: TestDaemon,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: d.daemon.port,
        method: options.method ?? "POST",
        path: options.path ?? "/jsonrpc",
        headers: {
          host: `127.0.0.1:${d.daemon.port}`,
          "content-type": "application/json",
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function call(method: string, params: unknown[] = []): string {
  return JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
}

function rpc(reply: Reply): { result?: unknown; error?: { code: number; message: string } } {
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body) as { result?: unknown; error?: { code: number; message: string } };
}

/** A WebSocket upgrade with these headers: the status it was refused with, or "open". */
function upgrade(d: TestDaemon, headers: Record<string, string>): Promise<number | "open"> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${d.daemon.port}/jsonrpc`, { headers });
    ws.on("open", () => {
      ws.close();
      resolve("open");
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

test("every call needs the secret: as token: or as a Bearer header, and a wrong one is refused", async (t) => {
  const d = await startTestDaemon(t);
  const secret = d.daemon.secret;
  assert.deepEqual(rpc(await request(d, { body: call("aria2.getGlobalStat") })).error, {
    code: 1,
    message: "Unauthorized",
  });
  assert.equal(
    rpc(await request(d, { body: call("aria2.getGlobalStat", ["token:wrong"]) })).error?.message,
    "Unauthorized",
  );
  assert.equal(
    rpc(await request(d, { body: call("aria2.getGlobalStat", [`token:${secret}`]) })).result !==
      undefined,
    true,
  );
  const bearer = await request(d, {
    body: call("aria2.getGlobalStat"),
    headers: { authorization: `Bearer ${secret}` },
  });
  assert.equal(typeof (rpc(bearer).result as { numActive: string }).numActive, "string");
  const wrongBearer = await request(d, {
    body: call("aria2.getGlobalStat"),
    headers: { authorization: "Bearer nope" },
  });
  assert.equal(wrongBearer.status, 401);
  // A WebSocket needs it too: an unauthorized socket hears no notifications and gets no answers.
  assert.equal(await upgrade(d, { authorization: "Bearer nope" }), 401);
  // aria2 lets anyone list its methods; parget does too, and nothing more.
  assert.ok(Array.isArray(rpc(await request(d, { body: call("system.listMethods") })).result));
});

test("wrong secrets are answered later each time and counted; the right one still gets in", async (t) => {
  const d = await startTestDaemon(t);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const started = performance.now();
    const reply = await request(d, { body: call("aria2.tellActive", ["token:guess"]) });
    assert.equal(rpc(reply).error?.message, "Unauthorized");
    const took = performance.now() - started;
    assert.ok(took >= failureDelayMs(attempt) - 5, `attempt ${attempt} answered in ${took} ms`);
  }
  const info = rpc(
    await request(d, { body: call("parget.getDaemonInfo", [`token:${d.daemon.secret}`]) }),
  );
  assert.equal((info.result as { failedAuthAttempts: string }).failedAuthAttempts, "3");
  assert.match(d.log.join("\n"), /wrong or missing secret from 127\.0\.0\.1/);
  // Never printed: the log names the address, not what was tried.
  assert.doesNotMatch(d.log.join("\n"), /guess/);
});

test("a foreign Host is refused with 421 (DNS rebinding), on requests and upgrades", async (t) => {
  const d = await startTestDaemon(t);
  const token = `token:${d.daemon.secret}`;
  for (const host of [`localhost:${d.daemon.port}`, `127.0.0.1:${d.daemon.port}`, "[::1]"]) {
    const reply = await request(d, { body: call("aria2.getVersion", [token]), headers: { host } });
    assert.equal(reply.status, 200, host);
  }
  for (const host of [`evil.example:${d.daemon.port}`, "192.168.1.10", "localhost.evil.example"]) {
    const reply = await request(d, { body: call("aria2.getVersion", [token]), headers: { host } });
    assert.equal(reply.status, 421, host);
    assert.equal(await upgrade(d, { host }), 421, host);
  }
  const get = await request(d, { method: "GET", path: "/", headers: { host: "evil.example" } });
  assert.equal(get.status, 421);
});

test("a cross-site page is refused: foreign Origin, text/plain bodies, GET-based RPC", async (t) => {
  const d = await startTestDaemon(t);
  const token = `token:${d.daemon.secret}`;
  const body = call("aria2.getVersion", [token]);
  const evil = { origin: "https://evil.example" };
  assert.equal((await request(d, { body, headers: evil })).status, 403);
  assert.equal(await upgrade(d, evil), 403);
  assert.equal(await upgrade(d, { origin: "null" }), 403);
  // The daemon's own origin (a page it serves) may call, and a client with no Origin may.
  const own = { origin: `http://127.0.0.1:${d.daemon.port}` };
  assert.equal((await request(d, { body, headers: own })).status, 200);
  assert.equal(await upgrade(d, own), "open");
  assert.equal(await upgrade(d, {}), "open");
  // Another port on this machine is another site.
  const otherPort = { origin: `http://127.0.0.1:${d.daemon.port + 1}` };
  assert.equal((await request(d, { body, headers: otherPort })).status, 403);
  // A form or fetch without a preflight can send these; they never reach a method.
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
    const reply = await request(d, { body, headers: { "content-type": type } });
    assert.equal(reply.status, 415, type);
  }
  const params = encodeURIComponent(Buffer.from(JSON.stringify([token])).toString("base64"));
  const jsonp = await request(d, {
    method: "GET",
    path: `/jsonrpc?method=aria2.getVersion&id=1&params=${params}&jsoncallback=f`,
  });
  assert.equal(jsonp.status, 405);
  const big = await request(d, { body: `[${" ".repeat(1024 * KiB)}]` });
  assert.equal(big.status, 413);
});

test("an allowed origin, given by the user, may call", async (t) => {
  const d = await startTestDaemon(t, { allowOrigins: ["https://ui.example"] });
  const reply = await request(d, {
    body: call("aria2.getVersion", [`token:${d.daemon.secret}`]),
    headers: { origin: "https://ui.example" },
  });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers["access-control-allow-origin"], "https://ui.example");
  assert.equal(await upgrade(d, { origin: "https://ui.example" }), "open");
});

test("paths from RPC stay inside the root: .., absolute paths elsewhere, and links are refused", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("f", 64 * KiB) } });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);
  const url = server.url("/f.bin");
  for (const options of [
    { dir: "../outside" },
    { dir: "/etc" },
    { dir: `${d.root}/../state` },
    { out: "../escape.bin" },
    { out: "/tmp/escape.bin" },
    { out: "a/../../escape.bin" },
    { dir: "sub", out: "../../escape.bin" },
  ]) {
    await assert.rejects(
      client.call("addUri", [url], options),
      /root|inside|absolute|\.\./,
      JSON.stringify(options),
    );
  }
  // A link inside the root that points out of it: refused when the download starts.
  const outside = path.join(path.dirname(d.root), "outside");
  await mkdir(outside);
  await symlink(outside, path.join(d.root, "link"));
  const linked = await client.call<string>("addUri", [url], { dir: "link" });
  await client.next("onDownloadError", linked);
  const status = await client.call<Record<string, string>>("tellStatus", linked);
  assert.match(status.errorMessage!, /outside the download root/);
  await assert.rejects(stat(path.join(outside, "f.bin")), { code: "ENOENT" });
  // An absolute dir inside the root is fine.
  const inside = await client.call<string>("addUri", [url], { dir: path.join(d.root, "in") });
  await client.next("onDownloadComplete", inside);
  assert.equal((await stat(path.join(d.root, "in", "f.bin"))).size, 64 * KiB);
});

test("an existing file is not overwritten unless allow-overwrite says so", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("f", 64 * KiB) } });
  const d = await startTestDaemon(t);
  const client = await Client.open(d);
  const existing = path.join(d.root, "keep.bin");
  await writeFile(existing, "mine");
  const gid = await client.call<string>("addUri", [server.url("/f.bin")], { out: "keep.bin" });
  await client.next("onDownloadError", gid);
  const status = await client.call<Record<string, string>>("tellStatus", gid, ["errorCode"]);
  assert.equal(status.errorCode, "13");
  assert.equal(await readFile(existing, "utf8"), "mine");
  const again = await client.call<string>("addUri", [server.url("/f.bin")], {
    out: "keep.bin",
    "allow-overwrite": "true",
  });
  await client.next("onDownloadComplete", again);
  assert.equal((await stat(existing)).size, 64 * KiB);
});

test("the secret file is made owner-only; one others may read is refused", async (t) => {
  const d = await startTestDaemon(t);
  const mode = (await stat(d.daemon.secretPath)).mode & 0o777;
  assert.equal(mode, 0o600);
  assert.ok(d.daemon.secret.length >= 22, "at least 128 bits");
  await d.daemon.stop();
  await chmod(d.daemon.secretPath, 0o644);
  await assert.rejects(
    startDaemon({ root: d.root, stateDir: d.stateDir, port: 0 }),
    /may be read by others/,
  );
});

test("listening beyond loopback says so, and still needs the secret and an allowed Host", async (t) => {
  const address = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i?.family === "IPv4" && !i.internal)?.address;
  if (address === undefined) {
    t.skip("no non-loopback IPv4 address on this machine");
    return;
  }
  const d = await startTestDaemon(t, { host: address });
  assert.match(d.log.join("\n"), /beyond this machine/);
  const ask = (host: string, params: unknown[]): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: address,
          port: d.daemon.port,
          method: "POST",
          path: "/jsonrpc",
          headers: { host, "content-type": "application/json" },
          agent: false,
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      req.end(call("aria2.getVersion", params));
    });
  // Its own address is not a configured name: refused as a rebinding would be.
  assert.equal(
    (await ask(`${address}:${d.daemon.port}`, [`token:${d.daemon.secret}`])).status,
    421,
  );
  const noSecret = await ask(`localhost:${d.daemon.port}`, []);
  assert.equal(rpc(noSecret).error?.message, "Unauthorized");
});

test("one daemon per state directory; a stopped one lets the next in", async (t) => {
  const d = await startTestDaemon(t);
  await assert.rejects(
    startDaemon({ root: d.root, stateDir: d.stateDir, port: 0 }),
    /another parget daemon/,
  );
  await d.daemon.stop();
  const next = await startDaemon({ root: d.root, stateDir: d.stateDir, port: 0 });
  await next.stop();
});

test("many wrong secrets at once: some are held back, the rest refused at once; the right one gets in meanwhile", async (t) => {
  const d = await startTestDaemon(t);
  let pending = 0;
  // More than are ever held at once: past the sixth, each is held 2 s, longer than they take
  // to arrive, so the later ones find the hold full.
  const guesses = Array.from({ length: 40 }, async () => {
    pending++;
    try {
      return (await request(d, { body: call("aria2.getVersion", ["token:guess"]) })).status;
    } finally {
      pending--;
    }
  });
  const right = rpc(
    await request(d, { body: call("aria2.getVersion", [`token:${d.daemon.secret}`]) }),
  );
  assert.equal(typeof (right.result as { version: string }).version, "string");
  assert.ok(pending > 0, "the right secret was answered while wrong ones were still held");
  const statuses = await Promise.all(guesses);
  // Held ones answer 200 with JSON-RPC's Unauthorized; those past the hold are refused with 429.
  assert.ok(statuses.includes(429), `statuses: ${statuses.join(",")}`);
  assert.ok(
    statuses.every((s) => s === 200 || s === 429),
    `statuses: ${statuses.join(",")}`,
  );
});
