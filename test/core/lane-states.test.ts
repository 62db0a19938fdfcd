import { test } from "node:test";
import assert from "node:assert/strict";
import {
  afterBody,
  isFinal,
  LANE_TRANSITIONS,
  laneTransition,
  type LaneEvent,
  type LaneState,
} from "../../src/core/lane-states.js";

test("a lane's transitions: every listed edge, and nothing else", () => {
  const edges: [LaneState, LaneEvent, LaneState][] = [
    ["idle", "assigned", "requesting"],
    ["idle", "first", "receiving"],
    ["idle", "complete", "done"],
    ["idle", "stop", "left"],
    ["requesting", "answered", "receiving"],
    ["requesting", "failed", "backoff"],
    ["requesting", "stop", "left"],
    ["receiving", "finished", "idle"],
    ["receiving", "short", "backoff"],
    ["receiving", "replaced", "replaced"],
    ["receiving", "drain", "draining"],
    ["receiving", "stop", "left"],
    ["backoff", "retry", "requesting"],
    ["backoff", "finished", "idle"],
    ["backoff", "refused", "retired"],
    ["backoff", "stop", "left"],
    ["replaced", "reconnect", "idle"],
    ["replaced", "stop", "left"],
    ["draining", "finished", "left"],
    ["draining", "short", "left"],
    ["draining", "replaced", "left"],
    ["draining", "stop", "left"],
  ];
  for (const [from, event, to] of edges) assert.equal(laneTransition(from, event), to);
  const listed = Object.values(LANE_TRANSITIONS).reduce((n, t) => n + Object.keys(t).length, 0);
  assert.equal(listed, edges.length, "the table has no edge this test does not name");
  // A lane that asked for nothing cannot be answered; a stopped one never moves again.
  assert.throws(() => laneTransition("idle", "answered"), /bug: a lane cannot go from idle/);
  assert.throws(() => laneTransition("done", "assigned"), /bug/);
});

test("only done, left and retired are final", () => {
  const finals = (Object.keys(LANE_TRANSITIONS) as LaneState[]).filter(isFinal);
  assert.deepEqual(finals.sort(), ["done", "left", "retired"]);
});

test("after a body stops, the reason given with its cancel decides, not a guess", () => {
  const cases: [Parameters<typeof afterBody>[0], ReturnType<typeof afterBody>][] = [
    [{ cancelled: undefined, stopped: false, unfinished: false }, "finished"],
    [{ cancelled: undefined, stopped: false, unfinished: true }, "short"],
    // A lost race or a steal of everything left: nothing to retry.
    [{ cancelled: "complete", stopped: false, unfinished: false }, "finished"],
    // Replaced for slowness with bytes left: the lane leaves them and reconnects.
    [{ cancelled: "replace", stopped: false, unfinished: true }, "replaced"],
    [{ cancelled: "replace", stopped: true, unfinished: true }, "stop"],
    [{ cancelled: undefined, stopped: true, unfinished: true }, "stop"],
  ];
  for (const [input, next] of cases) assert.equal(afterBody(input), next, JSON.stringify(input));
});
