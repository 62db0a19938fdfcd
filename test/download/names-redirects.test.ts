import { LEDGER_NAME } from "../../src/core/ledger.js";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { download } from "../../src/index.js";
import type { Redirect } from "../../src/server/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, generated, KiB, listing, MiB, rejectsWith, tempDir } from "./fixtures.js";

const SIZE = MiB + 5;
const common = { connections: 4, minSplitSize: 64 * KiB, retries: 0 } as const;

/** Serves /f.bin with these extra response headers, downloads it, returns where it landed. */
async function named(t: TestContext, disposition: string, dir?: string) {
  const server = await serve(t, {
    files: {
      "/f.bin": generated("named", SIZE, { headers: { "content-disposition": disposition } }),
    },
  });
  const target = dir ?? (await tempDir(t));
  const result = await download(server.url("/f.bin"), { ...common, dir: target });
  await assertContent(result.path, "named", SIZE);
  return { result, dir: target };
}

/** Every file under `root`, as paths relative to it. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name !== LEDGER_NAME)
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

test("output names the file, whatever the server suggests", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": generated("out", SIZE, {
        headers: { "content-disposition": 'attachment; filename="server.bin"' },
      }),
    },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), { ...common, dir, output: "mine.bin" });
  assert.equal(result.path, path.join(dir, "mine.bin"));
  assert.deepEqual(await listing(dir), ["mine.bin"]);
  await assertContent(result.path, "out", SIZE);
});

test("without output or Content-Disposition, the URL's last segment, percent-decoded", async (t) => {
  const server = await serve(t, { files: { "/dir/a b.bin": generated("url-name", SIZE) } });
  const dir = await tempDir(t);
  const result = await download(server.url("/dir/a%20b.bin"), { ...common, dir });
  assert.equal(result.path, path.join(dir, "a b.bin"));
  await assertContent(result.path, "url-name", SIZE);
});

test("Content-Disposition filename names the file", async (t) => {
  const { result, dir } = await named(t, 'attachment; filename="report.pdf"');
  assert.equal(result.path, path.join(dir, "report.pdf"));
  assert.deepEqual(await listing(dir), ["report.pdf"]);
});

test("Content-Disposition filename* (UTF-8, percent-encoded) wins over filename", async (t) => {
  const { result, dir } = await named(
    t,
    "attachment; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt",
  );
  assert.equal(result.path, path.join(dir, "naïve résumé.txt"));
  assert.deepEqual(await listing(dir), ["naïve résumé.txt"]);
});

const hostile: [what: string, disposition: string, name: string][] = [
  ["../../evil", 'attachment; filename="../../evil"', "evil"],
  ["/etc/passwd", 'attachment; filename="/etc/passwd"', "passwd"],
  ["..\\..\\x (quoted)", 'attachment; filename="..\\\\..\\\\x"', "x"],
  ["..\\..\\x (bare)", "attachment; filename=..\\..\\x", "x"],
  ["%2e%2e%2fx in filename*", "attachment; filename*=UTF-8''%2e%2e%2fx", "x"],
  ["%2e%2e%5cx in filename*", "attachment; filename*=UTF-8''%2e%2e%5cx", "x"],
];
for (const [what, disposition, expected] of hostile) {
  test(`a traversal name in Content-Disposition (${what}) stays inside dir`, async (t) => {
    const root = await tempDir(t);
    const dir = path.join(root, "a", "b", "dl");
    await mkdir(dir, { recursive: true });
    const { result } = await named(t, disposition, dir);
    assert.equal(path.dirname(result.path), dir);
    const name = path.basename(result.path);
    assert.doesNotMatch(name, /[/\\]/);
    assert.equal(name, expected);
    assert.deepEqual(await tree(root), [path.join("a", "b", "dl", name)], "nothing outside dir");
  });
}

test("an existing file at the final path: PARGET_FILE_EXISTS (exit 3), left untouched", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("exists", SIZE) } });
  const dir = await tempDir(t);
  const final = path.join(dir, "f.bin");
  await writeFile(final, "precious");
  await rejectsWith(download(server.url("/f.bin"), { ...common, dir }), "PARGET_FILE_EXISTS", 3);
  assert.equal(await readFile(final, "utf8"), "precious");
  assert.deepEqual(await listing(dir), ["f.bin"]);
});

test("an existing file named by Content-Disposition is protected too", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": generated("exists-cd", SIZE, {
        headers: { "content-disposition": 'attachment; filename="cd.bin"' },
      }),
    },
  });
  const dir = await tempDir(t);
  const final = path.join(dir, "cd.bin");
  await writeFile(final, "precious");
  await rejectsWith(download(server.url("/f.bin"), { ...common, dir }), "PARGET_FILE_EXISTS", 3);
  assert.equal(await readFile(final, "utf8"), "precious");
  assert.deepEqual(await listing(dir), ["cd.bin"]);
});

test("overwrite: true replaces an existing file", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("overwrite", SIZE) } });
  const dir = await tempDir(t);
  const final = path.join(dir, "f.bin");
  await writeFile(final, "old");
  const result = await download(server.url("/f.bin"), { ...common, dir, overwrite: true });
  assert.equal(result.path, final);
  await assertContent(final, "overwrite", SIZE);
  assert.deepEqual(await listing(dir), ["f.bin"]);
});

test("a 301 → 302 → 303 → 307 → 308 chain is followed; ranges go to the final URL", async (t) => {
  const redirects: Record<string, Redirect> = {
    "/r1": { status: 301, location: "/r2" },
    "/r2": { status: 302, location: "r3" },
    "/r3": { status: 303, location: "/r4" },
    "/r4": { status: 307, location: "/r5" },
    "/r5": { status: 308, location: "/f.bin" },
  };
  const server = await serve(t, { redirects, files: { "/f.bin": generated("chain", SIZE) } });
  const dir = await tempDir(t);
  const result = await download(server.url("/r1"), { ...common, dir, output: "out.bin" });
  await assertContent(result.path, "chain", SIZE);
  assert.equal(result.finalUrl, server.url("/f.bin"));
  assert.equal(result.url, server.url("/r1"));
  const log = server.stats.requestLog;
  const paths = log.map((e) => e.path);
  assert.deepEqual(paths.slice(0, 6), ["/r1", "/r2", "/r3", "/r4", "/r5", "/f.bin"]);
  assert.ok(log.length > 6, "the file was split");
  for (const entry of log.slice(6)) {
    assert.equal(entry.path, "/f.bin", "range requests skip the chain");
    assert.equal(entry.status, 206);
  }
});

test("a redirect loop fails with exit 5 after at most 10 redirects", async (t) => {
  const server = await serve(t, { redirects: { "/loop": { status: 302, location: "/loop" } } });
  const dir = await tempDir(t);
  await rejectsWith(
    download(server.url("/loop"), { ...common, dir }),
    "PARGET_TOO_MANY_REDIRECTS",
    5,
  );
  assert.equal(server.stats.requests, 11);
  assert.deepEqual(await listing(dir), []);
});

test("a redirect to ftp:// is refused with exit 5", async (t) => {
  const server = await serve(t, {
    redirects: { "/ftp": { status: 302, location: "ftp://127.0.0.1/f.bin" } },
  });
  const dir = await tempDir(t);
  const error = await rejectsWith(
    download(server.url("/ftp"), { ...common, dir }),
    "PARGET_BAD_RESPONSE",
    5,
  );
  assert.match(error.message, /ftp/);
  assert.equal(server.stats.requests, 1);
  assert.deepEqual(await listing(dir), []);
});

const secrets = { Authorization: "Bearer s3cret", Cookie: "session=abc", "X-Trace": "kept" };

test("a redirect to another origin drops Authorization and Cookie there, on every request", async (t) => {
  const other = await serve(t, { files: { "/f.bin": generated("cross", SIZE) } });
  const origin = await serve(t, {
    redirects: { "/f.bin": { status: 307, location: other.url("/f.bin") } },
  });
  const dir = await tempDir(t);
  const result = await download(origin.url("/f.bin"), { ...common, dir, headers: secrets });
  await assertContent(result.path, "cross", SIZE);
  assert.equal(result.finalUrl, other.url("/f.bin"));

  const [first] = origin.stats.requestLog;
  assert.equal(origin.stats.requests, 1);
  assert.equal(first?.headers["authorization"], secrets.Authorization);
  assert.equal(first?.headers["cookie"], secrets.Cookie);
  assert.ok(other.stats.requests > 1, "the file was split on the other origin");
  for (const entry of other.stats.requestLog) {
    assert.equal(entry.headers["authorization"], undefined);
    assert.equal(entry.headers["cookie"], undefined);
    assert.equal(entry.headers["x-trace"], "kept");
  }
});

test("a redirect on the same origin keeps Authorization and Cookie on every request", async (t) => {
  const server = await serve(t, {
    redirects: { "/go": { status: 302, location: "/f.bin" } },
    files: { "/f.bin": generated("same", SIZE) },
  });
  const dir = await tempDir(t);
  const result = await download(server.url("/go"), { ...common, dir, headers: secrets });
  await assertContent(result.path, "same", SIZE);
  assert.ok(server.stats.requests > 2);
  for (const entry of server.stats.requestLog) {
    assert.equal(entry.headers["authorization"], secrets.Authorization);
    assert.equal(entry.headers["cookie"], secrets.Cookie);
  }
});
