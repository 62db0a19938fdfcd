import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  Queue,
  QueueError,
  TRANSITIONS,
  page,
  targetPosition,
  type QueueEvent,
  type Status,
} from "../../src/core/queue.js";

const gid = (n: number): string => n.toString(16).padStart(16, "0");

test("the transition table: every edge, and every missing edge refused", () => {
  const events: QueueEvent[] = [
    "start",
    "pause",
    "unpause",
    "remove",
    "complete",
    "fail",
    "requeue",
  ];
  const expected: Record<Status, Partial<Record<QueueEvent, Status>>> = {
    waiting: { start: "active", pause: "paused", remove: "removed" },
    active: {
      pause: "paused",
      remove: "removed",
      complete: "complete",
      fail: "error",
      requeue: "waiting",
    },
    paused: { unpause: "waiting", remove: "removed" },
    complete: {},
    error: {},
    removed: {},
  };
  assert.deepEqual(TRANSITIONS, expected);
  const reach: Record<Status, (q: Queue, g: string) => void> = {
    waiting: () => {},
    active: (q, g) => q.apply(g, "start"),
    paused: (q, g) => q.apply(g, "pause"),
    complete: (q, g) => (q.apply(g, "start"), q.apply(g, "complete")),
    error: (q, g) => (q.apply(g, "start"), q.apply(g, "fail")),
    removed: (q, g) => q.apply(g, "remove"),
  };
  for (const [from, edges] of Object.entries(expected) as [
    Status,
    Partial<Record<QueueEvent, Status>>,
  ][]) {
    for (const event of events) {
      const q = new Queue();
      q.add(gid(1));
      reach[from](q, gid(1));
      assert.equal(q.status(gid(1)), from);
      const to = edges[event];
      if (to === undefined) {
        assert.equal(q.can(gid(1), event), false);
        assert.throws(() => q.apply(gid(1), event), QueueError, `${from} --${event}-->`);
      } else {
        assert.equal(q.apply(gid(1), event), to);
      }
    }
  }
});

test("lists: a paused active download goes first in line; stopped ones in the order they stopped", () => {
  const q = new Queue();
  for (let i = 1; i <= 4; i++) q.add(gid(i));
  assert.deepEqual(q.toStart(2), [gid(1), gid(2)]);
  q.apply(gid(1), "start");
  q.apply(gid(2), "start");
  assert.deepEqual(q.toStart(2), []);
  q.apply(gid(2), "pause");
  assert.deepEqual(q.waiting, [gid(2), gid(3), gid(4)]);
  // Paused ones wait without starting; blocked ones are skipped for now.
  assert.deepEqual(q.toStart(3), [gid(3), gid(4)]);
  assert.deepEqual(
    q.toStart(3, (g) => g === gid(3)),
    [gid(4)],
  );
  q.apply(gid(1), "complete");
  q.apply(gid(3), "remove");
  assert.deepEqual(q.stopped, [gid(1), gid(3)]);
  q.add(gid(5), 0);
  assert.deepEqual(q.waiting, [gid(5), gid(2), gid(4)]);
  q.purge(gid(1));
  assert.equal(q.has(gid(1)), false);
  assert.throws(() => q.purge(gid(2)), QueueError);
});

test("changePosition: POS_SET, POS_CUR and POS_END, clamped as aria2 does", () => {
  const cases: [
    current: number,
    length: number,
    pos: number,
    how: "POS_SET" | "POS_CUR" | "POS_END",
    to: number,
  ][] = [
    [3, 5, 0, "POS_SET", 0],
    [0, 5, 2, "POS_SET", 2],
    [0, 5, 99, "POS_SET", 4],
    [2, 5, -1, "POS_SET", 0],
    [2, 5, 1, "POS_CUR", 3],
    [2, 5, -5, "POS_CUR", 0],
    [2, 5, 5, "POS_CUR", 4],
    [0, 5, 0, "POS_END", 4],
    [4, 5, -1, "POS_END", 3],
    [4, 5, -99, "POS_END", 0],
    [0, 1, 3, "POS_END", 0],
  ];
  for (const [current, length, pos, how, to] of cases) {
    assert.equal(
      targetPosition(current, length, pos, how),
      to,
      `${current}/${length} ${how} ${pos}`,
    );
  }
  const q = new Queue();
  for (let i = 1; i <= 3; i++) q.add(gid(i));
  assert.equal(q.changePosition(gid(3), 0, "POS_SET"), 0);
  assert.deepEqual(q.waiting, [gid(3), gid(1), gid(2)]);
  q.apply(gid(1), "start");
  assert.throws(() => q.changePosition(gid(1), 0, "POS_SET"), /waiting queue/);
});

test("changePosition keeps the same downloads, whatever the moves", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.array(
        fc.tuple(
          fc.nat(11),
          fc.integer({ min: -20, max: 20 }),
          fc.constantFrom("POS_SET", "POS_CUR", "POS_END") as fc.Arbitrary<
            "POS_SET" | "POS_CUR" | "POS_END"
          >,
        ),
      ),
      (n, moves) => {
        const q = new Queue();
        for (let i = 0; i < n; i++) q.add(gid(i + 1));
        for (const [which, pos, how] of moves) {
          const g = gid((which % n) + 1);
          const at = q.changePosition(g, pos, how);
          assert.equal(q.waiting[at], g);
        }
        assert.deepEqual(
          [...q.waiting].sort(),
          Array.from({ length: n }, (_, i) => gid(i + 1)),
        );
      },
    ),
  );
});

test("page reads aria2's offsets: from the start, or from the end backwards", () => {
  const list = ["a", "b", "c", "d"];
  assert.deepEqual(page(list, 0, 2), ["a", "b"]);
  assert.deepEqual(page(list, 3, 5), ["d"]);
  assert.deepEqual(page(list, 9, 5), []);
  assert.deepEqual(page(list, -1, 2), ["d", "c"]);
  assert.deepEqual(page(list, -2, 9), ["c", "b", "a"]);
  assert.deepEqual(page(list, -9, 2), []);
  assert.deepEqual(page(list, 0, 0), []);
});
