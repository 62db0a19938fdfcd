import { test } from "node:test";
import assert from "node:assert/strict";
import {
  IN_FLIGHT_MAX,
  MIN_STEAL,
  SERVER_BOUND,
  WASTE_FLOOR,
  affordable,
  inFlight,
  isStraggler,
  raceWaste,
  roughSpeed,
  readerBehind,
  stealWaste,
  shouldReplace,
  stealMinimum,
  stealShare,
  worthStealing,
  type ResponseSoFar,
} from "../../src/core/tail.js";

// Speeds in bytes per millisecond: 1024 is 1 MiB/s.
const MiBps = 1024;

test("steal share: half between equals and unknowns, by speed from a much slower lane", () => {
  const cases: [number | undefined, number | undefined, number][] = [
    [undefined, 4 * MiBps, 0.5],
    [4 * MiBps, undefined, 0.5],
    [4 * MiBps, 4 * MiBps, 0.5],
    [4 * MiBps, 7 * MiBps, 0.5], // under twice as fast: noise, not a straggler
    [1 * MiBps, 3 * MiBps, 0.75],
    [64, 4 * MiBps, (4 * MiBps) / (64 + 4 * MiBps)],
  ];
  for (const [theirs, mine, share] of cases)
    assert.equal(stealShare(theirs, mine), share, `${theirs} vs ${mine}`);
});

test("worth stealing only from a lane that will not finish within 50 ms, or 4 request latencies", () => {
  assert.equal(worthStealing(undefined, 1), true);
  assert.equal(worthStealing(MiBps, 40 * MiBps), false); // 40 ms left
  assert.equal(worthStealing(MiBps, 60 * MiBps), true); // 60 ms left
  // 40 ms away, a new request needs 160 ms to be worth it.
  assert.equal(worthStealing(MiBps, 150 * MiBps, 40), false);
  assert.equal(worthStealing(MiBps, 170 * MiBps, 40), true);
});

test("a straggler needs over 80 ms (or 4 latencies) and over twice the idle lane's time", () => {
  const left = 1024 * 1024;
  assert.equal(isStraggler(undefined, 4 * MiBps, left), false);
  assert.equal(isStraggler(64, undefined, left), false);
  assert.equal(isStraggler(64, 4 * MiBps, left), true); // 16 s against 0.25 s
  assert.equal(isStraggler(3 * MiBps, 4 * MiBps, 4 * left), false); // 1.4 s, but under twice 1 s
  assert.equal(isStraggler(64, 4 * MiBps, 4 * 1024), false); // 64 ms: finishing anyway
  assert.equal(isStraggler(MiBps, 16 * MiBps, 100 * MiBps), true); // 100 ms against 6 ms
  // The idle lane's request latency counts against it: 40 ms away, 100 ms left is not worth it,
  // nor is 400 ms left when the request alone would take 300.
  assert.equal(isStraggler(MiBps, 16 * MiBps, 100 * MiBps, 40), false);
  assert.equal(isStraggler(MiBps, 16 * MiBps, 400 * MiBps, 300), false);
  assert.equal(isStraggler(MiBps, 16 * MiBps, 400 * MiBps, 40), true);
});

test("steal minimum: 50 ms of the thief's transfer (4 latencies if longer), at least 64 KiB", () => {
  assert.equal(stealMinimum(1), MIN_STEAL);
  assert.equal(stealMinimum(8 * MiBps), 8 * MiBps * 50);
  assert.equal(stealMinimum(8 * MiBps, 40), 8 * MiBps * 160);
});

test("replace a connection over 3 times slower than the median, judged for 1 s, 2 s from the end", () => {
  const question = {
    speed: 1 * MiBps,
    measuredMs: 1500,
    others: [8 * MiBps, 8 * MiBps, 16 * MiBps],
    left: 256 * 1024 * 1024,
    replaced: 0,
  };
  assert.equal(shouldReplace(question), true);
  assert.equal(shouldReplace({ ...question, speed: 3 * MiBps }), false, "under 3x slower");
  assert.equal(shouldReplace({ ...question, measuredMs: 900 }), false, "not judged long enough");
  assert.equal(shouldReplace({ ...question, others: [8 * MiBps, 8 * MiBps] }), false, "no median");
  // 33 MiB/s in all: 64 MiB is under 2 s of the download, not worth a new connection.
  assert.equal(shouldReplace({ ...question, left: 64 * 1024 * 1024 }), false, "nearly done");
  assert.equal(shouldReplace({ ...question, replaced: 2 }), false, "replaced twice already");
  // The median, not the fastest: one fast lane does not make every other one slow.
  assert.equal(
    shouldReplace({ ...question, speed: 2 * MiBps, others: [2 * MiBps, 2 * MiBps, 64 * MiBps] }),
    false,
  );
});

const MiB = 1024 * 1024;

/** A response that brought `speed` for `ms`, its reader waiting `waited` of the time. */
const paced = (speed: number, ms = 1000, waited = 0.9): ResponseSoFar => ({
  bytes: speed * ms,
  ms,
  waitedMs: waited * ms,
});

test("in flight: 50 ms of a response its reader waits for, the most while its reader does not", () => {
  const cases: [string, ResponseSoFar | undefined, number][] = [
    ["nothing yet", undefined, IN_FLIGHT_MAX],
    ["a trickle", paced(64), 64 * 50],
    ["a CDN's 8 MiB/s connection", paced(8 * MiBps), 400 * 1024],
    ["a fast server", paced(125 * MiBps), IN_FLIGHT_MAX],
    // A reader held up by its disk or CPU has the buffers full, however slow it reads.
    ["a reader that is behind", paced(8 * MiBps, 1000, 0.2), IN_FLIGHT_MAX],
    // Younger than 50 ms: a server may have written the whole range before the first read.
    ["a young response", paced(4 * MiBps, 20), IN_FLIGHT_MAX],
  ];
  for (const [name, sofar, bytes] of cases) assert.equal(inFlight(sofar), bytes, name);
  assert.equal(inFlight(paced(8 * MiBps, 1000, SERVER_BOUND)), 400 * 1024, "waited just enough");
});

test("rough speed: what a response brought over its time, over 50 ms at least", () => {
  assert.equal(roughSpeed(paced(4 * MiBps, 100)), 4 * MiBps);
  // A paced response's first burst, 2 ms after its first byte, is not 100 MiB/s.
  assert.equal(roughSpeed({ bytes: 200 * 1024, ms: 2, waitedMs: 1 }), 4 * MiBps);
  assert.equal(roughSpeed(undefined), undefined);
});

test("a steal wastes what the victim has on its way, never more than it takes", () => {
  assert.equal(stealWaste(paced(64), 4 * MiB), 64 * 50);
  assert.equal(stealWaste(paced(125 * MiBps), 4 * MiB), IN_FLIGHT_MAX);
  assert.equal(stealWaste(undefined, 256 * 1024), 256 * 1024);
  // The case that made nginx send 1.046x a 64 MiB file: 190 KiB read in its first 20 ms, with
  // the whole 4 MiB range already written into the buffers.
  assert.equal(stealWaste({ bytes: 194048, ms: 20, waitedMs: 1 }, 2 * MiB), 2 * MiB);
});

test("a race wastes what the straggler brings until the racer is done, then its buffers", () => {
  // 1 MiB left at 64 B/ms against 4 MiB/s: 256 ms of the straggler, 16 KiB, and 3.2 KiB in flight.
  assert.equal(raceWaste(paced(64), 4 * MiBps, MiB), 64 * 256 + 64 * 50);
  // With 40 ms to the racer's first byte, 40 ms more of it.
  assert.equal(raceWaste(paced(64), 4 * MiBps, MiB, 40), 64 * 296 + 64 * 50);
  // Never more than the rest, plus what was on its way; all of it if a speed is unknown.
  assert.equal(raceWaste(paced(3 * MiBps), 3 * MiBps, MiB), MiB + 150 * 1024);
  assert.equal(raceWaste(undefined, 4 * MiBps, MiB), MiB);
  // A straggler whose reader does not wait for it has its buffers full.
  assert.equal(raceWaste(paced(64, 1000, 0.1), 4 * MiBps, MiB), 64 * 256 + IN_FLIGHT_MAX);
});

test("waste budget: 2% of the file, at least 1 MiB, over every steal and race together", () => {
  const size = 1024 * MiB;
  assert.equal(affordable(20 * MiB, 0, size), true);
  assert.equal(affordable(MiB, 20 * MiB, size), false);
  assert.equal(affordable(4 * MiB, 0, 64 * MiB), false); // a fast victim of a 64 MiB file
  assert.equal(affordable(200 * 1024, MiB, 64 * MiB), true);
  assert.equal(affordable(WASTE_FLOOR, 0, 4 * MiB), true);
  assert.equal(affordable(WASTE_FLOOR + 1, 0, 4 * MiB), false);
});

test("the reader is behind: its event loop busy 90% of a window, or a limit holding its lanes", () => {
  const quiet = { ms: 100, busyMs: 50, heldMs: 0, lanes: 4 };
  assert.equal(readerBehind(quiet), false);
  assert.equal(readerBehind({ ...quiet, busyMs: 90 }), true);
  assert.equal(readerBehind({ ...quiet, busyMs: 89 }), false);
  // Held a tenth of the four lanes' 400 ms: the limit binds.
  assert.equal(readerBehind({ ...quiet, heldMs: 40 }), true);
  assert.equal(readerBehind({ ...quiet, heldMs: 39 }), false);
  assert.equal(readerBehind({ ...quiet, ms: 0 }), false);
});
