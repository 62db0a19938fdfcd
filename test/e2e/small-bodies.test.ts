/**
 * Bodies that arrive together with the connection's close (HTTP/1.0, `Connection: close`, nginx
 * with `keepalive_timeout 0`, a response cut short) are saved whole, or retried, and never crash
 * the CLI or a process that uses the library. undici 7 asserts that its parser is not paused when
 * such a socket ends (nodejs/undici#5360); parget holds the socket's reads instead of pausing it.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { download } from "../../src/index.js";
import { generateContent } from "../../src/server/index.js";
import { runCli } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import {
  nginxClosing,
  SERVERS,
  startRealServer,
  unavailable,
  type ServerDefinition,
} from "../helpers/servers.js";
import { tempDir } from "./support.js";

const KiB = 1024;
/** Around the 16 KiB and 64 KiB boundaries (a socket's high-water mark, a read), and beyond. */
const SIZES = [
  0,
  1,
  2,
  100,
  16 * KiB - 1,
  16 * KiB,
  16 * KiB + 1,
  64 * KiB - 1,
  64 * KiB,
  64 * KiB + 1,
  128 * KiB + 7,
  300 * KiB + 3,
];

const nameOf = (size: number): string => `f${size}.bin`;
const contentOf = (size: number): Buffer => generateContent(`small-${size}`, 0, size);

/** Writes one file per size into `dir`. */
async function writeFiles(dir: string, sizes: readonly number[]): Promise<void> {
  for (const size of sizes) await writeFile(path.join(dir, nameOf(size)), contentOf(size));
}

async function assertFiles(dir: string, sizes: readonly number[]): Promise<void> {
  for (const size of sizes) {
    const actual = await readFile(path.join(dir, nameOf(size)));
    assert.ok(actual.equals(contentOf(size)), `${nameOf(size)} differs from what was served`);
  }
}

/**
 * Runs the CLI on one list of URLs (-i), so a crash at one URL would also stop the rest, and
 * checks that it saved them all.
 */
async function cliSavesAll(
  t: TestContext,
  urls: readonly string[],
  dir: string,
): Promise<{ stderr: string }> {
  const list = path.join(await tempDir(t, "small-list"), "urls.txt");
  await writeFile(list, urls.map((u) => `${u}\n`).join(""));
  const result = await runCli(["-i", list, "-d", dir, "-q"]);
  assert.doesNotMatch(result.stderr, /\n\s+at |Error \[ERR_|AssertionError/, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

interface ClosingServerOptions {
  /** Answers a range request with a 206 (HTTP/1.1 with `Connection: close`); else HTTP/1.0 200s. */
  ranges: boolean;
  /** Leaves out Content-Length: the body ends where the connection does. */
  noLength?: boolean;
  /** Responses stop half-way, with a FIN or a reset: the first to each path, or every one. */
  cut?: { by: "end" | "reset"; always?: boolean };
}

interface ClosingServer {
  url(p: string): string;
  /** Requests answered, and those that asked for a range. */
  readonly stats: { requests: number; ranged: number };
}

/**
 * A raw HTTP server that writes its whole response, then closes, in one go: the head, the body
 * and the FIN arrive together, as from most HTTP/1.0 servers.
 */
async function closingServer(
  t: TestContext,
  files: ReadonlyMap<string, Buffer>,
  options: ClosingServerOptions,
): Promise<ClosingServer> {
  const stats = { requests: 0, ranged: 0 };
  const cut = new Set<string>();
  const server = net.createServer((socket) => {
    let head = "";
    socket.on("error", () => {});
    socket.on("data", (data) => {
      if (head.includes("\r\n\r\n")) return;
      head += data.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      stats.requests++;
      const [requestLine = "", ...lines] = head.split("\r\n");
      const target = requestLine.split(" ")[1] ?? "";
      const body = files.get(target);
      if (!body) {
        socket.end("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const range = lines
        .map((line) => /^range:\s*bytes=(\d+)-(\d*)\s*$/i.exec(line))
        .find((match) => match);
      let status = "HTTP/1.0 200 OK";
      let headers = options.ranges ? "Accept-Ranges: bytes\r\n" : "";
      let slice = body;
      if (options.ranges && range && body.length > 0) {
        stats.ranged++;
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
        status = "HTTP/1.1 206 Partial Content";
        headers += `Connection: close\r\nContent-Range: bytes ${start}-${end}/${body.length}\r\n`;
        slice = body.subarray(start, end + 1);
      }
      if (!options.noLength) headers += `Content-Length: ${slice.length}\r\n`;
      const response = Buffer.concat([Buffer.from(`${status}\r\n${headers}\r\n`), slice]);
      if (options.cut && (options.cut.always || !cut.has(target)) && slice.length > 1) {
        cut.add(target);
        const sent = response.subarray(0, response.length - Math.ceil(slice.length / 2));
        if (options.cut.by === "end") socket.end(sent);
        else socket.write(sent, () => socket.resetAndDestroy());
        return;
      }
      socket.end(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  return { url: (p) => `http://127.0.0.1:${port}${p}`, stats };
}

function filesBySize(sizes: readonly number[]): Map<string, Buffer> {
  return new Map(sizes.map((size) => [`/${nameOf(size)}`, contentOf(size)]));
}

const python = SERVERS.find((s) => s.binary === "python3")!;

for (const server of [python, nginxClosing] as ServerDefinition[]) {
  test(
    `cli: ${server.name} closing after each body, ${SIZES.length} sizes from 0 to 300 KiB`,
    {
      skip: unavailable(server, "http"),
    },
    async (t) => {
      const root = await tempDir(t, "small-root");
      await writeFiles(root, SIZES);
      const running = await startRealServer(t, server, { root, scheme: "http" });
      const dir = await tempDir(t, "small-out");
      await cliSavesAll(
        t,
        SIZES.map((size) => running.url(`/${nameOf(size)}`)),
        dir,
      );
      await assertFiles(dir, SIZES);
    },
  );
}

/** A body under two bytes is never cut: the cases that cut start with one that is. */
const CUTTABLE = SIZES.filter((size) => size > 1);

const RAW_CASES: { name: string; options: ClosingServerOptions; sizes: number[] }[] = [
  { name: "HTTP/1.0 without ranges", options: { ranges: false }, sizes: SIZES },
  { name: "206 with Connection: close", options: { ranges: true }, sizes: SIZES },
  {
    name: "HTTP/1.0 with no Content-Length",
    options: { ranges: false, noLength: true },
    sizes: SIZES,
  },
  {
    name: "206s, the first cut by a FIN",
    options: { ranges: true, cut: { by: "end" } },
    sizes: CUTTABLE,
  },
  {
    name: "HTTP/1.0, the first cut by a reset",
    options: { ranges: false, cut: { by: "reset" } },
    sizes: CUTTABLE,
  },
];

for (const { name, options, sizes } of RAW_CASES) {
  test(`cli: a raw server, ${name}: every size saved whole`, async (t) => {
    const server = await closingServer(t, filesBySize(sizes), options);
    const dir = await tempDir(t, "small-out");
    await cliSavesAll(
      t,
      sizes.map((size) => server.url(`/${nameOf(size)}`)),
      dir,
    );
    await assertFiles(dir, sizes);
    if (options.ranges) assert.ok(server.stats.ranged > 0, "the server was asked for ranges");
  });

  test(`library: a raw server, ${name}: download() saves every size, and its host lives on`, async (t) => {
    const server = await closingServer(t, filesBySize(sizes), options);
    const dir = await tempDir(t, "small-lib");
    for (const size of sizes) {
      const result = await download(server.url(`/${nameOf(size)}`), { dir, connections: 4 });
      assert.equal(result.size, size);
    }
    await assertFiles(dir, sizes);
  });
}

test("cli: an -i list goes on past a URL whose body came with the close", async (t) => {
  const closing = await closingServer(t, filesBySize([2]), { ranges: false });
  const range = await serve(t, {
    files: { "/after.bin": { content: { seed: "after", size: 3000 } } },
  });
  const dir = await tempDir(t, "small-out");
  await cliSavesAll(t, [closing.url(`/${nameOf(2)}`), range.url("/after.bin")], dir);
  await assertFiles(dir, [2]);
  assert.ok(
    (await readFile(path.join(dir, "after.bin"))).equals(generateContent("after", 0, 3000)),
  );
});

test("cli: a server that cuts every response: a clean failure after the retries, no stack trace", async (t) => {
  const server = await closingServer(t, filesBySize([100]), {
    ranges: false,
    cut: { by: "reset", always: true },
  });
  const dir = await tempDir(t, "small-out");
  const result = await runCli([server.url(`/${nameOf(100)}`), "-d", dir, "--retries", "1"]);
  assert.equal(result.code, 4, result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at |AssertionError/, result.stderr);
  assert.match(result.stderr, /^parget: .*content-length/im);
});
