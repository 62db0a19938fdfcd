import assert from "node:assert/strict";
import { test } from "node:test";
import {
  confine,
  failureDelayMs,
  hostAllowed,
  hostName,
  isJsonContentType,
  isLoopbackAddress,
  originAllowed,
} from "../../src/core/rpc-guard.js";

test("Host: loopback names and configured ones only (what stops DNS rebinding)", () => {
  const cases: [string | undefined, string[], boolean][] = [
    ["localhost:6800", [], true],
    ["LOCALHOST", [], true],
    ["127.0.0.1:6800", [], true],
    ["127.5.6.7", [], true],
    ["[::1]:6800", [], true],
    ["::1", [], true],
    ["evil.example:6800", [], false],
    ["localhost.evil.example", [], false],
    ["127.0.0.1.evil.example", [], false],
    ["sub.localhost", [], false],
    ["0.0.0.0:6800", [], false],
    ["192.168.1.5:6800", [], false],
    ["nas.lan:6800", ["nas.lan"], true],
    ["[::1]x", [], false],
    ["localhost:port", [], false],
    ["", [], false],
    [undefined, [], false],
  ];
  for (const [host, extra, allowed] of cases) {
    assert.equal(hostAllowed(host, extra), allowed, String(host));
  }
  assert.equal(hostName("[fe80::1]:80"), "fe80::1");
  assert.equal(isLoopbackAddress("127.0.0.1"), true);
  assert.equal(isLoopbackAddress("::1"), true);
  assert.equal(isLoopbackAddress("0.0.0.0"), false);
});

test("Origin: none (not a browser), the daemon's own, or one the user allowed", () => {
  const policy = { port: 6800, hosts: ["nas.lan"], origins: ["https://ui.example", "null"] };
  const cases: [string | undefined, boolean][] = [
    [undefined, true],
    ["http://127.0.0.1:6800", true],
    ["http://localhost:6800", true],
    ["http://nas.lan:6800", true],
    ["https://ui.example", true],
    ["null", true],
    ["http://127.0.0.1:8080", false],
    ["http://localhost", false],
    ["https://127.0.0.1:6800", false],
    ["https://evil.example", false],
    ["http://evil.example:6800", false],
    ["not a url", false],
  ];
  for (const [origin, allowed] of cases) {
    assert.equal(originAllowed(origin, policy), allowed, String(origin));
  }
  assert.equal(originAllowed("null", { ...policy, origins: [] }), false);
});

test("only JSON bodies: what a cross-site form or simple request cannot send", () => {
  assert.equal(isJsonContentType("application/json"), true);
  assert.equal(isJsonContentType("Application/JSON; charset=utf-8"), true);
  for (const type of [
    undefined,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/jsonx",
  ]) {
    assert.equal(isJsonContentType(type), false, String(type));
  }
});

test("a wrong secret waits longer each time, up to 2 s", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 100].map(failureDelayMs),
    [0, 100, 200, 400, 800, 1600, 2000, 2000, 2000],
  );
});

test("paths from RPC resolve inside the root", () => {
  const root = "/srv/dl";
  assert.deepEqual(confine(root), { dir: root, out: undefined });
  assert.deepEqual(confine(root, "a/b", "c/d.bin"), { dir: "/srv/dl/a/b", out: "c/d.bin" });
  assert.deepEqual(confine(root, "/srv/dl/x"), { dir: "/srv/dl/x", out: undefined });
  assert.deepEqual(confine(root, "/srv/dl"), { dir: root, out: undefined });
  assert.deepEqual(confine(root, "./a//b/"), { dir: "/srv/dl/a/b", out: undefined });
  for (const [dir, out] of [
    ["..", undefined],
    ["a/../..", undefined],
    ["/srv/dl2", undefined],
    ["/srv/dl/../etc", undefined],
    ["/etc", undefined],
    ["a\0b", undefined],
    [undefined, "../x"],
    [undefined, "/etc/passwd"],
    [undefined, "a\\..\\x"],
    [undefined, "dir/"],
    [undefined, "C:/x"],
  ] as const) {
    assert.throws(() => confine(root, dir, out), /./, `${dir} ${out}`);
  }
});
