import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { download } from "../../src/index.js";
import { assertContent, generated, listing, MiB, tempDir } from "./fixtures.js";
import { serve } from "../helpers/server.js";
import { TEST_TLS } from "../helpers/tls.js";
import { forwardProxy } from "../helpers/proxy.js";

const SIZE = 3 * MiB + 7;

test("https: a self-signed certificate is refused by default, at once, with nothing written", async (t) => {
  const server = await serve(t, { tls: TEST_TLS, files: { "/f.bin": generated("tls", SIZE) } });
  const dir = await tempDir(t);
  await assert.rejects(
    download(server.url("/f.bin"), { dir, retries: 5 }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, "PARGET_NETWORK");
      assert.match(error.message, /--ca-certificate/);
      return true;
    },
  );
  assert.equal(server.stats.requests, 0);
  assert.deepEqual(await listing(dir), []);
});

test("https: an added CA is trusted; --insecure skips verification", async (t) => {
  const server = await serve(t, { tls: TEST_TLS, files: { "/f.bin": generated("tls", SIZE) } });
  for (const trust of [{ caCertificates: [TEST_TLS.cert] }, { insecure: true }]) {
    const dir = await tempDir(t);
    const result = await download(server.url("/f.bin"), {
      dir,
      connections: 4,
      minSplitSize: 256 * 1024,
      ...trust,
    });
    assert.equal(result.ranges, true);
    await assertContent(path.join(dir, "f.bin"), "tls", SIZE);
  }
});

test("http through a proxy: absolute-form requests, all of them via the proxy", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("proxied", SIZE) } });
  const proxy = await forwardProxy(t);
  const dir = await tempDir(t);
  await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    minSplitSize: 256 * 1024,
    proxy: proxy.url,
  });
  await assertContent(path.join(dir, "f.bin"), "proxied", SIZE);
  assert.equal(proxy.log.length, server.stats.requests);
  assert.ok(
    proxy.log.every((line) => line.startsWith(`GET ${server.url("/f.bin")}`)),
    proxy.log.join("\n"),
  );
});

test("https through a proxy: a CONNECT tunnel, with the target's certificate still verified", async (t) => {
  const server = await serve(t, { tls: TEST_TLS, files: { "/f.bin": generated("tunnel", SIZE) } });
  const proxy = await forwardProxy(t);
  const dir = await tempDir(t);
  await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    minSplitSize: 256 * 1024,
    proxy: proxy.url,
    caCertificates: [TEST_TLS.cert],
  });
  await assertContent(path.join(dir, "f.bin"), "tunnel", SIZE);
  assert.ok(proxy.log.length >= 1);
  assert.ok(
    proxy.log.every((line) => line === `CONNECT 127.0.0.1:${server.port}`),
    proxy.log.join("\n"),
  );
  const untrusted = await tempDir(t);
  await assert.rejects(download(server.url("/f.bin"), { dir: untrusted, proxy: proxy.url }), {
    code: "PARGET_NETWORK",
  });
});

test("the environment's proxy is used unless no_proxy names the host; proxy: null goes direct", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("env", SIZE) } });
  const proxy = await forwardProxy(t);
  const saved = { http_proxy: process.env["http_proxy"], no_proxy: process.env["no_proxy"] };
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  process.env["http_proxy"] = proxy.url;
  delete process.env["no_proxy"];
  await download(server.url("/f.bin"), { dir: await tempDir(t), connections: 2 });
  const viaProxy = proxy.log.length;
  assert.ok(viaProxy >= 1);
  await download(server.url("/f.bin"), { dir: await tempDir(t), connections: 2, proxy: null });
  process.env["no_proxy"] = "127.0.0.1";
  await download(server.url("/f.bin"), { dir: await tempDir(t), connections: 2 });
  assert.equal(proxy.log.length, viaProxy);
});
