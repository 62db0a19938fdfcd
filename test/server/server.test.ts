import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import { generateContent, startServer } from "../../src/server/index.js";
import { AcceptedSockets, request } from "../helpers/http.js";
import { serve } from "../helpers/server.js";
import { TEST_TLS } from "../helpers/tls.js";

const SIZE = 1000;
const BYTES = generateContent("s", 0, SIZE);
const FILE = { content: { seed: "s", size: SIZE } };

test("a GET without Range gets the whole file with validators", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE } });
  const res = await fetch(server.url("/f.bin"));
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), BYTES);
  assert.equal(res.headers.get("content-length"), "1000");
  assert.equal(res.headers.get("accept-ranges"), "bytes");
  assert.equal(res.headers.get("content-type"), "application/octet-stream");
  assert.match(res.headers.get("etag") ?? "", /^"1-1000-[0-9a-f]{8}"$/);
  assert.ok(Date.parse(res.headers.get("last-modified") ?? "") > 0);
});

test("each single-range form gets its 206", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE } });
  const cases: [string, number, number][] = [
    ["bytes=10-19", 10, 19],
    ["bytes=990-", 990, 999],
    ["bytes=-10", 990, 999],
    ["bytes=995-5000", 995, 999],
    ["bytes=0-0", 0, 0],
  ];
  for (const [range, start, end] of cases) {
    const res = await fetch(server.url("/f.bin"), { headers: { range } });
    assert.equal(res.status, 206, range);
    assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/1000`, range);
    assert.equal(res.headers.get("content-length"), String(end - start + 1), range);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), BYTES.subarray(start, end + 1), range);
  }
});

test("an unsatisfiable range gets 416 with the size; several ranges get the whole file", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE } });
  const unsatisfiable = await fetch(server.url("/f.bin"), { headers: { range: "bytes=1000-" } });
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.headers.get("content-range"), "bytes */1000");
  assert.equal((await unsatisfiable.arrayBuffer()).byteLength, 0);

  const several = await fetch(server.url("/f.bin"), { headers: { range: "bytes=0-9,20-29" } });
  assert.equal(several.status, 200);
  assert.deepEqual(Buffer.from(await several.arrayBuffer()), BYTES);
});

test("If-Range: a strong ETag or the exact date keeps the range; anything else gets 200", async (t) => {
  const server = await serve(t, {
    files: { "/f.bin": FILE, "/weak.bin": { ...FILE, weakEtag: true } },
  });
  const head = await fetch(server.url("/f.bin"), { method: "HEAD" });
  const etag = head.headers.get("etag")!;
  const date = head.headers.get("last-modified")!;
  const ranged = (path: string, ifRange: string) =>
    fetch(server.url(path), { headers: { range: "bytes=100-199", "if-range": ifRange } });

  const match = await ranged("/f.bin", etag);
  assert.equal(match.status, 206);
  assert.deepEqual(Buffer.from(await match.arrayBuffer()), BYTES.subarray(100, 200));
  assert.equal((await ranged("/f.bin", date)).status, 206);

  const stale = await ranged("/f.bin", '"an-old-version"');
  assert.equal(stale.status, 200);
  assert.deepEqual(Buffer.from(await stale.arrayBuffer()), BYTES);
  assert.equal(
    (await ranged("/f.bin", new Date(Date.parse(date) - 1000).toUTCString())).status,
    200,
  );

  const weak = (await fetch(server.url("/weak.bin"), { method: "HEAD" })).headers.get("etag")!;
  assert.match(weak, /^W\/"/);
  assert.equal((await ranged("/weak.bin", weak)).status, 200);
});

test('ranges "no" answers 200 without Accept-Ranges; "ignored" advertises ranges yet answers 200', async (t) => {
  const server = await serve(t, {
    files: { "/no.bin": { ...FILE, ranges: "no" }, "/ignored.bin": { ...FILE, ranges: "ignored" } },
  });
  const no = await fetch(server.url("/no.bin"), { headers: { range: "bytes=0-9" } });
  assert.equal(no.status, 200);
  assert.equal(no.headers.get("accept-ranges"), null);
  assert.deepEqual(Buffer.from(await no.arrayBuffer()), BYTES);

  const ignored = await fetch(server.url("/ignored.bin"), { headers: { range: "bytes=0-9" } });
  assert.equal(ignored.status, 200);
  assert.equal(ignored.headers.get("accept-ranges"), "bytes");
  assert.equal(ignored.headers.get("content-range"), null);
  assert.deepEqual(Buffer.from(await ignored.arrayBuffer()), BYTES);
});

test("HEAD describes the whole file without a body, Range or not", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE } });
  for (const headers of [{}, { range: "bytes=0-9" }]) {
    const res = await request(server.url("/f.bin"), { method: "HEAD", headers });
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-length"], "1000");
    assert.equal(res.body.length, 0);
  }
});

test("unknown paths get 404 and other methods 405", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE } });
  assert.equal((await fetch(server.url("/nope.bin"))).status, 404);
  const post = await fetch(server.url("/f.bin"), { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
});

test("redirects send their Location verbatim", async (t) => {
  const server = await serve(t, {
    files: { "/f.bin": FILE },
    redirects: {
      "/moved": { status: 301, location: "http://127.0.0.2:9/f.bin" },
      "/found": { status: 302, location: "f.bin" },
      "/see": { status: 303, location: "/f.bin" },
      "/temp": { status: 307, location: "ftp://x/f.bin" },
      "/perm": { status: 308, location: "/f.bin" },
    },
  });
  const expected: [string, number, string][] = [
    ["/moved", 301, "http://127.0.0.2:9/f.bin"],
    ["/found", 302, "f.bin"],
    ["/see", 303, "/f.bin"],
    ["/temp", 307, "ftp://x/f.bin"],
    ["/perm", 308, "/f.bin"],
  ];
  for (const [path, status, location] of expected) {
    const res = await request(server.url(path));
    assert.equal(res.status, status, path);
    assert.equal(res.headers.location, location, path);
  }
  const followed = await fetch(server.url("/found"));
  assert.deepEqual(Buffer.from(await followed.arrayBuffer()), BYTES);
});

test("extra headers pass through, and may replace the content type", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": {
        ...FILE,
        headers: {
          "Content-Disposition": `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
          "x-goog-hash": "crc32c=AAAAAA==",
          "content-type": "application/pdf",
        },
      },
    },
  });
  const res = await fetch(server.url("/f.bin"), { headers: { range: "bytes=0-1" } });
  assert.equal(
    res.headers.get("content-disposition"),
    `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
  );
  assert.equal(res.headers.get("x-goog-hash"), "crc32c=AAAAAA==");
  assert.equal(res.headers.get("content-type"), "application/pdf");
});

test("s3Checksums come as S3 sends them: when asked, and only with the whole file", async (t) => {
  const checksum = "abc=";
  const server = await serve(t, {
    files: { "/f.bin": { ...FILE, s3Checksums: { "x-amz-checksum-sha256": checksum } } },
  });
  const cases: [headers: Record<string, string>, sent: boolean][] = [
    [{}, false],
    [{ "x-amz-checksum-mode": "ENABLED" }, true],
    [{ "x-amz-checksum-mode": "ENABLED", range: "bytes=0-" }, true],
    [{ "x-amz-checksum-mode": "ENABLED", range: "bytes=0-999" }, true],
    [{ "x-amz-checksum-mode": "ENABLED", range: "bytes=0-998" }, false],
    [{ "x-amz-checksum-mode": "ENABLED", range: "bytes=1-" }, false],
    [{ range: "bytes=0-" }, false],
  ];
  for (const [headers, sent] of cases) {
    const res = await fetch(server.url("/f.bin"), { headers });
    await res.arrayBuffer();
    assert.equal(
      res.headers.get("x-amz-checksum-sha256"),
      sent ? checksum : null,
      JSON.stringify(headers),
    );
  }
});

test("explicit, absent and quoted validators", async (t) => {
  const server = await serve(t, {
    files: {
      "/given.bin": { ...FILE, etag: "abc", lastModified: new Date("2020-05-06T07:08:09.500Z") },
      "/none.bin": { ...FILE, etag: false, lastModified: false },
    },
  });
  const given = await fetch(server.url("/given.bin"), { method: "HEAD" });
  assert.equal(given.headers.get("etag"), '"abc"');
  assert.equal(given.headers.get("last-modified"), "Wed, 06 May 2020 07:08:09 GMT");
  const none = await fetch(server.url("/none.bin"), { method: "HEAD" });
  assert.equal(none.headers.get("etag"), null);
  assert.equal(none.headers.get("last-modified"), null);
  // With no validator, every If-Range fails.
  const res = await fetch(server.url("/none.bin"), {
    headers: { range: "bytes=0-1", "if-range": '"abc"' },
  });
  assert.equal(res.status, 200);
});

test("chunked files send no Content-Length, ranges included", async (t) => {
  const server = await serve(t, { files: { "/c.bin": { ...FILE, chunked: true } } });
  const full = await request(server.url("/c.bin"));
  assert.equal(full.headers["transfer-encoding"], "chunked");
  assert.equal(full.headers["content-length"], undefined);
  assert.deepEqual(full.body, BYTES);
  const part = await request(server.url("/c.bin"), { headers: { range: "bytes=10-19" } });
  assert.equal(part.status, 206);
  assert.equal(part.headers["content-range"], "bytes 10-19/1000");
  assert.equal(part.headers["content-length"], undefined);
  assert.deepEqual(part.body, BYTES.subarray(10, 20));
});

test("a Buffer is served as given; paths are matched in their encoded form", async (t) => {
  const content = Buffer.from("hello, ranges");
  const server = await serve(t, { files: { "small.txt": { content }, "/a b.bin": { content } } });
  const res = await fetch(server.url("/small.txt"), { headers: { range: "bytes=7-" } });
  assert.equal(await res.text(), "ranges");
  assert.equal(server.url("a b.bin"), `http://127.0.0.1:${server.port}/a%20b.bin`);
  assert.equal(await (await fetch(server.url("/a b.bin"))).text(), "hello, ranges");
});

test("replaceFile changes content, ETag and Last-Modified; old validators stop matching", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE } });
  const before = await fetch(server.url("/f.bin"), { method: "HEAD" });
  server.replaceFile("/f.bin", { content: { seed: "s2", size: SIZE } });
  const after = await fetch(server.url("/f.bin"), { headers: { range: "bytes=0-99" } });
  assert.notEqual(after.headers.get("etag"), before.headers.get("etag"));
  assert.notEqual(after.headers.get("last-modified"), before.headers.get("last-modified"));
  assert.deepEqual(Buffer.from(await after.arrayBuffer()), generateContent("s2", 0, 100));

  for (const old of [before.headers.get("etag")!, before.headers.get("last-modified")!]) {
    const res = await fetch(server.url("/f.bin"), {
      headers: { range: "bytes=0-99", "if-range": old },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), generateContent("s2", 0, SIZE));
  }
  // Even the same content gets new validators as a new version.
  const etag = after.headers.get("etag");
  server.replaceFile("/f.bin", { content: { seed: "s2", size: SIZE } });
  assert.notEqual(
    (await fetch(server.url("/f.bin"), { method: "HEAD" })).headers.get("etag"),
    etag,
  );
});

test("counters: requests, ranges, bytes, statuses, the log and the connections", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE } });
  const accepted = new AcceptedSockets(t, server.port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const ranges = ["bytes=0-99", "bytes=100-199", "bytes=200-299", "bytes=300-399"];
  await Promise.all(
    ranges.map((range) => request(server.url("/f.bin"), { agent, headers: { range } })),
  );
  await request(server.url("/missing"), { agent });

  const { stats } = server;
  assert.equal(stats.requests, 5);
  assert.equal(stats.rangeRequests, 4);
  assert.equal(stats.bytesSent, 400 + "not found\n".length);
  assert.deepEqual(stats.statuses, { 206: 4, 404: 1 });
  assert.equal(stats.connectionsAccepted, 4);
  // The agent keeps its 4 sockets open, all at once.
  assert.equal(stats.peakConnections, 4);
  assert.deepEqual(stats.requestLog.map((e) => e.range).sort(), [...ranges, undefined].sort());
  const entry = stats.requestLog.find((e) => e.range === "bytes=0-99")!;
  assert.equal(entry.path, "/f.bin");
  assert.equal(entry.status, 206);
  assert.equal(entry.headers["range"], "bytes=0-99");

  // Connections still open stay counted through a reset, as open and as the peak.
  server.resetStats();
  assert.equal(stats.requests, 0);
  assert.equal(stats.openConnections, accepted.all.filter((s) => !s.closed).length);
  assert.equal(stats.peakConnections, stats.openConnections);
  agent.destroy();
  await accepted.allClosed();
  server.resetStats();
  assert.deepEqual(
    { ...stats },
    {
      requests: 0,
      rangeRequests: 0,
      bytesSent: 0,
      openConnections: 0,
      peakConnections: 0,
      connectionsAccepted: 0,
      statuses: {},
      requestLog: [],
    },
  );
});

test("HTTPS serves the same", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE }, tls: TEST_TLS });
  assert.match(server.url("/f.bin"), /^https:\/\/127\.0\.0\.1:\d+\/f\.bin$/);
  const res = await request(server.url("/f.bin"), {
    ca: TEST_TLS.cert,
    headers: { range: "bytes=5-9" },
  });
  assert.equal(res.status, 206);
  assert.deepEqual(res.body, BYTES.subarray(5, 10));
  assert.equal(server.stats.connectionsAccepted, 1);
});

test("close() resolves with a keep-alive connection still open, and twice", async () => {
  const server = await startServer({ files: { "/f.bin": FILE } });
  const agent = new http.Agent({ keepAlive: true });
  await request(server.url("/f.bin"), { agent });
  assert.equal(server.stats.openConnections, 1);
  await server.close();
  await server.close();
  agent.destroy();
});

test("latency delays each response's headers", async (t) => {
  const server = await serve(t, { files: { "/f.bin": FILE }, latencyMs: 50 });
  const started = performance.now();
  await (await fetch(server.url("/f.bin"))).arrayBuffer();
  assert.ok(performance.now() - started >= 45);
});
