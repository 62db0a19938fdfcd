/**
 * Credentials and secrets in URLs: userinfo authenticates (and never follows a redirect to
 * another origin), nothing secret is printed or kept in the state file, a fresh presigned URL
 * resumes, and a refusal carries the server's own reason.
 */
import { LEDGER_NAME } from "../../src/core/ledger.js";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { download, HttpStatusError, type DownloadOptions } from "../../src/index.js";
import { generateContent } from "../../src/server/content.js";
import { serve } from "../helpers/server.js";
import { assertContent, Events, generated, KiB, MiB, rejectsWith, tempDir } from "./fixtures.js";

const SIZE = 512 * KiB;

interface Seen {
  url: string;
  authorization: string | undefined;
}

/**
 * A tiny origin server: `handle` answers first (a redirect, a refusal); otherwise it serves
 * `seed`'s bytes with ranges, to requests whose Authorization is `expect` (when set). It records
 * each request's target and Authorization.
 */
async function origin(
  t: TestContext,
  options: {
    seed?: string;
    expect?: string;
    handle?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  } = {},
): Promise<{ base: string; seen: Seen[] }> {
  const content = generateContent(options.seed ?? "credentials", 0, SIZE);
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
    if (options.handle?.(req, res)) return;
    if (options.expect !== undefined && req.headers.authorization !== options.expect) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="test"', "content-length": "0" });
      res.end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (!range) {
      res.writeHead(200, { "content-length": String(SIZE), etag: '"v1"' }).end(content);
      return;
    }
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), SIZE - 1) : SIZE - 1;
    res.writeHead(206, {
      "content-length": String(end - start + 1),
      "content-range": `bytes ${start}-${end}/${SIZE}`,
      etag: '"v1"',
    });
    res.end(content.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, seen };
}

const basic = (credentials: string): string =>
  `Basic ${Buffer.from(credentials).toString("base64")}`;

function options(dir: string, extra: DownloadOptions = {}): DownloadOptions {
  return { dir, connections: 4, minSplitSize: 16 * KiB, retries: 1, ...extra };
}

test("userinfo authenticates every request as Basic, percent-decoded, never on the request line", async (t) => {
  const { base, seen } = await origin(t, { expect: basic("user:p@ss") });
  const dir = await tempDir(t);
  const result = await download(`${base.replace("//", "//user:p%40ss@")}/f.bin`, options(dir));
  await assertContent(result.path, "credentials", SIZE);
  assert.ok(seen.length > 1, "ranges went over several requests");
  for (const request of seen) {
    assert.equal(request.url, "/f.bin");
    assert.equal(request.authorization, basic("user:p@ss"));
  }
});

test("a user's own Authorization header wins over the URL's userinfo", async (t) => {
  const { base, seen } = await origin(t, { expect: "Bearer mine" });
  const dir = await tempDir(t);
  const url = `${base.replace("//", "//user:pass@")}/f.bin`;
  await download(url, options(dir, { headers: { Authorization: "Bearer mine" } }));
  assert.ok(seen.every((request) => request.authorization === "Bearer mine"));
});

test("Basic credentials follow a redirect within the origin, never to another one", async (t) => {
  const other = await origin(t);
  const { base, seen } = await origin(t, {
    expect: basic("user:pass"),
    handle: (req, res) => {
      if (req.headers.authorization !== basic("user:pass")) return false;
      const to = req.url === "/old" ? "/moved" : req.url === "/moved" ? `${other.base}/f.bin` : "";
      if (!to) return false;
      res.writeHead(302, { location: to, "content-length": "0" }).end();
      return true;
    },
  });
  const dir = await tempDir(t);
  const result = await download(`${base.replace("//", "//user:pass@")}/old`, options(dir));
  await assertContent(result.path, "credentials", SIZE);
  assert.deepEqual(
    seen.map((request) => [request.url, request.authorization]),
    [
      ["/old", basic("user:pass")],
      ["/moved", basic("user:pass")],
    ],
  );
  assert.ok(other.seen.length > 1);
  assert.ok(other.seen.every((request) => request.authorization === undefined));
  assert.equal(result.finalUrl, `${other.base}/f.bin`);
});

const SIGNED =
  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASECRETKEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
  "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host" +
  "&X-Amz-Security-Token=SESSIONSECRET&X-Amz-Signature=";

/** A presigned-looking URL with userinfo; parget's server ignores both. */
const presigned = (base: string, signature: string, file = "/f.bin"): string =>
  `${base.replace("//", "//user:hunter2@")}${file}?${SIGNED}${signature}`;

const SECRETS = /hunter2|AKIASECRETKEY|SESSIONSECRET|sigaaaa|sigbbbb/;

test("nothing secret reaches an event, a retry's reason, the result or an error", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": generated("presigned", SIZE, {
        faults: [{ kind: "status", status: 503, which: "range", times: 1 }],
      }),
    },
  });
  const base = server.url("/").replace(/\/$/, "");
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(
    presigned(base, "sigaaaa"),
    options(dir, { onEvent: events.onEvent, retries: 3 }),
  );
  assert.ok(events.of("retry").length > 0, "the 503 caused a retry");
  assert.match(events.of("retry")[0]!.reason, /X-Amz-Signature=REDACTED/);
  const shown = JSON.stringify({ events: events.all, result });
  assert.doesNotMatch(shown, SECRETS);
  assert.match(result.url, /X-Amz-Credential=REDACTED&X-Amz-Date=20260101T000000Z/);

  const error = await rejectsWith(
    download(presigned(base, "sigaaaa", "/missing.bin"), options(dir)),
    "PARGET_HTTP_STATUS",
    5,
  );
  assert.doesNotMatch(error.message, SECRETS);
  assert.match(error.message, /^HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/missing\.bin\?X-Amz/);
});

const BIG = 2 * MiB;

/** Starts a throttled download of BIG bytes and aborts it once a quarter is on disk. */
async function abortPartWay(url: string, dir: string): Promise<void> {
  const controller = new AbortController();
  let written = 0;
  const first = download(url, {
    ...options(dir),
    progressIntervalMs: 20,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === "progress" && event.bytes >= BIG / 4 && !controller.signal.aborted) {
        written = event.bytes;
        controller.abort();
      }
    },
  });
  await rejectsWith(first, "PARGET_ABORTED", 1);
  assert.ok(written > 0 && written < BIG, `aborted at ${written}`);
}

test("a fresh presigned URL for the same object resumes; the state holds no secret and is private", async (t) => {
  const server = await serve(t, {
    ratePerConnection: 512 * KiB,
    files: { "/f.bin": generated("presigned", BIG) },
  });
  const base = server.url("/").replace(/\/$/, "");
  const dir = await tempDir(t);
  await abortPartWay(presigned(base, "sigaaaa"), dir);

  const state = path.join(dir, "f.bin.parget.state");
  assert.equal((await stat(state)).mode & 0o777, 0o600);
  const text = await readFile(state, "utf8");
  assert.doesNotMatch(text, SECRETS);
  assert.equal((JSON.parse(text) as { url: string }).url, `${base}/f.bin`);

  const events = new Events();
  const result = await download(
    presigned(base, "sigbbbb").replace("20260101T000000Z", "20260102T000000Z"),
    options(dir, { onEvent: events.onEvent }),
  );
  assert.ok(result.resumedBytes > 0, "the partial data was kept");
  await assertContent(result.path, "presigned", BIG);
  assert.deepEqual((await readdir(dir)).sort(), [LEDGER_NAME, "f.bin"]);
  // The ledger that lets a rerun skip the file names the object, not the signature.
  const ledger = await readFile(path.join(dir, LEDGER_NAME), "utf8");
  assert.doesNotMatch(ledger, SECRETS);
  assert.match(ledger, /"url":"http:\/\/127\.0\.0\.1:\d+\/f\.bin"/);
});

test("another object, or another non-secret parameter, does not resume a presigned download", async (t) => {
  const server = await serve(t, {
    ratePerConnection: 512 * KiB,
    files: { "/f.bin": generated("presigned", BIG) },
  });
  const base = server.url("/").replace(/\/$/, "");
  const dir = await tempDir(t);
  await abortPartWay(presigned(base, "sigaaaa"), dir);
  // Not the object the partial data belongs to: it starts from zero.
  const other = `${presigned(base, "sigbbbb")}&versionId=2`;
  const result = await download(other, options(dir, { overwrite: true }));
  assert.equal(result.resumedBytes, 0);
  await assertContent(result.path, "presigned", BIG);
});

const EXPIRED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' +
  "<Message>Request has expired</Message><X-Amz-Expires>3600</X-Amz-Expires></Error>";

test("a refused presigned URL reports the server's reason and how to resume", async (t) => {
  const { base } = await origin(t, {
    handle: (_req, res) => {
      res.writeHead(403, { "content-type": "application/xml" }).end(EXPIRED);
      return true;
    },
  });
  const dir = await tempDir(t);
  const error = await rejectsWith(
    download(presigned(base, "sigaaaa", "/key.bin"), options(dir)),
    "PARGET_HTTP_STATUS",
    5,
  );
  assert.ok(error instanceof HttpStatusError);
  assert.equal(error.status, 403);
  assert.equal(error.reason, "AccessDenied: Request has expired");
  assert.match(
    error.message,
    /^HTTP 403 from http:\/\/127\.0\.0\.1:\d+\/key\.bin\?\S*X-Amz-Signature=REDACTED: AccessDenied: Request has expired \(the URL may have expired; rerun with a fresh URL to resume\)$/,
  );
  assert.doesNotMatch(error.message, SECRETS);
});

test("an error body that never ends is read only briefly; a binary one is not read", async (t) => {
  const { base } = await origin(t, {
    handle: (req, res) => {
      if (req.url === "/stalls") {
        res.writeHead(403, { "content-type": "text/plain" });
        res.write("denied by policy\nand then nothing");
      } else {
        res.writeHead(403, { "content-type": "application/octet-stream" }).end("\x1b[31mbinary");
      }
      return true;
    },
  });
  const dir = await tempDir(t);
  const stalled = await rejectsWith(
    download(`${base}/stalls`, options(dir, { idleTimeoutMs: 300 })),
    "PARGET_HTTP_STATUS",
    5,
  );
  assert.equal((stalled as HttpStatusError).reason, "denied by policy");
  // Not a signed URL: no hint about expiry.
  assert.match(stalled.message, /^HTTP 403 from http:\S+\/stalls: denied by policy$/);
  const binary = await rejectsWith(
    download(`${base}/binary`, options(dir)),
    "PARGET_HTTP_STATUS",
    5,
  );
  assert.equal((binary as HttpStatusError).reason, undefined);
  assert.match(binary.message, /^HTTP 403 from http:\S+\/binary$/);
});
