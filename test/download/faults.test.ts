import assert from "node:assert/strict";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { download, type DownloadOptions, type DownloadResult } from "../../src/index.js";
import type { FaultRule, RangeServer } from "../../src/server/index.js";
import { serve } from "../helpers/server.js";
import {
  assertContent,
  Events,
  exists,
  generated,
  KiB,
  listing,
  MiB,
  rejectsWith,
  tempDir,
} from "./fixtures.js";

const SIZE = 4 * MiB + 321;

interface Run {
  server: RangeServer;
  dir: string;
  events: Events;
  result: Promise<DownloadResult>;
}

/**
 * Downloads /f.bin from a server with `faults`. With `afterProbe`, the rules are set only once
 * the probe has been answered (the "start" event), so they act on the other lanes' requests.
 */
async function faulty(
  t: TestContext,
  seed: string,
  faults: FaultRule[],
  options: DownloadOptions & { afterProbe?: boolean; size?: number } = {},
): Promise<Run> {
  const { afterProbe = false, size = SIZE, ...rest } = options;
  const server = await serve(t, {
    files: { "/f.bin": generated(seed, size, afterProbe ? {} : { faults }) },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = download(server.url("/f.bin"), {
    dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 5,
    ...rest,
    onEvent: (event) => {
      events.onEvent(event);
      if (afterProbe && event.type === "start") server.setFaults("/f.bin", faults);
    },
  });
  // A rejection is inspected later; until then it must not count as unhandled.
  result.catch(() => {});
  return { server, dir, events, result };
}

/** The download ends with the identical file, nothing else in the directory, after retries. */
async function succeeds(run: Run, seed: string, size = SIZE): Promise<DownloadResult> {
  const result = await run.result;
  await assertContent(result.path, seed, size);
  assert.deepEqual(await listing(run.dir), [path.basename(result.path)]);
  assert.ok(run.events.of("retry").length > 0, "the faults caused retries");
  return result;
}

function faultCount(server: RangeServer, kind: FaultRule["kind"]): number {
  return server.stats.requestLog.filter((entry) => entry.fault === kind).length;
}

test("connection resets mid-body (30% of range requests) are retried", async (t) => {
  const run = await faulty(t, "resets", [
    { kind: "reset", afterBytes: 48 * KiB, which: "range", probability: 0.3 },
  ]);
  await succeeds(run, "resets");
  assert.ok(faultCount(run.server, "reset") > 0);
});

test("truncated bodies (a clean close short of the length) are retried from where they stopped", async (t) => {
  const run = await faulty(t, "truncate", [
    { kind: "truncate", afterBytes: 100_000, which: "range", times: 3 },
  ]);
  await succeeds(run, "truncate");
  assert.equal(faultCount(run.server, "truncate"), 3);
  // A retry resumes the range at its first missing byte, not at its start.
  const retried = run.events.of("retry").filter((e) => e.range !== null);
  assert.ok(retried.length > 0);
});

for (const status of [500, 502, 503]) {
  test(`${status} twice, then success`, async (t) => {
    const run = await faulty(t, `status-${status}`, [{ kind: "status", status, times: 2 }]);
    await succeeds(run, `status-${status}`);
    assert.equal(run.server.stats.statuses[status], 2);
    assert.ok(run.events.of("retry").every((e) => e.reason.includes(String(status))));
  });
}

test("429 with Retry-After on the probe: the retry waits at least that long", async (t) => {
  const run = await faulty(t, "429", [
    { kind: "status", status: 429, retryAfter: "1", which: "first" },
  ]);
  await succeeds(run, "429");
  const [retry] = run.events.of("retry");
  assert.equal(retry?.range, null, "the probe was retried");
  assert.ok((retry?.delayMs ?? 0) >= 1000, `delay ${retry?.delayMs}`);
});

test("503 with Retry-After on a range request: the retry waits at least that long", async (t) => {
  const run = await faulty(
    t,
    "503-ra",
    [{ kind: "status", status: 503, retryAfter: "1", times: 1 }],
    {
      afterProbe: true,
    },
  );
  await succeeds(run, "503-ra");
  const retries = run.events.of("retry");
  assert.equal(retries.length, 1);
  assert.notEqual(retries[0]?.range, null, "a lane's range was retried");
  assert.ok((retries[0]?.delayMs ?? 0) >= 1000, `delay ${retries[0]?.delayMs}`);
});

const misranges: [string, FaultRule][] = [
  ["a shifted Content-Range (wrong-range)", { kind: "wrong-range", shift: 4096, times: 3 }],
  ["half the asked range (other-range)", { kind: "other-range", times: 3 }],
  ["a multipart/byteranges answer", { kind: "multipart", times: 3 }],
];
for (const [what, fault] of misranges) {
  test(`${what} on range requests is never written`, async (t) => {
    const seed = `mis-${fault.kind}`;
    const run = await faulty(t, seed, [fault], { afterProbe: true });
    await succeeds(run, seed);
    assert.equal(faultCount(run.server, fault.kind), 3);
  });

  // A multipart probe is not retried but read as a plain stream: see the test below.
  if (fault.kind === "multipart") continue;
  test(`${what} on the probe is never written`, async (t) => {
    const seed = `mis-probe-${fault.kind}`;
    const run = await faulty(t, seed, [{ ...fault, which: "first" }]);
    await succeeds(run, seed);
    assert.equal(faultCount(run.server, fault.kind), 1);
  });
}

test("a server that answers every range with multipart/byteranges is read as one plain stream", async (t) => {
  // The truncation hits the plain stream once, so its retry must ask without a Range too.
  const run = await faulty(t, "multipart-only", [
    { kind: "multipart" },
    { kind: "truncate", afterBytes: MiB, times: 1 },
  ]);
  const result = await succeeds(run, "multipart-only");
  assert.equal(result.ranges, false);
  assert.equal(run.events.of("start")[0]?.ranges, false);
  const log = run.server.stats.requestLog;
  assert.equal(faultCount(run.server, "multipart"), 1, "only the probe drew a multipart answer");
  assert.deepEqual(
    log.slice(1).map((entry) => entry.range),
    [undefined, undefined],
    "the stream and its retry ask for the whole file",
  );
});

test("a stalled body is abandoned after the idle timeout and retried", async (t) => {
  // One connection: no idle lane can race the stalled one, so only the timeout can end it.
  const run = await faulty(
    t,
    "stall",
    [{ kind: "stall", afterBytes: 32 * KiB, which: "all", times: 2 }],
    { idleTimeoutMs: 500, connections: 1 },
  );
  await succeeds(run, "stall");
  assert.equal(faultCount(run.server, "stall"), 2);
});

test("a stalled body among several lanes is raced by an idle lane, not waited out", async (t) => {
  // The idle timeout is far out of reach of a download that takes a second or two: if it fires,
  // the stall was waited out, and the retry it causes fails the test.
  const run = await faulty(
    t,
    "stall-hedged",
    [{ kind: "stall", afterBytes: 32 * KiB, which: "range", times: 1 }],
    { idleTimeoutMs: 120_000, afterProbe: true },
  );
  const result = await run.result;
  await assertContent(result.path, "stall-hedged", SIZE);
  const log = run.server.stats.requestLog;
  const stalled = log.filter((e) => e.fault === "stall");
  assert.equal(stalled.length, 1);
  const [first, last] = closedRange(stalled[0]!.range);
  const raced = log
    .filter((e) => e !== stalled[0] && e.range !== "bytes=0-")
    .map((e) => closedRange(e.range))
    .filter(([start, end]) => first <= start && start <= last && last <= end);
  assert.ok(raced.length > 0, `nobody else fetched the end of the stalled range ${first}-${last}`);
  assert.equal(run.events.of("retry").length, 0, "no timeout fired: the stall was raced");
});

/** The first and last byte of a `bytes=a-b` request. */
function closedRange(range: string | undefined): [number, number] {
  const match = /^bytes=(\d+)-(\d+)$/.exec(range ?? "");
  assert.ok(match, `not a closed range: ${range}`);
  return [Number(match[1]), Number(match[2])];
}

for (const status of [404, 403, 401, 410]) {
  test(`${status} fails fast: one request, no retry, nothing on disk`, async (t) => {
    const run = await faulty(t, `fatal-${status}`, [{ kind: "status", status }]);
    const error = await rejectsWith(run.result, "PARGET_HTTP_STATUS", 5);
    assert.equal(error.name, "HttpStatusError");
    assert.equal((error as unknown as { status: number }).status, status);
    assert.equal(run.server.stats.requests, 1);
    assert.equal(run.events.of("retry").length, 0);
    assert.deepEqual(await listing(run.dir), []);
  });
}

test("a missing file (a real 404) fails fast too", async (t) => {
  const server = await serve(t, {});
  const dir = await tempDir(t);
  await rejectsWith(
    download(server.url("/nope.bin"), { dir, connections: 4, retries: 5 }),
    "PARGET_HTTP_STATUS",
    5,
  );
  assert.equal(server.stats.requests, 1);
  assert.deepEqual(await listing(dir), []);
});

test("retries exhausted: exit 5, the partial data and its state are kept for a rerun", async (t) => {
  const run = await faulty(t, "exhausted", [{ kind: "status", status: 503 }], {
    afterProbe: true,
    retries: 2,
  });
  await rejectsWith(run.result, "PARGET_HTTP_STATUS", 5);
  const final = path.join(run.dir, "f.bin");
  assert.equal(await exists(final), false);
  assert.equal(await exists(`${final}.parget`), true);
  assert.equal(await exists(`${final}.parget.state`), true);
  assert.ok(run.events.of("retry").length >= 2);

  // The rules cleared, a rerun keeps what the first run wrote.
  run.server.setFaults("/f.bin", []);
  const result = await download(run.server.url("/f.bin"), {
    dir: run.dir,
    connections: 4,
    minSplitSize: 64 * KiB,
    retries: 2,
  });
  assert.ok(result.resumedBytes > 0, "the probe lane's bytes were kept");
  await assertContent(final, "exhausted", SIZE);
});

test("every request 503 with retries: 2: three tries of the probe, then exit 5", async (t) => {
  const run = await faulty(t, "all-503", [{ kind: "status", status: 503 }], { retries: 2 });
  await rejectsWith(run.result, "PARGET_HTTP_STATUS", 5);
  assert.equal(run.server.stats.requests, 3);
  assert.equal(run.events.of("retry").length, 2);
  assert.equal(await exists(path.join(run.dir, "f.bin")), false);
});

test("without ranges, a reset mid-body re-reads the stream and skips what is written", async (t) => {
  const size = 2 * MiB;
  const server = await serve(t, {
    files: {
      "/f.bin": generated("no-ranges-reset", size, {
        ranges: "no",
        faults: [{ kind: "reset", afterBytes: MiB, times: 1 }],
      }),
    },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    retries: 2,
    onEvent: events.onEvent,
  });
  assert.equal(result.ranges, false);
  await assertContent(result.path, "no-ranges-reset", size);
  assert.equal(server.stats.requests, 2);
  assert.ok(events.of("retry").length > 0);
});

test("a stream of unknown length (chunked, no ranges) cut short is retried from the start", async (t) => {
  const size = 2 * MiB;
  const server = await serve(t, {
    files: {
      "/f.bin": generated("chunked-cut", size, {
        ranges: "no",
        chunked: true,
        faults: [{ kind: "truncate", afterBytes: MiB, times: 1 }],
      }),
    },
  });
  const dir = await tempDir(t);
  const events = new Events();
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    retries: 2,
    onEvent: events.onEvent,
  });
  await assertContent(result.path, "chunked-cut", size);
  assert.equal(server.stats.requests, 2);
  assert.ok(events.of("retry").length > 0);
});

test("a 404 on a range request mid-download fails fast with exit 5 and keeps the state", async (t) => {
  const run = await faulty(t, "gone", [{ kind: "status", status: 404, times: 1 }], {
    afterProbe: true,
  });
  await rejectsWith(run.result, "PARGET_HTTP_STATUS", 5);
  assert.equal(run.server.stats.statuses[404], 1);
  assert.equal(run.events.of("retry").length, 0);
  const final = path.join(run.dir, "f.bin");
  assert.equal(await exists(final), false);
  assert.equal(await exists(`${final}.parget.state`), true);
});
