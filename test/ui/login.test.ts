/**
 * The interface's login from outside, over plain HTTP: the secret becomes a cookie only through
 * a same-origin JSON POST, the cookie authorizes RPC like the secret, and logout voids it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { failureDelayMs } from "../../src/core/rpc-guard.js";
import { startTestDaemon } from "../daemon/support.js";

test("the login trades the secret for an HttpOnly SameSite=Strict cookie that logout voids", async (t) => {
  const d = await startTestDaemon(t);
  const base = `http://127.0.0.1:${d.daemon.port}`;
  const login = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/session`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const call = (cookie: string) =>
    fetch(`${base}/jsonrpc`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "aria2.getGlobalStat", params: [] }),
    }).then((r) => r.json() as Promise<{ result?: unknown; error?: unknown }>);

  assert.equal((await login(JSON.stringify({ secret: "wrong" }))).status, 401);
  assert.equal(
    (await login(JSON.stringify({ secret: d.daemon.secret }), { "content-type": "text/plain" }))
      .status,
    415,
    "a cross-site form or text/plain POST cannot log in",
  );
  assert.equal(
    (await login(JSON.stringify({ secret: d.daemon.secret }), { origin: "http://evil.example" }))
      .status,
    403,
  );
  const answer = await login(JSON.stringify({ secret: d.daemon.secret }));
  assert.equal(answer.status, 204);
  const setCookie = answer.headers.get("set-cookie")!;
  assert.match(setCookie, /; HttpOnly; SameSite=Strict; Path=\//);
  assert.ok(!setCookie.includes(d.daemon.secret));
  const cookie = setCookie.split(";")[0]!;

  assert.equal((await fetch(`${base}/session`, { headers: { cookie } })).status, 204);
  assert.ok((await call(cookie)).result, "the cookie authorizes RPC");
  assert.ok((await call(`${cookie.split("=")[0]}=1.forged.sig`)).error);

  const out = await fetch(`${base}/session/logout`, { method: "POST", headers: { cookie } });
  assert.match(out.headers.get("set-cookie")!, /Max-Age=0/);
  assert.equal((await fetch(`${base}/session`, { headers: { cookie } })).status, 401);
  assert.ok((await call(cookie)).error, "a logged-out cookie is refused");
});

test("a wrong secret given to the login is delayed and counted like one given to the RPC", async (t) => {
  const d = await startTestDaemon(t);
  const base = `http://127.0.0.1:${d.daemon.port}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  for (let attempt = 1; attempt <= 2; attempt++) {
    const started = performance.now();
    assert.equal((await post("/session", { secret: `guess-${attempt}` })).status, 401);
    const took = performance.now() - started;
    assert.ok(took >= failureDelayMs(attempt) - 5, `login ${attempt} answered in ${took} ms`);
  }
  // The RPC's next wrong secret is the third in a row from this address: one count for both.
  const started = performance.now();
  const wrong = await post(
    "/jsonrpc",
    { jsonrpc: "2.0", id: 1, method: "aria2.tellActive" },
    {
      authorization: "Bearer guess-3",
    },
  );
  assert.equal(wrong.status, 401);
  assert.ok(performance.now() - started >= failureDelayMs(3) - 5);
  const info = (await (
    await post(
      "/jsonrpc",
      { jsonrpc: "2.0", id: 1, method: "parget.getDaemonInfo" },
      { authorization: `Bearer ${d.daemon.secret}` },
    )
  ).json()) as { result: { failedAuthAttempts: string } };
  assert.equal(info.result.failedAuthAttempts, "3");
  assert.match(d.log.join("\n"), /wrong or missing secret from 127\.0\.0\.1/);
  assert.doesNotMatch(d.log.join("\n"), /guess/);
  // The right secret still gets in at once.
  assert.equal((await post("/session", { secret: d.daemon.secret })).status, 204);
});
