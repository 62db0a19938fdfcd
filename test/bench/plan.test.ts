import { test } from "node:test";
import assert from "node:assert/strict";
import { idealOf, planCases, runOrder, timeoutFor } from "../../bench/core/plan.js";
import { GiB, MiB, SCENARIO_IDS, TOOL_IDS } from "../../bench/core/types.js";

const everything = { scenarios: SCENARIO_IDS, tools: TOOL_IDS, long: false };

test("quick mode: 128 MiB files, one repeat, every scenario", () => {
  const cases = planCases({ ...everything, quick: true });
  assert.ok(cases.every((c) => c.size === 128 * MiB && c.repeats === 1));
  assert.deepEqual([...new Set(cases.map((c) => c.scenario))], [...SCENARIO_IDS]);
  assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, "ids are unique");
});

test("full mode: three repeats, 1 GiB files, the paced sweep", () => {
  const cases = planCases({ ...everything, quick: false });
  assert.ok(cases.every((c) => c.repeats === 3));
  const paced = cases.filter((c) => c.scenario === "paced").map((c) => c.id);
  assert.deepEqual(paced, [
    "paced-128M-n1",
    "paced-128M-n4",
    "paced-128M-n8",
    "paced-128M-n16",
    "paced-1G-n8",
    "paced-1G-n16",
  ]);
  const long = planCases({ ...everything, quick: false, long: true });
  assert.ok(long.some((c) => c.id === "paced-1G-n1"));
  const unthrottled = cases.filter((c) => c.scenario === "unthrottled");
  assert.deepEqual(
    unthrottled.map((c) => [c.size, c.output, c.server]),
    [
      [GiB, "disk", "nginx"],
      [GiB, "tmpfs", "nginx"],
      [GiB, "tmpfs", "nginx-tls"],
    ],
  );
});

test("single-connection tools stay out of per-connection-throttled rows with N > 1", () => {
  const cases = planCases({ ...everything, quick: false });
  for (const c of cases) {
    const throttled = ["paced", "uneven", "latency"].includes(c.scenario);
    const singles = c.tools.filter((t) => ["curl", "wget", "wget2"].includes(t));
    if (throttled && c.connections > 1) assert.deepEqual(singles, [], c.id);
    else assert.deepEqual(singles, ["wget2", "curl", "wget"], c.id);
    // aria2c's default split only where it shows something: the throttled rows.
    assert.equal(
      c.tools.includes("aria2c-k20M"),
      (c.scenario === "paced" || c.scenario === "uneven") && c.connections > 1,
      c.id,
    );
  }
});

test("a selection of scenarios and tools narrows the plan; no tool, no case", () => {
  const cases = planCases({
    quick: true,
    long: false,
    scenarios: ["uneven", "noranges"],
    tools: ["parget", "curl"],
  });
  assert.deepEqual(
    cases.map((c) => [c.id, c.tools]),
    [
      ["uneven-128M-n16", ["parget"]],
      ["noranges-128M-n16-python", ["parget", "curl"]],
      ["noranges-128M-n16", ["parget", "curl"]],
    ],
  );
  const none = planCases({ quick: true, long: false, scenarios: ["uneven"], tools: ["curl"] });
  assert.deepEqual(none, []);
});

test("ideals: N x 8 MiB/s, the sum of the dealt rates, 1 Gbit/s, or the best tool", () => {
  assert.deepEqual(idealOf("paced", 4), {
    kind: "rate",
    bytesPerSecond: 32 * MiB,
    basis: "4 x 8 MiB/s",
  });
  assert.equal((idealOf("uneven", 16) as { bytesPerSecond: number }).bytesPerSecond, 120 * MiB);
  assert.equal((idealOf("uneven", 3) as { bytesPerSecond: number }).bytesPerSecond, 14 * MiB);
  assert.equal((idealOf("bottleneck", 16) as { bytesPerSecond: number }).bytesPerSecond, 125e6);
  assert.deepEqual(idealOf("noranges", 16), { kind: "best" });
});

test("timeouts leave room for a one-connection fallback", () => {
  // 128 MiB on one 8 MiB/s connection takes 16 s.
  assert.ok(timeoutFor(128 * MiB, idealOf("paced", 16)) >= 60_000);
  assert.ok(timeoutFor(128 * MiB, idealOf("paced", 1)) >= 4 * 16_000);
  assert.equal(timeoutFor(128 * MiB, { kind: "best" }), 30_000);
});

test("each repeat runs every tool once, from a new start and after a new predecessor", () => {
  const tools = ["a", "b", "c", "d", "e", "f", "g", "h"];
  const orders = [0, 1, 2, 3].map((r) => runOrder(tools, r));
  for (const order of orders) assert.deepEqual([...order].sort(), tools);
  assert.deepEqual(orders[0], tools);
  assert.equal(new Set(orders.map((o) => o[0])).size, 4);
  for (const tool of tools) {
    const before = orders.map((o) => o[(o.indexOf(tool) + tools.length - 1) % tools.length]);
    assert.equal(new Set(before).size, 4, `${tool} follows ${before.join(", ")}`);
  }
  assert.deepEqual(runOrder(["a", "b"], 1), ["b", "a"]);
  assert.deepEqual(runOrder(["a"], 2), ["a"]);
  assert.deepEqual(runOrder([], 3), []);
});
