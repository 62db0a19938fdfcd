/**
 * Hostile or careless input, through the real binary: servers that lie or do not speak HTTP,
 * output pipes closed early, paths given by the user, and the messages each case gets.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { runCli, spawnCli, stopProcess, waitForExit } from "../helpers/processes.js";
import type { CliResult } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { TEST_TLS } from "../helpers/tls.js";
import { MiB, assertGenerated, entries, jsonEvents, tempDir } from "./support.js";

function explain(result: CliResult): string {
  return `exit ${result.code} (signal ${result.signal})\nstdout: ${result.stdout.slice(0, 500)}\nstderr: ${result.stderr.slice(0, 800)}`;
}

/** One line on stderr, nothing on stdout. */
function assertOneErrorLine(result: CliResult, message: RegExp): void {
  assert.equal(result.stdout, "", explain(result));
  assert.match(result.stderr, /^parget: [^\n]+\n$/, explain(result));
  assert.match(result.stderr, message, explain(result));
}

/**
 * A TCP server on 127.0.0.1 that answers each request by hand: `answer` gets the request's head
 * and writes what it likes. Counts connections and requests.
 */
async function rawServer(
  t: TestContext,
  answer: (socket: net.Socket, head: string) => void,
  greet: (socket: net.Socket) => void = () => {},
): Promise<{ url: (p: string) => string; host: string; connections: number; requests: number }> {
  const stats = { connections: 0, requests: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    greet(socket);
    let head = "";
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      while (head.includes("\r\n\r\n")) {
        const end = head.indexOf("\r\n\r\n") + 4;
        stats.requests++;
        answer(socket, head.slice(0, end));
        head = head.slice(end);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return Object.assign(stats, { url: (p: string) => `http://${host}${p}`, host });
}

const LIE = 10 * 1024 ** 3;
const TRUTH = "hi\n";

test("5: a Content-Length that lies (no ranges) fails at once, says so, and reserves nothing", async (t) => {
  const server = await rawServer(t, (socket) => {
    socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${LIE}\r\n\r\n${TRUTH}`);
  });
  const dir = await tempDir(t);
  const result = await runCli([server.url("/small.txt"), "-d", dir, "-q"]);
  assert.equal(result.code, 5, explain(result));
  assertOneErrorLine(
    result,
    /server announced 10737418240 bytes but closed the connection at byte 3 twice; its Content-Length is wrong/,
  );
  assert.equal(server.requests, 2, "no retries once the same short end came twice");
  const partial = await stat(path.join(dir, "small.txt.parget"));
  assert.ok(partial.size <= TRUTH.length, `${partial.size} bytes reserved for a claim`);
});

test("5: 206s that claim a larger file fail at once, say so, and reserve nothing", async (t) => {
  const server = await rawServer(t, (socket, head) => {
    const [, from = "0", to] = /^range: bytes=(\d+)-(\d*)/im.exec(head) ?? [];
    const start = Number(from);
    const end = to ? Number(to) : LIE - 1;
    socket.end(
      `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${start}-${end}/${LIE}\r\n` +
        `Content-Length: ${end - start + 1}\r\n\r\n${TRUTH.slice(start)}`,
    );
  });
  for (const connections of [["-n", "1"], [], ["-n", "4"]]) {
    await t.test(connections.join(" ") || "adaptive", async (t) => {
      const dir = await tempDir(t);
      server.requests = 0;
      const result = await runCli([server.url("/small.txt"), "-d", dir, "-q", ...connections]);
      assert.equal(result.code, 5, explain(result));
      assertOneErrorLine(
        result,
        /server announced 10737418240 bytes but closed the connection at byte \d+ twice; its Content-Range is wrong/,
      );
      // Each lane gives up on its second short answer from the same byte.
      assert.ok(server.requests <= 12, `${server.requests} requests`);
      const partial = await stat(path.join(dir, "small.txt.parget"));
      assert.equal(partial.size, TRUTH.length, "what came is kept; nothing more is reserved");
    });
  }
});

test("a server that answers every range with multipart/byteranges: one plain stream, exit 0", async (t) => {
  const size = 3 * MiB + 1;
  const server = await serve(t, {
    files: { "/f.bin": { content: { seed: "multi", size }, faults: [{ kind: "multipart" }] } },
  });
  const dir = await tempDir(t);
  const result = await runCli([server.url("/f.bin"), "-d", dir, "--json"]);
  assert.equal(result.code, 0, explain(result));
  await assertGenerated(path.join(dir, "f.bin"), "multi", size);
  const start = jsonEvents(result.stdout).find((e) => e.type === "start");
  assert.equal(start?.ranges, false);
});

test("5: a server that does not speak HTTP", async (t) => {
  // Speaks first, as SSH does, and closes on anything it is sent.
  const server = await rawServer(
    t,
    (socket) => socket.destroy(),
    (socket) => socket.write("SSH-2.0-OpenSSH_9.6\r\n"),
  );
  const dir = await tempDir(t);
  const result = await runCli([server.url("/x"), "-d", dir]);
  assert.equal(result.code, 5, explain(result));
  assertOneErrorLine(result, /^parget: 127\.0\.0\.1:\d+ answered, but not in HTTP /);
  assert.deepEqual(await entries(dir), []);
});

test("4: a server that accepts and never answers: reached, no answer within --timeout, retried", async (t) => {
  const server = await rawServer(t, () => {});
  const dir = await tempDir(t);
  const result = await runCli([server.url("/x"), "-d", dir, "--timeout", "1", "--retries", "1"]);
  assert.equal(result.code, 4, explain(result));
  assert.match(
    result.stderr,
    /\nparget: 127\.0\.0\.1:\d+ accepted the connection but sent no response within 1 s \(--timeout\)\n$/,
    explain(result),
  );
  assert.doesNotMatch(result.stderr, /cannot reach|UND_ERR/, explain(result));
  assert.equal(server.requests, 2, "the retry still applies");
});

test("retry lines before the server's answer name the URL's host and path", async (t) => {
  const server = await serve(t, {
    files: {
      "/f.bin": {
        content: { seed: "early-retry", size: 1000 },
        faults: [{ kind: "status", status: 503, retryAfter: "0", which: "first" }],
      },
    },
  });
  const dir = await tempDir(t);
  const url = server.url("/f.bin");
  const plain = await runCli([url, "-d", dir]);
  assert.equal(plain.code, 0, explain(plain));
  const host = new URL(url).host;
  assert.match(plain.stderr, new RegExp(`^${host}/f\\.bin: retry 1 in `, "m"), explain(plain));
  assert.doesNotMatch(plain.stderr, /^: /m);

  server.setFaults("/f.bin", [{ kind: "status", status: 503, retryAfter: "0", which: "first" }]);
  const json = await runCli([url, "-d", dir, "--json", "--overwrite"]);
  assert.equal(json.code, 0, explain(json));
  const retry = jsonEvents(json.stdout).find((e) => e.type === "retry");
  assert.equal(retry?.url, url);
});

test("2: -n above the maximum, an unreadable -i file, a bad line in a list, a URL without scheme", async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, "list.txt"), "http://127.0.0.1:9/a\n# b\nlocalhost:80/x\n");
  const cases: [string, string[], RegExp][] = [
    ["-n 100000", ["-n", "100000", "http://127.0.0.1:9/f"], /--connections: expected at most 64/],
    ["-n 65", ["-n", "65", "http://127.0.0.1:9/f"], /--connections: expected at most 64/],
    [
      "-i missing.txt",
      ["-i", "missing.txt"],
      /^parget: cannot read URL list missing\.txt: no such file or directory\n$/,
    ],
    ["a bad URL in a list", ["-i", "list.txt"], /^parget: list\.txt:3: "localhost:80\/x"/],
    [
      "localhost:80/x",
      ["localhost:80/x"],
      /^parget: "localhost:80\/x" has no scheme: try http:\/\/localhost:80\/x\n$/,
    ],
  ];
  for (const [name, args, message] of cases) {
    await t.test(name, async () => {
      const result = await runCli(args, { cwd: dir });
      assert.equal(result.code, 2, explain(result));
      assertOneErrorLine(result, message);
    });
  }
  assert.deepEqual(await entries(dir), ["list.txt"]);
});

test("no Node warning (DEP0123) on HTTPS to an IP address, with -q", async (t) => {
  const size = 2 * MiB;
  const server = await serve(t, {
    tls: TEST_TLS,
    files: { "/f.bin": { content: { seed: "tls-ip", size } } },
  });
  const dir = await tempDir(t);
  const ca = path.join(dir, "ca.pem");
  await writeFile(ca, TEST_TLS.cert);
  const out = path.join(dir, "out");
  const result = await runCli([
    server.url("/f.bin"),
    "-d",
    out,
    "-q",
    "-n",
    "4",
    "--ca-certificate",
    ca,
  ]);
  assert.equal(result.code, 0, explain(result));
  assert.equal(result.stderr, "", explain(result));
  await assertGenerated(path.join(out, "f.bin"), "tls-ip", size);
});

test("-o is the user's own path: relative to -d, or absolute; a server's name stays inside -d", async (t) => {
  const size = 1000;
  const server = await serve(t, {
    files: {
      "/f.bin": { content: { seed: "paths", size } },
      "/cd.bin": {
        content: { seed: "paths", size },
        headers: { "content-disposition": 'attachment; filename="../../escaped.bin"' },
      },
    },
  });
  const root = await tempDir(t);
  const sub = path.join(root, "sub");
  await mkdir(sub);

  const up = await runCli([server.url("/f.bin"), "-d", sub, "-o", "../up.bin", "-q"]);
  assert.equal(up.code, 0, explain(up));
  await assertGenerated(path.join(root, "up.bin"), "paths", size);

  const absolute = path.join(root, "abs", "f.bin");
  const abs = await runCli([server.url("/f.bin"), "-d", sub, "-o", absolute, "-q"]);
  assert.equal(abs.code, 0, explain(abs));
  await assertGenerated(absolute, "paths", size);

  const named = await runCli([server.url("/cd.bin"), "-d", sub, "-q"]);
  assert.equal(named.code, 0, explain(named));
  assert.deepEqual(await entries(sub), ["escaped.bin"]);
  assert.equal(existsSync(path.join(root, "escaped.bin")), false);

  const help = await runCli(["--help"]);
  assert.match(
    help.stdout,
    /-o, --output <FILE> +save as FILE, a path relative to DIR or absolute/,
  );
  assert.doesNotMatch(help.stdout, /nothing is (ever )?written outside/);
});

/** Reads `stream` until it has printed one whole line. */
async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes("\n")) return text.slice(0, text.indexOf("\n"));
  }
  return text;
}

for (const which of ["stdout", "stderr"] as const) {
  test(`a closed ${which} ends the output, not the download: exit 0, no stack trace`, async (t) => {
    const size = 8 * MiB;
    // About a second of transfer: the reader goes away long before the last lines are written.
    const server = await serve(t, {
      files: { "/f.bin": { content: { seed: `pipe-${which}`, size } } },
      ratePerConnection: 2 * MiB,
    });
    const dir = await tempDir(t);
    const args = [server.url("/f.bin"), "-d", dir, "-n", "4"];
    const child = spawnCli(which === "stdout" ? [...args, "--json"] : args);
    t.after(() => stopProcess(child));
    const other = which === "stdout" ? child.stderr! : child.stdout!;
    let otherText = "";
    other.on("data", (chunk: Buffer) => (otherText += chunk.toString()));
    const stream = child[which]!;
    stream.pause();
    stream.removeAllListeners("data");
    assert.match(await firstLine(stream), which === "stdout" ? /"type":"start"/ : /fetching/);
    // As `| head -1` does: the read end closes while parget still has lines to write.
    stream.destroy();
    const { code } = await waitForExit(child, 30_000);
    assert.equal(
      code,
      0,
      `exit ${code}; ${which === "stdout" ? "stderr" : "stdout"}: ${otherText}`,
    );
    assert.doesNotMatch(otherText, /EPIPE|\n\s+at /);
    await assertGenerated(path.join(dir, "f.bin"), `pipe-${which}`, size);
  });
}
