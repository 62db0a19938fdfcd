import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProxyUrl, proxyFor } from "../../src/core/proxy.js";
import { UsageError } from "../../src/errors.js";

const http = new URL("http://files.example.com/a");
const https = new URL("https://files.example.com/a");
const via = (url: URL, env: Record<string, string>, explicit?: string | null) =>
  proxyFor(url, env, explicit)?.href ?? null;

test("http uses lower-case http_proxy only, as curl does", () => {
  assert.equal(via(http, { http_proxy: "http://p:3128" }), "http://p:3128/");
  assert.equal(via(http, { HTTP_PROXY: "http://p:3128" }), null);
});

test("https uses https_proxy or HTTPS_PROXY; all_proxy is the fallback", () => {
  assert.equal(via(https, { HTTPS_PROXY: "p:8080" }), "http://p:8080/");
  assert.equal(via(https, { https_proxy: "http://a:1", HTTPS_PROXY: "http://b:2" }), "http://a:1/");
  assert.equal(via(https, { http_proxy: "http://p:1" }), null);
  assert.equal(via(https, { ALL_PROXY: "http://all:9" }), "http://all:9/");
  assert.equal(via(http, { all_proxy: "http://all:9" }), "http://all:9/");
});

test("no_proxy: hosts, domains, leading dots, IPs, CIDR and *", () => {
  const env = { https_proxy: "http://p:1" };
  const cases: [string, string, boolean][] = [
    ["https://files.example.com/", "example.com", true],
    ["https://files.example.com/", ".example.com", true],
    ["https://example.com/", "example.com", true],
    ["https://badexample.com/", "example.com", false],
    ["https://files.example.com/", "other.org, files.example.com", true],
    ["https://10.1.2.3/", "10.0.0.0/8", true],
    ["https://11.1.2.3/", "10.0.0.0/8", false],
    ["https://127.0.0.1/", "127.0.0.1", true],
    ["https://[::1]/", "::1", true],
    ["https://anything.test/", "*", true],
  ];
  for (const [url, noProxy, direct] of cases) {
    assert.equal(
      via(new URL(url), { ...env, NO_PROXY: noProxy }) === null,
      direct,
      `${url} / ${noProxy}`,
    );
  }
});

test("an explicit proxy wins over the environment, obeys no_proxy, and null means none", () => {
  assert.equal(via(https, { https_proxy: "http://env:1" }, "http://cli:2"), "http://cli:2/");
  assert.equal(via(https, { no_proxy: "example.com" }, "http://cli:2"), null);
  assert.equal(via(https, { https_proxy: "http://env:1" }, null), null);
});

test("proxy URLs: scheme defaults to http; others are refused", () => {
  assert.equal(parseProxyUrl("user:pw@proxy:3128").href, "http://user:pw@proxy:3128/");
  assert.throws(() => parseProxyUrl("socks5://p:1080"), UsageError);
  assert.throws(() => parseProxyUrl("http://"), UsageError);
});
