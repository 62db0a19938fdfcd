import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BURST_MS,
  FIRST_READ,
  TokenBucket,
  idleTimeoutWithin,
  lanesWithin,
} from "../../src/core/rate-limit.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** One step of a script: at `at` ms, do something to the bucket and expect what it answers. */
type Step =
  | { at: number; reserve: number; wait: number }
  | { at: number; settle: number }
  | { at: number; rate: number | undefined }
  | { at: number; ticket: number; wait: number };

/** Runs a script against a bucket at `rate` made at 0 ms; tickets are numbered from 0. */
function run(rate: number | undefined, steps: Step[]): void {
  const bucket = new TokenBucket(rate, 0);
  const tickets: number[] = [];
  for (const [i, step] of steps.entries()) {
    if ("reserve" in step) {
      const ticket = bucket.reserve(step.reserve, step.at);
      tickets.push(ticket);
      assert.equal(bucket.waitMs(ticket, step.at), step.wait, `step ${i}: reserve`);
    } else if ("settle" in step) {
      bucket.settle(step.settle, step.at);
    } else if ("rate" in step) {
      bucket.setRate(step.rate, step.at);
    } else {
      assert.equal(bucket.waitMs(tickets[step.ticket]!, step.at), step.wait, `step ${i}: wait`);
    }
  }
}

const cases: { name: string; rate: number | undefined; steps: Step[] }[] = [
  {
    name: "no limit: nothing ever waits",
    rate: undefined,
    steps: [
      { at: 0, reserve: 10 * MiB, wait: 0 },
      { at: 0, reserve: 10 * MiB, wait: 0 },
    ],
  },
  {
    name: "0 is no limit",
    rate: 0,
    steps: [{ at: 0, reserve: MiB, wait: 0 }],
  },
  {
    // 1000 B/s: a burst of 100 bytes (BURST_MS), then 1 ms a byte.
    name: "a new limit starts with its burst, then paces",
    rate: 1000,
    steps: [
      { at: 0, reserve: 100, wait: 0 },
      { at: 0, reserve: 100, wait: 100 },
      { at: 0, reserve: 300, wait: 400 },
    ],
  },
  {
    name: "lanes are let through one after another, in the order they asked",
    rate: 1000,
    steps: [
      { at: 0, reserve: 500, wait: 400 },
      { at: 0, reserve: 500, wait: 900 },
      { at: 0, reserve: 500, wait: 1400 },
      { at: 400, ticket: 0, wait: 0 },
      { at: 400, ticket: 1, wait: 500 },
      { at: 1400, ticket: 2, wait: 0 },
    ],
  },
  {
    name: "a read that brought more than it reserved delays the next reservation",
    rate: 1000,
    steps: [
      { at: 0, reserve: 100, wait: 0 },
      { at: 0, settle: 400 },
      { at: 0, reserve: 100, wait: 500 },
    ],
  },
  {
    name: "a read that brought less gives the rest back",
    rate: 1000,
    steps: [
      { at: 0, reserve: 600, wait: 500 },
      { at: 500, settle: -500 },
      { at: 500, reserve: 100, wait: 0 },
    ],
  },
  {
    name: "a long pause earns no more than the burst",
    rate: 1000,
    steps: [
      { at: 0, reserve: 100, wait: 0 },
      { at: 60_000, reserve: 100, wait: 0 },
      { at: 60_000, reserve: 100, wait: 100 },
    ],
  },
  {
    name: "a raised limit shortens a wait at once",
    rate: 1000,
    steps: [
      { at: 0, reserve: 1100, wait: 1000 },
      { at: 500, rate: 2000 },
      // 500 bytes allowed in the first 500 ms; 500 more at 2000 B/s.
      { at: 500, ticket: 0, wait: 250 },
    ],
  },
  {
    name: "a lowered limit lengthens a wait at once, and cuts the saved-up burst",
    rate: 10_000,
    steps: [
      { at: 0, reserve: 1000, wait: 0 },
      { at: 1000, rate: 1000 },
      // The 1000-byte burst saved at 10 kB/s is cut to 1000 B/s's 100 bytes.
      { at: 1000, reserve: 300, wait: 200 },
      { at: 1000, reserve: 1000, wait: 1200 },
    ],
  },
  {
    name: "a removed limit lets every waiting lane read",
    rate: 1000,
    steps: [
      { at: 0, reserve: 5000, wait: 4900 },
      { at: 0, reserve: 5000, wait: 9900 },
      { at: 10, rate: undefined },
      { at: 10, ticket: 0, wait: 0 },
      { at: 10, ticket: 1, wait: 0 },
    ],
  },
  {
    name: "a limit set after none owes nothing read before it, and saves nothing up",
    rate: undefined,
    steps: [
      { at: 0, reserve: 10 * MiB, wait: 0 },
      { at: 5000, rate: 1000 },
      { at: 5000, reserve: 100, wait: 100 },
    ],
  },
];

for (const { name, rate, steps } of cases) test(name, () => run(rate, steps));

/**
 * Simulates `lanes` lanes reading `chunk`-byte reads under `rate` with the bucket, as src/rate-limit.ts
 * does: reserve the last read's size, wait, read, settle. Each wake comes up to `lateMs` late (a
 * busy event loop). Returns every read's time and size.
 */
function simulate(o: {
  rate: number;
  lanes: number;
  chunk: (lane: number, n: number) => number;
  ms: number;
  lateMs?: number;
}): { at: number; bytes: number }[] {
  const bucket = new TokenBucket(o.rate, 0);
  const reads: { at: number; bytes: number }[] = [];
  // Each lane's next event: when, and the ticket it waits with (none: it is about to ask).
  const lanes = Array.from({ length: o.lanes }, (_, lane) => ({
    lane,
    at: 0,
    ticket: undefined as number | undefined,
    expected: FIRST_READ,
    n: 0,
  }));
  let seed = 7;
  const late = (): number => {
    seed = (seed * 48271) % 2147483647;
    return ((seed % 1000) / 1000) * (o.lateMs ?? 0);
  };
  for (;;) {
    // Events in time order, as a clock would fire them.
    const lane = lanes.reduce((a, b) => (b.at < a.at ? b : a));
    const now = lane.at;
    if (now >= o.ms) break;
    lane.ticket ??= bucket.reserve(lane.expected, now);
    const wait = bucket.waitMs(lane.ticket, now);
    if (wait > 0) {
      lane.at = now + wait + late();
      continue;
    }
    const got = o.chunk(lane.lane, lane.n++);
    bucket.settle(got - lane.expected, now);
    reads.push({ at: now, bytes: got });
    lane.expected = got;
    lane.ticket = undefined;
    // Processing a read takes a little time.
    lane.at = now + 0.05;
  }
  return reads.sort((a, b) => a.at - b.at);
}

/** The most bytes read in any window of `windowMs` (windows starting at each read). */
function maxInWindow(reads: { at: number; bytes: number }[], windowMs: number): number {
  let most = 0;
  let sum = 0;
  let j = 0;
  for (let i = 0; i < reads.length; i++) {
    sum += reads[i]!.bytes;
    while (reads[j]!.at <= reads[i]!.at - windowMs) sum -= reads[j++]!.bytes;
    most = Math.max(most, sum);
  }
  return most;
}

const steady: { rate: number; lanes: number; chunk: number }[] = [
  { rate: 100 * KiB, lanes: 1, chunk: 64 * KiB },
  { rate: 1 * MiB, lanes: 1, chunk: 64 * KiB },
  { rate: 1 * MiB, lanes: 4, chunk: 64 * KiB },
  { rate: 1 * MiB, lanes: 16, chunk: 64 * KiB },
  { rate: 10 * MiB, lanes: 16, chunk: 16 * KiB },
  { rate: 100 * MiB, lanes: 16, chunk: 64 * KiB },
];

for (const { rate, lanes, chunk } of steady) {
  test(`${rate / KiB} KiB/s, ${lanes} lanes of ${chunk / KiB} KiB reads: within 5% over 10 s, sane over 1 s`, () => {
    const reads = simulate({ rate, lanes, chunk: () => chunk, ms: 30_000, lateMs: 4 });
    const tenSeconds = maxInWindow(reads, 10_000);
    assert.ok(tenSeconds <= rate * 10 * 1.05, `${tenSeconds} in 10 s at ${rate} B/s`);
    // Over one second: the rate, its burst and one read.
    const oneSecond = maxInWindow(reads, 1000);
    assert.ok(oneSecond <= rate + (rate * BURST_MS) / 1000 + chunk, `${oneSecond} in 1 s`);
    // And the limit is not wasted: late wakes are made up for (within the burst).
    const total = reads.reduce((sum, r) => sum + r.bytes, 0);
    assert.ok(total >= rate * 30 * 0.97, `${total} in 30 s at ${rate} B/s`);
  });
}

test("lanes reading reads of different sizes share the limit by bytes, and the limit holds", () => {
  const sizes = [64 * KiB, 16 * KiB, 1 * KiB, 40 * KiB];
  const reads = simulate({
    rate: 512 * KiB,
    lanes: 4,
    chunk: (lane, n) => (n % 5 === 4 ? 1 : sizes[lane]!),
    ms: 20_000,
  });
  assert.ok(maxInWindow(reads, 10_000) <= 512 * KiB * 10 * 1.05);
});

test("a limit changed half-way holds from the change on", () => {
  const bucket = new TokenBucket(1 * MiB, 0);
  const reads: { at: number; bytes: number }[] = [];
  let now = 0;
  let expected = FIRST_READ;
  while (now < 20_000) {
    if (now >= 10_000 && bucket.rate === 1 * MiB) bucket.setRate(100 * KiB, now);
    const ticket = bucket.reserve(expected, now);
    now += bucket.waitMs(ticket, now);
    bucket.settle(64 * KiB - expected, now);
    expected = 64 * KiB;
    reads.push({ at: now, bytes: 64 * KiB });
  }
  const after = reads.filter((r) => r.at >= 10_000);
  // What the old rate had allowed before the change is read just after it: one read at most.
  assert.ok(maxInWindow(after, 5000) <= 100 * KiB * 5 + 64 * KiB + 10 * KiB);
});

test("lanesWithin: as many lanes as can each take a read within a quarter of the idle timeout", () => {
  const table: [number | undefined, number, number][] = [
    [undefined, 30_000, Infinity],
    [0, 30_000, Infinity],
    [1 * KiB, 30_000, 1],
    [100 * KiB, 30_000, 11],
    [1 * MiB, 30_000, 120],
    [100 * KiB, 5_000, 1],
  ];
  for (const [rate, idle, lanes] of table) assert.equal(lanesWithin(rate, idle), lanes, `${rate}`);
});

test("idleTimeoutWithin: only a very low limit raises a request's idle timeout", () => {
  assert.equal(idleTimeoutWithin(undefined, 4, 30_000), 30_000);
  assert.equal(idleTimeoutWithin(1 * MiB, 4, 30_000), 30_000);
  // 1 KiB/s: a 64 KiB read takes 64 s; two reads' time for 1 reader.
  assert.equal(idleTimeoutWithin(1 * KiB, 1, 30_000), 128_000);
  assert.equal(idleTimeoutWithin(1 * KiB, 2, 30_000), 256_000);
});

test("reads that end short give their reservation back without stranding the lanes still waiting", () => {
  // Found by a 16-lane download: lanes that finished returned their last reservations, and the
  // allowance, capped at the burst above what was used, could no longer reach the others' tickets.
  const bucket = new TokenBucket(1 * MiB, 0);
  const tickets = Array.from({ length: 16 }, () => bucket.reserve(64 * KiB, 0));
  for (let i = 0; i < 14; i++) bucket.settle(-64 * KiB, 0);
  const late = tickets.at(-1)!;
  const wait = bucket.waitMs(late, 0);
  assert.ok(wait < 1000, `waits ${wait} ms`);
  assert.equal(bucket.waitMs(late, wait), 0);
});
