import assert from "node:assert/strict";
import { test } from "node:test";
import { errorMessage } from "../../src/cli/reporters/format.js";
import { createReporter, quietReporter, type Sink } from "../../src/cli/reporters/index.js";
import { jsonReporter } from "../../src/cli/reporters/json.js";
import { plainReporter } from "../../src/cli/reporters/plain.js";
import { ttyReporter } from "../../src/cli/reporters/tty.js";
import { HttpStatusError, type DownloadEvent } from "../../src/index.js";

const MiB = 1024 * 1024;
/** What the tty reporter writes before each redraw: carriage return, erase line. */
const CLEAR = "\r\x1b[2K";

/** A stream that keeps what is written; with `columns`, a terminal. */
function sink(columns?: number): Sink & { text: string } {
  const out: Sink & { text: string } = { text: "", write: (s: string) => (out.text += s) };
  if (columns !== undefined) Object.assign(out, { isTTY: true, columns });
  return out;
}

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const start: DownloadEvent = {
  type: "start",
  url: "https://user:secret@example.com/demo.bin",
  finalUrl: "https://cdn.example.com/demo.bin",
  path: "/tmp/out/demo.bin",
  size: 100 * MiB,
  ranges: true,
  connections: 8,
  adaptive: false,
  resumedBytes: 0,
};

function progress(bytes: number): Extract<DownloadEvent, { type: "progress" }> {
  return {
    type: "progress",
    bytes,
    size: 100 * MiB,
    bytesPerSecond: 50 * MiB,
    etaSeconds: (100 * MiB - bytes) / (50 * MiB),
    activeConnections: 8,
  };
}

const done: DownloadEvent = {
  type: "done",
  result: {
    skipped: false,
    path: "/tmp/out/demo.bin",
    url: "https://user:secret@example.com/demo.bin",
    finalUrl: "https://cdn.example.com/demo.bin",
    size: 100 * MiB,
    elapsedMs: 2000,
    resumedBytes: 0,
    ranges: true,
    verified: [
      { algorithm: "sha256", hex: "ab".repeat(32), source: "user" },
      { algorithm: "crc32c", hex: "deadbeef", source: "x-goog-hash" },
    ],
  },
};

const retry: DownloadEvent = {
  type: "retry",
  attempt: 2,
  delayMs: 1500,
  reason: "socket hang up",
  range: [0, 1023],
};

test("json: one parseable object per line, progress at most once a second, credentials removed", () => {
  const out = sink();
  const t = clock();
  const reporter = jsonReporter(out, t.now);
  reporter.onEvent(start);
  reporter.onEvent(progress(10 * MiB));
  t.advance(500);
  reporter.onEvent(progress(20 * MiB));
  t.advance(600);
  reporter.onEvent(progress(30 * MiB));
  reporter.onEvent(retry);
  reporter.onEvent(done);
  reporter.onError(
    "https://user:secret@example.com/x",
    new HttpStatusError(404, "https://example.com/x"),
  );
  reporter.close();

  assert.ok(out.text.endsWith("\n"));
  assert.doesNotMatch(out.text, /secret/);
  const lines = out.text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => l["type"]),
    ["start", "progress", "progress", "retry", "done", "error"],
  );
  assert.deepEqual(
    lines.map((l) => l["url"]),
    Array(6).fill("https://example.com/demo.bin").fill("https://example.com/x", 5),
  );
  assert.equal(lines[2]?.["bytes"], 30 * MiB);
  assert.deepEqual(lines[3]?.["range"], [0, 1023]);
  assert.equal(lines[4]?.["path"], "/tmp/out/demo.bin");
  assert.deepEqual(lines[5], {
    type: "error",
    url: "https://example.com/x",
    code: "PARGET_HTTP_STATUS",
    exitCode: 5,
    message: "HTTP 404 from https://example.com/x",
  });
});

test("json: an error that is not a PargetError has no code and exit status 1", () => {
  const out = sink();
  jsonReporter(out).onError("https://example.com/x", new Error("boom"));
  assert.deepEqual(JSON.parse(out.text), {
    type: "error",
    url: "https://example.com/x",
    code: null,
    exitCode: 1,
    message: "boom",
  });
});

test("tty: one line redrawn in place at most every 100 ms, then the saved line", () => {
  const out = sink(200);
  const t = clock();
  const reporter = ttyReporter(out, t.now);
  reporter.onEvent(start);
  t.advance(100);
  reporter.onEvent(progress(42 * MiB));
  t.advance(50);
  reporter.onEvent(progress(43 * MiB));
  assert.doesNotMatch(out.text, /\n/);
  assert.ok(
    out.text.endsWith(`${CLEAR}demo.bin  42%  42.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn`),
  );
  assert.doesNotMatch(out.text, /43%/);
  t.advance(50);
  reporter.onEvent(progress(44 * MiB));
  assert.match(out.text, /44%/);

  reporter.onEvent(retry);
  assert.ok(out.text.endsWith(`${CLEAR}demo.bin: retry 2 bytes 0-1023 in 1.5 s: socket hang up\n`));
  reporter.onEvent({ type: "reconnect", bytesPerSecond: 32 * 1024, othersBytesPerSecond: 2 * MiB });
  assert.ok(
    out.text.endsWith(
      `\ndemo.bin: reconnecting a connection at 32.0 KiB/s; the others run at 2.00 MiB/s\n`,
    ),
  );
  reporter.onEvent(done);
  assert.match(
    out.text,
    /saved demo\.bin \(100 MiB\) in 2\.0 s, 50\.0 MiB\/s; verified sha256 \(user\), crc32c \(x-goog-hash\)\n$/,
  );
  const before = out.text;
  reporter.close();
  assert.equal(out.text, before, "nothing left to clear after the saved line");
});

test("tty: the live line is cut to the terminal's width and cleared on error", () => {
  const out = sink(20);
  const reporter = ttyReporter(out, clock().now);
  reporter.onEvent(start);
  reporter.onEvent(progress(42 * MiB));
  const drawn = out.text.split(CLEAR).at(-1) ?? "";
  assert.equal(drawn.length, 19);
  reporter.onError("https://example.com/demo.bin", new Error("x"));
  assert.ok(out.text.endsWith(CLEAR));
});

test("plain: whole lines only, a progress line per 10% but not more than once a second", () => {
  const out = sink();
  const t = clock();
  const reporter = plainReporter(out, t.now);
  reporter.onEvent(start);
  for (let mib = 1; mib <= 100; mib++) {
    t.advance(50);
    reporter.onEvent(progress(mib * MiB));
  }
  reporter.onEvent(done);
  assert.ok(!out.text.includes("\r") && !out.text.includes("\x1b"));
  const lines = out.text.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "demo.bin: fetching https://example.com/demo.bin into /tmp/out/demo.bin (100 MiB, 8 connections)",
  );
  const percents = lines.slice(1, -1).map((l) => /: (\d+)%/.exec(l)?.[1]);
  // 5 s of events at 20 MiB/s of clock time: one line a second, each a new tenth.
  assert.deepEqual(percents, ["20", "40", "60", "80", "100"]);
  assert.match(lines.at(-1) ?? "", /^saved demo\.bin \(100 MiB\)/);

  const adaptive = sink();
  plainReporter(adaptive, t.now).onEvent({ ...start, connections: 16, adaptive: true });
  assert.match(adaptive.text, /\(100 MiB, up to 16 connections, as many as help\)\n$/);
});

test("plain: with an unknown size, a line every 5 s", () => {
  const out = sink();
  const t = clock();
  const reporter = plainReporter(out, t.now);
  reporter.onEvent({ ...start, size: null });
  for (let s = 1; s <= 12; s++) {
    t.advance(1000);
    reporter.onEvent({ ...progress(s * MiB), size: null, etaSeconds: null });
  }
  const progressLines = out.text.split("\n").filter((l) => l.includes("MiB/s"));
  assert.deepEqual(progressLines, [
    "demo.bin: 5.00 MiB  50.0 MiB/s",
    "demo.bin: 10.0 MiB  50.0 MiB/s",
  ]);
});

test("a result with nothing to verify says so", () => {
  const out = sink();
  plainReporter(out).onEvent({
    type: "done",
    result: { ...done.result, verified: [], resumedBytes: 60 * MiB },
  });
  assert.equal(
    out.text,
    "saved demo.bin (100 MiB) in 2.0 s, 20.0 MiB/s after resuming at 60.0 MiB; not verified (no checksum given or announced)\n",
  );
});

test("errorMessage is one line without credentials", () => {
  const err = new Error(
    "failed to reach https://alice:hunter2@example.com/f\n  at the second line",
  );
  assert.equal(errorMessage(err), "failed to reach https://example.com/f at the second line");
  assert.equal(errorMessage("plain string"), "plain string");
});

test("createReporter: --json wins, then -q, then the terminal decides", () => {
  const stdout = sink();
  const tty = sink(80);
  const pipe = sink();
  createReporter({ json: true, quiet: true }, { stdout, stderr: tty }).onEvent(start);
  assert.match(stdout.text, /^\{"type":"start"/);
  assert.equal(
    createReporter({ json: false, quiet: true }, { stdout, stderr: tty }),
    quietReporter,
  );
  createReporter({ json: false, quiet: false }, { stdout, stderr: tty }).onEvent(start);
  assert.ok(tty.text.startsWith(CLEAR));
  createReporter({ json: false, quiet: false }, { stdout, stderr: pipe }).onEvent(start);
  assert.match(pipe.text, /^demo\.bin: fetching/);
});

const doneResult = (done as Extract<DownloadEvent, { type: "done" }>).result;

test("every reporter hides a presigned URL's signature, in URLs, reasons and errors", () => {
  const signed = "https://b.s3.test/k?X-Amz-Date=20260101T000000Z&X-Amz-Signature=sig123";
  const events: DownloadEvent[] = [
    { ...start, url: signed, finalUrl: signed },
    { ...retry, reason: `HTTP 503 from ${signed}` },
    { type: "restart", reason: `changed at ${signed}` },
    { type: "done", result: { ...doneResult, url: signed, finalUrl: signed } },
  ];
  const error = new Error(`HTTP 403 from ${signed}: AccessDenied`);
  for (const make of [
    (out: Sink) => jsonReporter(out),
    (out: Sink) => plainReporter(out),
    (out: Sink) => ttyReporter(out),
  ]) {
    const out = sink();
    const reporter = make(out);
    for (const event of events) reporter.onEvent(event);
    reporter.onError(signed, error);
    reporter.close();
    assert.doesNotMatch(out.text, /sig123/);
  }
  assert.equal(
    errorMessage(error),
    "HTTP 403 from https://b.s3.test/k?X-Amz-Date=20260101T000000Z&X-Amz-Signature=REDACTED: AccessDenied",
  );
});

test("before the start event, a download is named by its URL's host and path", () => {
  const url = "https://user:secret@example.com:8443/dir/demo.bin?X-Amz-Signature=abc";
  const plain = sink();
  const plainOne = plainReporter(plain);
  plainOne.begin(url);
  plainOne.onEvent({ ...retry, range: null });
  assert.equal(plain.text, "example.com:8443/dir/demo.bin: retry 2 in 1.5 s: socket hang up\n");

  const tty = sink(200);
  const ttyOne = ttyReporter(tty);
  ttyOne.begin(url);
  ttyOne.onEvent({ ...retry, range: null });
  assert.equal(tty.text, "example.com:8443/dir/demo.bin: retry 2 in 1.5 s: socket hang up\n");

  const json = sink();
  const jsonOne = jsonReporter(json);
  jsonOne.begin(url);
  jsonOne.onEvent({ ...retry, range: null });
  const line = JSON.parse(json.text) as { type: string; url: string };
  assert.equal(line.type, "retry");
  assert.doesNotMatch(line.url, /secret/);
  assert.match(line.url, /^https:\/\/example\.com:8443\/dir\/demo\.bin/);
});
