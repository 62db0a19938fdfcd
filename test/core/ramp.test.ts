import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionRamp } from "../../src/core/ramp.js";

/**
 * Drives a ramp against a model server: `rateOf(lanes)` is the aggregate bytes/s that many
 * connections get. Samples every 50 ms, with every wanted lane receiving at once. Returns the
 * target after `ms` and the targets it went through.
 */
function simulate(
  ramp: ConnectionRamp,
  rateOf: (lanes: number) => number,
  ms = 5000,
  latencyMs?: number,
): { target: number; path: number[] } {
  let bytes = 0;
  const path = [ramp.target];
  for (let now = 0; now <= ms; now += 50) {
    const target = ramp.sample({ now, bytes, receiving: ramp.target, latencyMs });
    if (target !== path.at(-1)) path.push(target);
    bytes += (rateOf(ramp.target) * 50) / 1000;
  }
  return { target: ramp.target, path };
}

const MiB = 1024 * 1024;

test("a per-connection throttle: the count doubles up to the cap", () => {
  const ramp = new ConnectionRamp({ start: 4, cap: 16 });
  const { target, path } = simulate(ramp, (lanes) => lanes * 8 * MiB);
  assert.equal(target, 16);
  assert.deepEqual(path, [4, 8, 16]);
  assert.ok(ramp.settled);
});

test("a level is measured for 100 ms, or 3 request latencies when those are longer", () => {
  const near = new ConnectionRamp({ start: 4, cap: 16 });
  assert.equal(simulate(near, (lanes) => lanes * 8 * MiB, 150).target, 8);
  const far = (): ConnectionRamp => new ConnectionRamp({ start: 4, cap: 16 });
  assert.equal(simulate(far(), (lanes) => lanes * 8 * MiB, 200, 80).target, 4, "not 240 ms yet");
  assert.equal(simulate(far(), (lanes) => lanes * 8 * MiB, 250, 80).target, 8);
});

test("the cap holds, whatever the start", () => {
  assert.equal(new ConnectionRamp({ start: 4, cap: 2 }).target, 2);
  assert.ok(new ConnectionRamp({ start: 4, cap: 2 }).settled);
  const ramp = new ConnectionRamp({ start: 4, cap: 6 });
  assert.equal(simulate(ramp, (lanes) => lanes * MiB).target, 6);
});

test("a shared bottleneck: the extra connections are closed again", () => {
  const ramp = new ConnectionRamp({ start: 4, cap: 16 });
  const { target, path } = simulate(ramp, () => 120 * MiB);
  assert.deepEqual(path, [4, 8, 4]);
  assert.equal(target, 4);
  assert.ok(ramp.settled);
});

test("a gain well short of proportional keeps the lanes but adds no more", () => {
  // 4 -> 8 lanes brings +40%: between the 25% needed to keep them and the 50% needed to grow.
  const ramp = new ConnectionRamp({ start: 4, cap: 16 });
  const { target } = simulate(ramp, (lanes) => (lanes <= 4 ? 100 : 140) * MiB);
  assert.equal(target, 8);
  assert.ok(ramp.settled);
});

test("a level is measured only once its lanes receive, or after the settle time", () => {
  const ramp = new ConnectionRamp({ start: 2, cap: 8, windowMs: 100, settleMs: 1000 });
  // One of two lanes receiving: the window has not started, however long it runs.
  assert.equal(ramp.sample({ now: 0, bytes: 0, receiving: 1 }), 2);
  assert.equal(ramp.sample({ now: 500, bytes: 50, receiving: 1 }), 2);
  // Both receive from 500 ms: measured over 100 ms, then doubled.
  assert.equal(ramp.sample({ now: 550, bytes: 60, receiving: 2 }), 2);
  assert.equal(ramp.sample({ now: 650, bytes: 160, receiving: 2 }), 4);
  // The new lanes never start: once settleMs has passed the level is measured anyway, and as
  // it brought nothing, it is undone.
  assert.equal(ramp.sample({ now: 1600, bytes: 1000, receiving: 2 }), 4);
  assert.equal(ramp.sample({ now: 1700, bytes: 1100, receiving: 2 }), 4);
  assert.equal(ramp.sample({ now: 1800, bytes: 1200, receiving: 2 }), 2);
});

test("a refusal goes back to the last level measured, or below the refused lane", () => {
  const growing = new ConnectionRamp({ start: 4, cap: 16, windowMs: 250 });
  simulate(growing, (lanes) => lanes * MiB, 300);
  assert.equal(growing.target, 8);
  // Lane 6 (of 8) got a 503: back to the 4 that were measured, and no more growth.
  assert.equal(growing.refused(6), 4);
  assert.ok(growing.settled);
  assert.equal(simulate(growing, (lanes) => lanes * MiB).target, 4);

  // A server that takes two connections: lane 2 is refused at the start.
  const capped = new ConnectionRamp({ start: 4, cap: 16 });
  assert.equal(capped.refused(2), 2);
  // Lane 0 refused: one lane is always kept (it retries instead).
  assert.equal(capped.refused(0), 1);
});

/**
 * As simulate(), under a speed limit of `limit(now)` bytes/s: lanes that could go faster wait,
 * and the waiting is reported as held time.
 */
function simulateLimited(
  ramp: ConnectionRamp,
  rateOf: (lanes: number) => number,
  limit: (now: number) => number,
  ms: number,
): number[] {
  let bytes = 0;
  let heldMs = 0;
  const path = [ramp.target];
  for (let now = 0; now <= ms; now += 50) {
    const target = ramp.sample({ now, bytes, receiving: ramp.target, heldMs });
    if (target !== path.at(-1)) path.push(target);
    const free = rateOf(ramp.target);
    const rate = Math.min(free, limit(now));
    bytes += (rate * 50) / 1000;
    // The share of the time each lane spends waiting for the limit.
    heldMs += (1 - rate / free) * 50 * ramp.target;
  }
  return path;
}

test("a speed limit one connection reaches: the ramp neither grows nor settles", () => {
  const ramp = new ConnectionRamp({ start: 1, cap: 16 });
  const path = simulateLimited(
    ramp,
    (lanes) => lanes * 50 * MiB,
    () => 10 * MiB,
    5000,
  );
  assert.deepEqual(path, [1]);
  assert.ok(!ramp.settled, "a raised limit may want more lanes later");
});

test("a speed limit above what one connection gets: growth stops where the limit is reached", () => {
  // 8 MiB/s a connection, a 20 MiB/s limit: 1 -> 2 -> 4 (32 MiB/s free, 20 limited), then held.
  const ramp = new ConnectionRamp({ start: 1, cap: 16 });
  const path = simulateLimited(
    ramp,
    (lanes) => lanes * 8 * MiB,
    () => 20 * MiB,
    5000,
  );
  assert.deepEqual(path, [1, 2, 4]);
  assert.ok(!ramp.settled);
});

test("a limit lifted half-way: the ramp grows again", () => {
  const ramp = new ConnectionRamp({ start: 1, cap: 16 });
  const limit = (now: number): number => (now < 2000 ? 5 * MiB : Infinity);
  const path = simulateLimited(ramp, (lanes) => lanes * 8 * MiB, limit, 5000);
  assert.deepEqual(path, [1, 2, 4, 8, 16]);
});
