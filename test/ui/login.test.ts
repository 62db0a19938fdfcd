/**
 * The interface's login from outside, over plain HTTP: the secret becomes a cookie only through
 * a same-origin JSON POST, the cookie authorizes RPC like the secret, and logout voids it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
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
