/**
 * The attacks a web page can make on a daemon on loopback, made by a real browser (Debian's
 * chromium, driven by playwright-core), with the real secret in hand so that only the gate can
 * stop them:
 * - a cross-site page (a foreign name mapped to 127.0.0.1 with --host-resolver-rules) posting
 *   text/plain (no preflight), posting JSON (preflight), and opening a WebSocket;
 * - DNS rebinding: a page whose name first led to the attacker's server and then to the daemon
 *   (a proxy plays the rebinding resolver), calling the daemon as its own origin.
 * Each must leave the queue empty. Skipped where chromium is not installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { test, type TestContext } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { startTestDaemon, type TestDaemon } from "./support.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

async function listen(
  t: TestContext,
  handler: http.RequestListener,
  onConnect?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<number> {
  const server = http.createServer(handler);
  if (onConnect) server.on("connect", onConnect);
  const sockets = new Set<Duplex>();
  server.on("connection", (socket: Duplex) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Tunnels and kept-alive connections included: close() waits for every one to end.
    for (const socket of sockets) socket.destroy();
    await closed;
  });
  return (server.address() as AddressInfo).port;
}

async function launch(t: TestContext, args: string[]): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM!,
    // No update checks or other background traffic through the test's proxy.
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      ...args,
    ],
  });
  t.after(() => browser.close());
  return browser;
}

/** The attacker's script: each attempt's outcome, as far as the page can tell. */
function attackPage(daemonBase: string, secret: string): string {
  const call = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "aria2.addUri",
    params: [`token:${secret}`, ["http://127.0.0.1:9/x"], { out: "pwned" }],
  });
  return `<!doctype html><script>
    const call = ${JSON.stringify(call)};
    const base = ${JSON.stringify(daemonBase)};
    async function attempt(run) {
      try { return await run(); } catch (error) { return "failed: " + error.name; }
    }
    window.attacks = (async () => ({
      textPlain: await attempt(async () => {
        const r = await fetch(base + "/jsonrpc", { method: "POST", mode: "no-cors", body: call,
          headers: { "Content-Type": "text/plain" } });
        return r.type === "opaque" ? "sent, unreadable" : String(r.status);
      }),
      json: await attempt(async () => {
        const r = await fetch(base + "/jsonrpc", { method: "POST", body: call,
          headers: { "Content-Type": "application/json" } });
        return String(r.status) + " " + (await r.text()).slice(0, 80);
      }),
      webSocket: await new Promise((resolve) => {
        const ws = new WebSocket(base.replace("http", "ws") + "/jsonrpc");
        ws.onopen = () => { ws.send(call); ws.onmessage = (m) => resolve("answered: " + m.data); };
        ws.onerror = () => resolve("refused");
      }),
    }))();
  </script>`;
}

async function queueSize(d: TestDaemon): Promise<number> {
  const { active, waiting, stopped } = {
    active: 0,
    waiting: 0,
    stopped: 0,
    ...(
      await fetch(d.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "aria2.getGlobalStat",
          params: [`token:${d.daemon.secret}`],
        }),
      }).then((r) => r.json() as Promise<{ result: Record<string, string> }>)
    ).result,
  };
  return Number(active) + Number(waiting) + Number(stopped);
}

test("a cross-site page cannot call the daemon, even holding the secret", async (t) => {
  if (!CHROMIUM) return t.skip("chromium is not installed");
  const d = await startTestDaemon(t);
  const daemonBase = `http://127.0.0.1:${d.daemon.port}`;
  const attacker = await listen(t, (_req, res) => {
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(attackPage(daemonBase, d.daemon.secret));
  });
  const browser = await launch(t, ["--host-resolver-rules=MAP evil.test 127.0.0.1"]);
  const page = await browser.newPage();
  await page.goto(`http://evil.test:${attacker}/`);
  const attacks = (await page.evaluate("window.attacks")) as Record<string, string>;
  // The text/plain POST reached the daemon (a browser sends it without asking) and was refused
  // there; the JSON one died at its preflight; the WebSocket upgrade was refused.
  assert.equal(attacks.textPlain, "sent, unreadable");
  assert.equal(attacks.json, "failed: TypeError");
  assert.equal(attacks.webSocket, "refused");
  assert.equal(await queueSize(d), 0);
});

test("DNS rebinding: a page whose name now leads to the daemon is refused by Host", async (t) => {
  if (!CHROMIUM) return t.skip("chromium is not installed");
  const d = await startTestDaemon(t);
  const origin = `http://rebind.test:${d.daemon.port}`;
  // The rebinding resolver, as a proxy: the name's first answer is the attacker's page; every
  // later request goes to the daemon, Host header and all, as after the DNS record changed.
  let served = false;
  const tunnels = new Set<net.Socket>();
  const proxy = await listen(
    t,
    (req, res) => {
      const url = new URL(req.url!);
      if (!served && url.pathname === "/") {
        served = true;
        res
          .writeHead(200, { "content-type": "text/html" })
          .end(attackPage(origin, d.daemon.secret));
        return;
      }
      const forward = http.request(
        {
          host: "127.0.0.1",
          port: d.daemon.port,
          method: req.method,
          path: url.pathname + url.search,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      req.pipe(forward);
    },
    // A WebSocket goes through the proxy as a tunnel: to the daemon too.
    (_req, socket, head) => {
      const upstream = net.connect(d.daemon.port, "127.0.0.1", () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      tunnels.add(upstream);
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    },
  );
  t.after(() => {
    for (const tunnel of tunnels) tunnel.destroy();
  });
  const browser = await launch(t, [`--proxy-server=http://127.0.0.1:${proxy}`]);
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  const attacks = (await page.evaluate("window.attacks")) as Record<string, string>;
  // Same-origin now, so the browser itself stops nothing: the daemon's Host check does.
  assert.match(attacks.json!, /^421 /);
  assert.equal(attacks.webSocket, "refused");
  assert.equal(await queueSize(d), 0);
});
