import assert from "node:assert/strict";
import { test } from "node:test";
import type { DownloadResult, SetEvent, SetSummary } from "../../src/events.js";
import { textWidth } from "../../src/cli/reporters/fit.js";
import { errorMessage } from "../../src/cli/reporters/format.js";
import { createReporter, quietReporter, type Sink } from "../../src/cli/reporters/index.js";
import { jsonReporter } from "../../src/cli/reporters/json.js";
import { plainReporter } from "../../src/cli/reporters/plain.js";
import { SetView } from "../../src/cli/reporters/set-view.js";
import { ttyReporter } from "../../src/cli/reporters/tty.js";
import { HttpStatusError } from "../../src/index.js";

const MiB = 1024 * 1024;

/** A stream that keeps what is written. */
function sink(): Sink & { text: string } {
  const out: Sink & { text: string } = { text: "", write: (s: string) => (out.text += s) };
  return out;
}

/**
 * A terminal, as far as the tty reporter drives it: text that wraps at the last column, \r, \n,
 * cursor up and erase below. It fails the test when the cursor climbs above the text or when
 * text is written over old text instead of after an erase: what a miscounted redraw does.
 */
function terminal(columns: number, rows = 24) {
  const screen = [""];
  let row = 0;
  let col = 0;
  const ups: number[] = [];
  const feed = (chunk: string): void => {
    // eslint-disable-next-line no-control-regex
    for (const [token, count, command] of chunk.matchAll(/\x1b\[(\d*)([A-Za-z])|[^]/gu)) {
      if (command === "A") {
        const n = Number(count || 1);
        ups.push(n);
        assert.ok(n <= row, `cursor up ${n} from row ${row}: above the block`);
        row -= n;
      } else if (command === "J") {
        screen[row] = screen[row]!.slice(0, col);
        screen.length = row + 1;
      } else if (command !== undefined) {
        assert.fail(`unexpected escape ${JSON.stringify(token)}`);
      } else if (token === "\r") {
        col = 0;
      } else if (token === "\n") {
        row++;
        col = 0;
        screen[row] ??= "";
      } else {
        // Past the last column the terminal wraps: a block line that did would take two rows.
        const width = textWidth(token);
        if (col + width > columns) {
          row++;
          col = 0;
          screen[row] ??= "";
        }
        const line = screen[row]!;
        assert.equal(col, textWidth(line), `writing over ${JSON.stringify(line)}`);
        screen[row] = line + token;
        col += width;
      }
    }
  };
  const out = {
    isTTY: true,
    columns,
    rows,
    text: "",
    write(chunk: string) {
      out.text += chunk;
      feed(chunk);
    },
    /** What is on screen, row by row, the cursor's row last. */
    screen: () => [...screen],
    /** Whether the cursor is at the start of an empty last line. */
    fresh: () => col === 0 && row === screen.length - 1 && screen[row] === "",
    ups,
  };
  return out;
}

type Of<T extends SetEvent["type"]> = Extract<SetEvent, { type: T }>;

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const urlOf = (name: string): string => `https://user:secret@example.com/files/${name}`;

function queued(id: number, name: string): Of<"queued"> {
  return { type: "queued", id, url: urlOf(name) };
}

function start(id: number, name: string, size: number | null = 100 * MiB): Of<"start"> {
  return {
    type: "start",
    id,
    url: urlOf(name),
    finalUrl: `https://cdn.example.com/${name}`,
    path: `/tmp/out/${name}`,
    size,
    ranges: true,
    connections: 8,
    adaptive: false,
    resumedBytes: 0,
  };
}

function progress(id: number, bytes: number, size: number | null = 100 * MiB): Of<"progress"> {
  return {
    type: "progress",
    id,
    bytes,
    size,
    bytesPerSecond: 50 * MiB,
    etaSeconds: size === null ? null : (size - bytes) / (50 * MiB),
    activeConnections: 8,
  };
}

function result(name: string, size = 100 * MiB): DownloadResult {
  return {
    skipped: false,
    path: `/tmp/out/${name}`,
    url: urlOf(name),
    finalUrl: `https://cdn.example.com/${name}`,
    size,
    bytesReceived: size,
    elapsedMs: 2000,
    resumedBytes: 0,
    ranges: true,
    verified: [
      { algorithm: "sha256", hex: "ab".repeat(32), source: "user" },
      { algorithm: "crc32c", hex: "deadbeef", source: "x-goog-hash" },
    ],
  };
}

function done(id: number, name: string, size = 100 * MiB): Of<"done"> {
  return { type: "done", id, result: result(name, size) };
}

function retry(id: number): Of<"retry"> {
  return {
    type: "retry",
    id,
    attempt: 2,
    delayMs: 1500,
    reason: "socket hang up",
    range: [0, 1023],
  };
}

function failed(id: number, name: string, error: unknown = notFound(name)): Of<"failed"> {
  return { type: "failed", id, url: urlOf(name), path: null, error };
}

function notFound(name: string): HttpStatusError {
  return new HttpStatusError(404, `https://example.com/files/${name}`);
}

function summary(fields: Partial<SetSummary>): Of<"summary"> {
  return {
    type: "summary",
    summary: {
      files: 1,
      saved: 0,
      verified: 0,
      skipped: 0,
      failed: 0,
      cancelled: 0,
      fetchedBytes: 0,
      elapsedMs: 1000,
      exitCode: 0,
      ...fields,
    },
  };
}

/** A set of three: one saved (after a retry), one skipped, one failed. */
const smallSet: SetEvent[] = [
  queued(0, "a.bin"),
  queued(1, "b.bin"),
  queued(2, "c.bin"),
  start(0, "a.bin"),
  retry(0),
  progress(0, 50 * MiB),
  { type: "skipped", id: 1, result: result("b.bin", 10 * MiB) },
  failed(2, "c.bin"),
  { type: "verifying", id: 0, algorithms: ["sha256"] },
  done(0, "a.bin"),
  summary({
    files: 3,
    saved: 1,
    verified: 2,
    skipped: 1,
    failed: 1,
    fetchedBytes: 100 * MiB,
    elapsedMs: 2500,
    exitCode: 5,
  }),
];

// --- tty ---

test("tty, one file: one line redrawn in place at most every 100 ms, then the saved line", () => {
  const out = terminal(200);
  const t = clock();
  const reporter = ttyReporter(out, t.now);
  reporter.onEvent(queued(0, "demo.bin"));
  assert.equal(out.text, "", "nothing to show before the file starts");
  reporter.onEvent(start(0, "demo.bin"));
  assert.deepEqual(out.screen(), ["demo.bin  100 MiB  connecting"]);
  t.advance(100);
  reporter.onEvent(progress(0, 42 * MiB));
  t.advance(50);
  reporter.onEvent(progress(0, 43 * MiB));
  assert.deepEqual(out.screen(), ["demo.bin  42%  42.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn"]);
  assert.doesNotMatch(out.text, /43%/);
  t.advance(50);
  reporter.onEvent(progress(0, 44 * MiB));
  assert.ok(out.screen()[0]!.startsWith("demo.bin  44%"));

  reporter.onEvent(retry(0));
  reporter.onEvent({
    type: "reconnect",
    id: 0,
    bytesPerSecond: 32 * 1024,
    othersBytesPerSecond: 2 * MiB,
  });
  assert.deepEqual(out.screen(), [
    "demo.bin: retry 2 bytes 0-1023 in 1.5 s: socket hang up",
    "demo.bin: reconnecting a connection at 32.0 KiB/s; the others run at 2.00 MiB/s",
    "demo.bin  44%  44.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn",
  ]);
  reporter.onEvent({ type: "verifying", id: 0, algorithms: ["sha256", "crc32c"] });
  assert.equal(out.screen().at(-1), "demo.bin  verifying sha256, crc32c");
  reporter.onEvent(done(0, "demo.bin"));
  reporter.onEvent(summary({ files: 1, saved: 1, verified: 1, fetchedBytes: 100 * MiB }));
  assert.deepEqual(out.screen().slice(2), [
    "saved demo.bin (100 MiB) in 2.0 s, 50.0 MiB/s; verified sha256 (user), crc32c (x-goog-hash)",
    "",
  ]);
  assert.doesNotMatch(out.text, /files/, "one file: no total line and no summary");
  const before = out.text;
  reporter.close();
  assert.equal(out.text, before, "nothing left to clear after the saved line");
  assert.ok(out.fresh());
});

test("tty, a set: a line per active file (at most 8), the rest counted, and a total line", () => {
  const out = terminal(100);
  const t = clock();
  const reporter = ttyReporter(out, t.now);
  for (let id = 0; id < 12; id++) reporter.onEvent(queued(id, `f${id}.bin`));
  assert.equal(out.text, "", "nothing to show before a file starts");
  reporter.onEvent(start(0, "f0.bin"));
  assert.deepEqual(out.screen(), [
    "f0.bin  100 MiB  connecting",
    "0/12 files  0 B / 100 MiB+  0 B/s",
  ]);
  for (let id = 1; id < 10; id++) reporter.onEvent(start(id, `f${id}.bin`));
  t.advance(100);
  for (let id = 0; id < 10; id++) reporter.onEvent(progress(id, 10 * MiB));
  // The first progress after 100 ms drew; the others waited.
  assert.ok(out.screen()[0]!.startsWith("f0.bin  10%"));
  assert.equal(out.screen()[1], "f1.bin  100 MiB  connecting");
  t.advance(100);
  reporter.onEvent(progress(0, 20 * MiB));
  const screen = out.screen();
  assert.equal(screen.length, 10);
  assert.equal(screen[0], "f0.bin  20%  20.0 MiB / 100 MiB  50.0 MiB/s  ETA 2s  8 conn");
  assert.equal(screen[7], "f7.bin  10%  10.0 MiB / 100 MiB  50.0 MiB/s  ETA 2s  8 conn");
  assert.equal(screen[8], "… and 2 more active");
  // Two files not started: their sizes are unknown, so no percent and no ETA yet.
  assert.equal(screen[9], "0/12 files  110 MiB / 1000 MiB+  500 MiB/s");
  // Each redraw climbs back over every line of the block it replaces.
  assert.equal(out.ups.at(-1), 9);
});

test("tty, a set: finished files and failures print above the block, then the summary", () => {
  const out = terminal(120);
  const t = clock();
  const reporter = ttyReporter(out, t.now);
  for (const event of smallSet.slice(0, 6)) {
    t.advance(100);
    reporter.onEvent(event);
  }
  assert.deepEqual(out.screen(), [
    "a.bin: retry 2 bytes 0-1023 in 1.5 s: socket hang up",
    "a.bin  50%  50.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn",
    "0/3 files  50.0 MiB / 100 MiB+  50.0 MiB/s",
  ]);
  reporter.onEvent(smallSet[6]!);
  reporter.onEvent(smallSet[7]!);
  assert.deepEqual(out.screen().slice(1), [
    "skipped b.bin: already saved and verified",
    "parget: HTTP 404 from https://example.com/files/c.bin",
    "a.bin  50%  50.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn",
    "2/3 files  54%  60.0 MiB / 110 MiB  50.0 MiB/s  ETA 1s",
  ]);
  for (const event of smallSet.slice(8)) reporter.onEvent(event);
  reporter.close();
  assert.deepEqual(out.screen().slice(3), [
    "saved a.bin (100 MiB) in 2.0 s, 50.0 MiB/s; verified sha256 (user), crc32c (x-goog-hash)",
    "3 files: 1 saved (1 verified), 1 skipped, 1 failed, 100 MiB in 2.5 s",
    "  example.com/files/c.bin: HTTP 404 from https://example.com/files/c.bin",
    "",
  ]);
  assert.ok(out.fresh());
  assert.equal(out.screen().filter((l) => l.startsWith("parget: ")).length, 1, "one per failure");
});

test("tty: no line of the block reaches the terminal's width, at 40, 60, 80 and 200 columns", () => {
  const long = "a-rather-long-file-name-for-a-nightly-build-2026-12-02-x86_64.tar.zst";
  for (const columns of [40, 60, 80, 200]) {
    const out = terminal(columns);
    const t = clock();
    const reporter = ttyReporter(out, t.now);
    for (let id = 0; id < 3; id++) reporter.onEvent(queued(id, `${id}-${long}`));
    reporter.onEvent(start(0, `0-${long}`));
    reporter.onEvent(start(1, `1-${long}`, null));
    reporter.onEvent(start(2, `2-データのバックアップ-${long}`, 1024 * MiB * 1024));
    for (let step = 1; step <= 5; step++) {
      // Each file's progress gets drawn in turn.
      t.advance(200);
      reporter.onEvent(progress(0, step * 10 * MiB));
      t.advance(200);
      reporter.onEvent(progress(1, step * 10 * MiB, null));
      t.advance(200);
      reporter.onEvent(progress(2, step * 100 * MiB, 1024 * MiB * 1024));
    }
    for (const row of out.screen()) {
      assert.ok(textWidth(row) < columns, `${JSON.stringify(row)} reaches column ${columns}`);
    }
    assert.equal(out.screen().length, 4, "no line wrapped");
    const [first, second, third, total] = out.screen();
    assert.match(first!, columns === 200 ? /^0-a-rather-long/ : /^0-a-rat.*…/);
    // Figures are dropped whole, never cut.
    assert.ok(first!.includes("  50%  "), first);
    assert.ok(second!.includes("  50.0 MiB  "), second);
    assert.ok(third!.startsWith("2-"), third);
    assert.ok(total!.startsWith("0/3 files  "), total);
    if (columns >= 80) {
      assert.ok(first!.endsWith("  50.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn"), first);
    }
    if (columns === 200) assert.ok(first!.startsWith(`0-${long}  `), "room for the whole name");
    reporter.close();
    assert.ok(out.fresh());
  }
});

test("tty: the block never outgrows a short terminal", () => {
  const out = terminal(80, 6);
  const reporter = ttyReporter(out, clock().now);
  for (let id = 0; id < 5; id++) reporter.onEvent(start(id, `f${id}.bin`));
  assert.deepEqual(out.screen(), [
    "f0.bin  100 MiB  connecting",
    "f1.bin  100 MiB  connecting",
    "f2.bin  100 MiB  connecting",
    "… and 2 more active",
    "0/5 files  0%  0 B / 500 MiB  0 B/s",
  ]);
});

test("tty: close() erases a block left by an interrupted set; cancelled files print nothing", () => {
  const out = terminal(80);
  const reporter = ttyReporter(out, clock().now);
  reporter.onEvent(queued(0, "a.bin"));
  reporter.onEvent(queued(1, "b.bin"));
  reporter.onEvent(start(0, "a.bin"));
  reporter.onEvent({ type: "cancelled", id: 0, url: urlOf("a.bin"), path: "/tmp/out/a.bin" });
  assert.deepEqual(out.screen(), ["1/2 files  0 B  0 B/s"]);
  reporter.close();
  assert.deepEqual(out.screen(), [""]);
  assert.ok(out.fresh());
});

// --- plain ---

test("plain: whole lines only, a progress line per 10% but not more than once a second", () => {
  const out = sink();
  const t = clock();
  const reporter = plainReporter(out, t.now);
  reporter.onEvent(queued(0, "demo.bin"));
  reporter.onEvent(start(0, "demo.bin"));
  for (let mib = 1; mib <= 100; mib++) {
    t.advance(50);
    reporter.onEvent(progress(0, mib * MiB));
  }
  reporter.onEvent(done(0, "demo.bin"));
  reporter.onEvent(summary({ files: 1, saved: 1, verified: 1 }));
  reporter.close();
  assert.ok(!out.text.includes("\r") && !out.text.includes("\x1b"));
  const lines = out.text.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "demo.bin: fetching https://example.com/files/demo.bin into /tmp/out/demo.bin (100 MiB, 8 connections)",
  );
  const percents = lines.slice(1, -1).map((l) => /: (\d+)%/.exec(l)?.[1]);
  // 5 s of events at 20 MiB/s of clock time: one line a second, each a new tenth.
  assert.deepEqual(percents, ["20", "40", "60", "80", "100"]);
  assert.match(lines.at(-1) ?? "", /^saved demo\.bin \(100 MiB\)/);

  const adaptive = sink();
  plainReporter(adaptive, t.now).onEvent({
    ...start(0, "demo.bin"),
    connections: 16,
    adaptive: true,
  });
  assert.match(adaptive.text, /\(100 MiB, up to 16 connections, as many as help\)\n$/);
});

test("plain: with an unknown size, a line every 5 s", () => {
  const out = sink();
  const t = clock();
  const reporter = plainReporter(out, t.now);
  reporter.onEvent(start(0, "demo.bin", null));
  for (let s = 1; s <= 12; s++) {
    t.advance(1000);
    reporter.onEvent(progress(0, s * MiB, null));
  }
  const progressLines = out.text.split("\n").filter((l) => l.includes("MiB/s"));
  assert.deepEqual(progressLines, [
    "demo.bin: 5.00 MiB  50.0 MiB/s",
    "demo.bin: 10.0 MiB  50.0 MiB/s",
  ]);
});

test("plain, a set: each file paced on its own, a total line every 5 s, then the summary", () => {
  const out = sink();
  const t = clock();
  const reporter = plainReporter(out, t.now);
  reporter.onEvent(queued(0, "a.bin"));
  reporter.onEvent(queued(1, "b.bin"));
  reporter.onEvent(start(0, "a.bin"));
  reporter.onEvent(start(1, "b.bin"));
  for (let s = 1; s <= 6; s++) {
    t.advance(1000);
    reporter.onEvent(progress(0, s * 15 * MiB));
    reporter.onEvent(progress(1, s * 15 * MiB));
  }
  reporter.onEvent(done(0, "a.bin"));
  reporter.onEvent(failed(1, "b.bin"));
  reporter.onEvent(
    summary({ files: 2, saved: 1, verified: 1, failed: 1, fetchedBytes: 100 * MiB, exitCode: 5 }),
  );
  reporter.close();
  const lines = out.text.trimEnd().split("\n");
  for (const name of ["a.bin", "b.bin"]) {
    const mine = lines.filter((l) => l.startsWith(`${name}: `)).map((l) => /: (\d+)%/.exec(l)?.[1]);
    assert.deepEqual(mine, [undefined, "15", "30", "45", "60", "75", "90"], name);
  }
  // The first progress starts the clock; 5 s later, one total line.
  assert.deepEqual(
    lines.filter((l) => /^\d+\/\d+ files/.test(l)),
    ["0/2 files  82%  165 MiB / 200 MiB  100 MiB/s  ETA 0s"],
  );
  assert.deepEqual(lines.slice(-4), [
    "saved a.bin (100 MiB) in 2.0 s, 50.0 MiB/s; verified sha256 (user), crc32c (x-goog-hash)",
    "parget: HTTP 404 from https://example.com/files/b.bin",
    "2 files: 1 saved (1 verified), 1 failed, 100 MiB in 1.0 s",
    "  b.bin: HTTP 404 from https://example.com/files/b.bin",
  ]);
  assert.equal(out.text.match(/^parget: /gm)?.length, 1, "one line per failure");
});

test("a result with nothing to verify says so", () => {
  const out = sink();
  plainReporter(out).onEvent({
    type: "done",
    id: 0,
    result: { ...result("demo.bin"), verified: [], resumedBytes: 60 * MiB },
  });
  assert.equal(
    out.text,
    "saved demo.bin (100 MiB) in 2.0 s, 20.0 MiB/s after resuming at 60.0 MiB; not verified (no checksum given or announced)\n",
  );
});

test("the summary counts each outcome, and lists every failure with its reason", () => {
  const out = sink();
  const reporter = plainReporter(out);
  for (let id = 0; id < 12; id++) reporter.onEvent(queued(id, `f${id}.bin`));
  for (let id = 0; id < 9; id++) {
    const saved = done(id, `f${id}.bin`);
    // Two of the nine had no digest to check.
    reporter.onEvent(id < 2 ? { ...saved, result: { ...saved.result, verified: [] } } : saved);
  }
  reporter.onEvent({ type: "skipped", id: 9, result: result("f9.bin") });
  reporter.onEvent({ type: "skipped", id: 10, result: result("f10.bin") });
  reporter.onEvent(failed(11, "f11.bin", new Error("disk full\nwhile writing")));
  reporter.onEvent(
    summary({
      files: 12,
      saved: 9,
      verified: 9,
      skipped: 2,
      failed: 1,
      fetchedBytes: 2.1 * 1024 * MiB,
      elapsedMs: 14_200,
      exitCode: 3,
    }),
  );
  assert.deepEqual(out.text.trimEnd().split("\n").slice(-2), [
    "12 files: 9 saved (7 verified), 2 skipped, 1 failed, 2.10 GiB in 14.2 s",
    // Failed before its start: named by its URL.
    "  example.com/files/f11.bin: disk full while writing",
  ]);
});

// --- json ---

test("json: one object per line, each with its id and url; progress at most once a second per file", () => {
  const out = sink();
  const err = sink();
  const t = clock();
  const reporter = jsonReporter(out, err, t.now);
  reporter.onEvent(queued(0, "a.bin"));
  reporter.onEvent(queued(1, "b.bin"));
  reporter.onEvent(retry(1));
  reporter.onEvent(start(0, "a.bin"));
  reporter.onEvent(progress(0, 10 * MiB));
  reporter.onEvent(progress(1, 10 * MiB));
  t.advance(500);
  reporter.onEvent(progress(0, 20 * MiB));
  t.advance(600);
  reporter.onEvent(progress(0, 30 * MiB));
  reporter.onEvent(done(0, "a.bin"));
  reporter.onEvent(failed(1, "b.bin"));
  reporter.onEvent(summary({ files: 2, saved: 1, failed: 1, exitCode: 5 }));
  reporter.close();

  assert.ok(out.text.endsWith("\n"));
  assert.doesNotMatch(out.text, /secret/);
  const lines = out.text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => [l["type"], l["id"]]),
    [
      ["retry", 1],
      ["start", 0],
      ["progress", 0],
      ["progress", 1],
      ["progress", 0],
      ["done", 0],
      ["error", 1],
      ["summary", undefined],
    ],
  );
  assert.deepEqual(
    lines.slice(0, -1).map((l) => l["url"]),
    [1, 0, 0, 1, 0, 0, 1].map((id) => `https://example.com/files/${"ab"[id]}.bin`),
  );
  assert.deepEqual(lines[0]?.["range"], [0, 1023]);
  assert.equal(lines[1]?.["finalUrl"], "https://cdn.example.com/a.bin");
  assert.equal(lines[4]?.["bytes"], 30 * MiB);
  assert.equal(lines[5]?.["path"], "/tmp/out/a.bin");
  assert.deepEqual(lines[6], {
    type: "error",
    id: 1,
    url: "https://example.com/files/b.bin",
    code: "PARGET_HTTP_STATUS",
    exitCode: 5,
    message: "HTTP 404 from https://example.com/files/b.bin",
  });
  assert.deepEqual(lines[7], {
    type: "summary",
    files: 2,
    saved: 1,
    verified: 0,
    skipped: 0,
    failed: 1,
    cancelled: 0,
    fetchedBytes: 0,
    elapsedMs: 1000,
    exitCode: 5,
  });
  // stdout holds JSON only; the failure's line goes to stderr, once.
  assert.equal(err.text, "parget: HTTP 404 from https://example.com/files/b.bin\n");
});

test("json: skipped and cancelled files, and an error that is not a PargetError", () => {
  const out = sink();
  const err = sink();
  const reporter = jsonReporter(out, err);
  reporter.onEvent({ type: "skipped", id: 3, result: result("s.bin", 5) });
  reporter.onEvent({ type: "cancelled", id: 4, url: urlOf("c.bin"), path: null });
  reporter.onEvent(failed(5, "x.bin", new Error("boom")));
  const lines = out.text
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(lines, [
    {
      type: "skipped",
      id: 3,
      url: "https://example.com/files/s.bin",
      path: "/tmp/out/s.bin",
      size: 5,
      verified: result("s.bin").verified,
    },
    { type: "cancelled", id: 4, url: "https://example.com/files/c.bin" },
    {
      type: "error",
      id: 5,
      url: "https://example.com/files/x.bin",
      code: null,
      exitCode: 1,
      message: "boom",
    },
  ]);
  assert.equal(err.text, "parget: boom\n");
});

test("json: a single download's output is as before sets, ending with done or error", () => {
  const out = sink();
  const reporter = jsonReporter(out, sink());
  reporter.onEvent(queued(0, "a.bin"));
  reporter.onEvent(start(0, "a.bin"));
  reporter.onEvent(done(0, "a.bin"));
  reporter.onEvent(summary({ files: 1, saved: 1 }));
  const types = out.text
    .trimEnd()
    .split("\n")
    .map((l) => (JSON.parse(l) as { type: string }).type);
  assert.deepEqual(types, ["start", "done"]);
});

// --- quiet, and every mode ---

test("quiet: the failures' lines and nothing else", () => {
  const err = sink();
  const reporter = quietReporter(err);
  for (const event of smallSet) reporter.onEvent(event);
  reporter.close();
  assert.equal(err.text, "parget: HTTP 404 from https://example.com/files/c.bin\n");
});

test("createReporter: --json wins, then -q, then the terminal decides", () => {
  const stdout = sink();
  const tty = terminal(80);
  const pipe = sink();
  createReporter({ json: true, quiet: true }, { stdout, stderr: tty }).onEvent(start(0, "a.bin"));
  assert.match(stdout.text, /^\{"type":"start","id":0,/);
  const quiet = createReporter({ json: false, quiet: true }, { stdout, stderr: tty });
  quiet.onEvent(start(0, "a.bin"));
  quiet.onEvent(failed(0, "a.bin"));
  assert.equal(tty.text, "parget: HTTP 404 from https://example.com/files/a.bin\n");
  createReporter({ json: false, quiet: false }, { stdout, stderr: tty }).onEvent(start(0, "a.bin"));
  assert.equal(tty.screen().at(-1), "a.bin  100 MiB  connecting");
  createReporter({ json: false, quiet: false }, { stdout, stderr: pipe }).onEvent(
    start(0, "a.bin"),
  );
  assert.match(pipe.text, /^a\.bin: fetching/);
});

test("every reporter hides credentials and a presigned URL's signature", () => {
  const signed =
    "https://user:hunter2@b.s3.test/k.bin?X-Amz-Date=20260101T000000Z&X-Amz-Signature=sig123";
  const signedResult = { ...result("k.bin"), url: signed, finalUrl: signed };
  const error = new Error(`HTTP 403 from ${signed}: AccessDenied`);
  const events: SetEvent[] = [
    { type: "queued", id: 0, url: signed },
    { type: "queued", id: 1, url: signed },
    { type: "queued", id: 2, url: signed },
    { type: "queued", id: 3, url: signed },
    { ...retry(0), reason: `HTTP 503 from ${signed}` },
    { ...start(0, "k.bin"), url: signed, finalUrl: signed },
    { type: "restart", id: 0, reason: `changed at ${signed}` },
    { type: "done", id: 0, result: signedResult },
    { type: "skipped", id: 1, result: signedResult },
    { type: "failed", id: 2, url: signed, path: null, error },
    { type: "cancelled", id: 3, url: signed, path: null },
    summary({ files: 4, saved: 1, skipped: 1, failed: 1, cancelled: 1, exitCode: 5 }),
  ];
  for (const mode of ["json", "plain", "tty", "quiet"]) {
    const stdout = sink();
    const tty = terminal(200);
    const pipe = sink();
    const stderr = mode === "tty" ? tty : pipe;
    const reporter = createReporter(
      { json: mode === "json", quiet: mode === "quiet" },
      { stdout, stderr },
    );
    for (const event of events) reporter.onEvent(event);
    reporter.close();
    const all = stdout.text + stderr.text;
    assert.doesNotMatch(all, /sig123|hunter2/, mode);
    assert.match(all, /X-Amz-Signature=REDACTED/, mode);
    // On a terminal, what stays on the screen: the redraws erase the rest.
    const lines = mode === "tty" ? tty.screen() : pipe.text.split("\n");
    assert.equal(lines.filter((l) => l.startsWith("parget: ")).length, 1, mode);
  }
  assert.equal(
    errorMessage(error),
    "HTTP 403 from https://b.s3.test/k.bin?X-Amz-Date=20260101T000000Z&X-Amz-Signature=REDACTED: AccessDenied",
  );
});

test("errorMessage is one line without credentials", () => {
  const err = new Error(
    "failed to reach https://alice:hunter2@example.com/f\n  at the second line",
  );
  assert.equal(errorMessage(err), "failed to reach https://example.com/f at the second line");
  assert.equal(errorMessage("plain string"), "plain string");
});

test("before the start event, a file is named by its URL's host and path", () => {
  const url = "https://user:secret@example.com:8443/dir/demo.bin?X-Amz-Signature=abc";
  const events: SetEvent[] = [
    { type: "queued", id: 0, url },
    { type: "queued", id: 1, url: "https://example.com/other.bin" },
    { ...retry(0), range: null },
  ];
  const plain = sink();
  const plainOne = plainReporter(plain);
  for (const event of events) plainOne.onEvent(event);
  assert.equal(plain.text, "example.com:8443/dir/demo.bin: retry 2 in 1.5 s: socket hang up\n");

  const tty = terminal(200);
  const ttyOne = ttyReporter(tty);
  for (const event of events) ttyOne.onEvent(event);
  assert.deepEqual(tty.screen(), [
    "example.com:8443/dir/demo.bin: retry 2 in 1.5 s: socket hang up",
    "example.com:8443/dir/demo.bin  connecting",
    "0/2 files  0 B  0 B/s",
  ]);

  const json = sink();
  const jsonOne = jsonReporter(json, sink());
  for (const event of events) jsonOne.onEvent(event);
  const line = JSON.parse(json.text) as { type: string; url: string };
  assert.equal(line.type, "retry");
  assert.doesNotMatch(line.url, /secret|abc/);
  assert.match(line.url, /^https:\/\/example\.com:8443\/dir\/demo\.bin/);
});

// --- the set's totals ---

test("totals: sizes known so far, failed files left out, an ETA only when every size is known", () => {
  const view = new SetView();
  view.apply(queued(0, "a.bin"));
  view.apply(queued(1, "b.bin"));
  view.apply(queued(2, "c.bin"));
  view.apply(start(0, "a.bin"));
  view.apply(progress(0, 40 * MiB));
  assert.deepEqual(view.totals(), {
    files: 3,
    finished: 0,
    bytes: 40 * MiB,
    size: 100 * MiB,
    sizeUnknown: true,
    bytesPerSecond: 50 * MiB,
    etaSeconds: null,
  });
  view.apply(failed(1, "b.bin"));
  view.apply({ type: "skipped", id: 2, result: result("c.bin", 10 * MiB) });
  assert.deepEqual(view.totals(), {
    files: 3,
    finished: 2,
    bytes: 50 * MiB,
    size: 110 * MiB,
    sizeUnknown: false,
    bytesPerSecond: 50 * MiB,
    etaSeconds: 60 / 50,
  });
  assert.deepEqual(view.failures, [
    { name: "example.com/files/b.bin", message: "HTTP 404 from https://example.com/files/b.bin" },
  ]);
  view.apply({ type: "restart", id: 0, reason: "changed" });
  assert.equal(view.totals().bytes, 10 * MiB, "a restart starts the file from zero");
});
