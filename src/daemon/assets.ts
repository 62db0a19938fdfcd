/**
 * The web interface, served on the daemon's own origin: its built files (scripts/build-ui.mjs
 * writes them to dist/www/), and its login (session.ts). The page is a client of the public RPC
 * like any other; what it adds here is only how a browser proves the secret without keeping it.
 *
 *   GET  /                 the page (no-cache), or a plain note when the UI was not built
 *   GET  /assets/NAME      bundled script and style, named by content hash (cached for a year)
 *   GET  /session          204 when the session cookie is valid, 401 otherwise
 *   POST /session          {"secret": "..."} as application/json: sets the session cookie
 *   POST /session/logout   clears and revokes it
 *
 * POSTs reach here only past the server's gate (Host allowlist, Origin check).
 */
import { readFile, readdir } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { isJsonContentType } from "../core/rpc-guard.js";
import { secretMatches } from "./secret.js";
import {
  SESSION_MAX_AGE_S,
  cookieName,
  issueSession,
  readCookie,
  revokeSession,
  sessionValid,
} from "./session.js";

/** The page may load only its own files and talk only to its own origin, and is never framed. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

interface Asset {
  body: Buffer;
  type: string;
}

let loaded: Promise<Map<string, Asset> | undefined> | undefined;

/** dist/www, seen from the bundled CLI's chunk (dist/chunks/) or the compiled tree (dist/src/daemon). */
async function load(): Promise<Map<string, Asset> | undefined> {
  for (const relative of ["../www/", "../../www/"]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    const names = await readdir(dir, { recursive: true }).catch(() => undefined);
    if (names === undefined || !names.includes("index.html")) continue;
    const files = new Map<string, Asset>();
    for (const name of names) {
      const type = TYPES[name.slice(name.lastIndexOf("."))];
      if (type === undefined) continue;
      files.set(`/${name.split("\\").join("/")}`, { body: await readFile(dir + name), type });
    }
    return files;
  }
  return undefined;
}

/**
 * The server's count of wrong secrets: a login's wrong secret is delayed and counted like one
 * sent to the RPC (server.ts), in the same count (getDaemonInfo's failedAuthAttempts).
 */
export interface SecretFailures {
  /** Resolves when the refusal may be sent: "now" means too many are held, close at once. */
  wrong(address: string, n: number): Promise<"late" | "now">;
  right(address: string): void;
}

/** Whether the request carries a valid session cookie: then it is authorized like a Bearer. */
export function sessionAuthorized(req: IncomingMessage, secret: string): boolean {
  const port = req.socket.localPort ?? 0;
  return sessionValid(secret, readCookie(req.headers.cookie, cookieName(port)), Date.now());
}

/** Answers the page, its files and its login; false when `path` is none of them. */
export async function serveUi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  secret: string,
  failures: SecretFailures,
): Promise<boolean> {
  const get = req.method === "GET" || req.method === "HEAD";
  if (path === "/session") {
    if (get) {
      res.writeHead(sessionAuthorized(req, secret) ? 204 : 401).end();
      return true;
    }
    if (req.method === "POST") await login(req, res, secret, failures);
    else res.writeHead(405, { allow: "GET, POST" }).end();
    return true;
  }
  if (path === "/session/logout") {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return true;
    }
    const name = cookieName(req.socket.localPort ?? 0);
    const value = readCookie(req.headers.cookie, name);
    if (value !== undefined) revokeSession(value);
    res
      .writeHead(204, { "set-cookie": `${name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` })
      .end();
    return true;
  }
  if (!get || !(path === "/" || path === "/index.html" || path.startsWith("/assets/"))) {
    return false;
  }
  loaded ??= load();
  const files = await loaded;
  const asset = files?.get(path === "/" ? "/index.html" : path);
  if (files === undefined) return false;
  if (asset === undefined) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    return true;
  }
  const page = path === "/" || path === "/index.html";
  res.writeHead(200, {
    "content-type": asset.type,
    "content-length": asset.body.length,
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // The page names its assets by content hash: it is revalidated, they never change.
    "cache-control": page ? "no-cache" : "public, max-age=31536000, immutable",
  });
  res.end(req.method === "HEAD" ? undefined : asset.body);
  return true;
}

async function login(
  req: IncomingMessage,
  res: ServerResponse,
  secret: string,
  failures: SecretFailures,
): Promise<void> {
  if (!isJsonContentType(req.headers["content-type"])) {
    req.resume();
    res.writeHead(415, { "content-type": "text/plain; charset=utf-8" }).end("send JSON\n");
    return;
  }
  let text = "";
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString("utf8");
    if (text.length > 4096) {
      res.writeHead(413, { connection: "close" }).end();
      return;
    }
  }
  let given: unknown;
  try {
    given = (JSON.parse(text) as { secret?: unknown }).secret;
  } catch {
    given = undefined;
  }
  const address = req.socket.remoteAddress ?? "unknown";
  if (typeof given !== "string" || !secretMatches(secret, given)) {
    if ((await failures.wrong(address, 1)) === "now") {
      res
        .writeHead(429, { "content-type": "text/plain; charset=utf-8", connection: "close" })
        .end("too many wrong secrets at once; try again later\n");
      return;
    }
    res.writeHead(401, { "content-type": "text/plain; charset=utf-8" }).end("wrong secret\n");
    return;
  }
  failures.right(address);
  const name = cookieName(req.socket.localPort ?? 0);
  const value = issueSession(secret, Date.now());
  res
    .writeHead(204, {
      "set-cookie": `${name}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MAX_AGE_S}`,
    })
    .end();
}
