/** The page's pure parts by table: reading the add form, the list's view, the range map, units. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EMPTY_FIELDS, fieldOfMessage, readForm, type Fields } from "../../ui/src/form.js";
import {
  bytes,
  fromWire,
  parseRate,
  rangeMapFromWire,
  view,
  type Download,
} from "../../ui/src/model.js";

test("the add form: one download per line, per-line options over the form's", () => {
  const { requests, errors } = readForm({
    ...EMPTY_FIELDS,
    uris: "https://a.example/x.iso out=x.iso\n# a comment\nhttps://b.example/y.bin split=2",
    dir: "isos",
    header: "Cookie: a=b\nX-Token: 1",
    limit: "2M",
  });
  assert.deepEqual(errors, {});
  assert.deepEqual(requests, [
    {
      uris: ["https://a.example/x.iso"],
      options: {
        dir: "isos",
        header: ["Cookie: a=b", "X-Token: 1"],
        "max-download-limit": String(2 * 1024 * 1024),
        out: "x.iso",
      },
    },
    {
      uris: ["https://b.example/y.bin"],
      options: {
        dir: "isos",
        header: ["Cookie: a=b", "X-Token: 1"],
        "max-download-limit": String(2 * 1024 * 1024),
        split: "2",
      },
    },
  ]);
});

test("the add form: each bad value is reported at its field", () => {
  const cases: [Partial<Record<Fields, string>>, Fields][] = [
    [{ uris: "" }, "uris"],
    [{ uris: "ftp://a.example/x" }, "uris"],
    [{ uris: "https://a.example/x bogus" }, "uris"],
    [{ out: "a/b" }, "out"],
    [{ checksum: "sha-256" }, "checksum"],
    [{ header: "no colon here" }, "header"],
    [{ split: "0" }, "split"],
    [{ split: "2.5" }, "split"],
    [{ limit: "fast" }, "limit"],
    [{ uris: "https://a.example/x\nhttps://a.example/y", out: "same.bin" }, "out"],
  ];
  for (const [values, field] of cases) {
    const { errors } = readForm({ ...EMPTY_FIELDS, uris: "https://a.example/x", ...values });
    assert.deepEqual(Object.keys(errors), [field], JSON.stringify(values));
  }
});

test("the daemon's messages go to the field they name", () => {
  assert.equal(fieldOfMessage('dir: "../x" has a ".." segment'), "dir");
  assert.equal(fieldOfMessage('out: "../x" has a ".." segment'), "out");
  assert.equal(fieldOfMessage('invalid checksum "x": expected ALGORITHM=HEX'), "checksum");
  assert.equal(fieldOfMessage("speed limits are not available in this build"), "limit");
  assert.equal(fieldOfMessage("addUri takes one URI"), "uris");
});

test("the list: filter, search and sort over a thousand entries", () => {
  const statuses = ["active", "waiting", "paused", "complete", "error"] as const;
  const all: Download[] = Array.from({ length: 1000 }, (_, i) =>
    fromWire(
      {
        gid: i.toString(16).padStart(16, "0"),
        status: statuses[i % 5]!,
        totalLength: String(1000 - i),
        completedLength: String(i % 7),
        downloadSpeed: String(i),
        files: [{ path: `/r/file-${String(i).padStart(4, "0")}.bin`, uris: [] }],
      },
      i,
    ),
  );
  assert.equal(view(all, "all", "", "queue", false).length, 1000);
  assert.equal(view(all, "done", "", "queue", false).length, 200);
  assert.equal(view(all, "failed", "", "queue", false).length, 200);
  assert.deepEqual(
    view(all, "all", "FILE-077", "name", false).map((d) => d.name),
    Array.from({ length: 10 }, (_, i) => `file-077${i}.bin`),
  );
  assert.equal(view(all, "all", "", "size", true)[0]!.total, 1000);
  assert.equal(view(all, "all", "", "speed", true)[0]!.speed, 999);
  // Queue order: active first, then the waiting queue in its order.
  const queue = view(all, "all", "", "queue", false);
  assert.equal(queue[0]!.status, "active");
  assert.equal(queue[200]!.status, "waiting");
  assert.ok(queue[200]!.position < queue[201]!.position);
});

test("units: rates as typed, sizes as shown", () => {
  assert.equal(parseRate("500K"), 500 * 1024);
  assert.equal(parseRate("1.5MiB/s"), 1.5 * 1024 * 1024);
  assert.equal(parseRate("100000"), 100000);
  assert.equal(parseRate("fast"), undefined);
  assert.equal(bytes(0), "0 B");
  assert.equal(bytes(1536), "1.5 KiB");
  assert.equal(bytes(96 * 1024 * 1024), "96 MiB");
});

test("the range map from the wire: numbers from strings, origins kept, unknown ones planned", () => {
  const map = rangeMapFromWire({
    gid: "0123456789abcdef",
    totalLength: "1000",
    completedLength: "600",
    written: [
      ["0", "400"],
      ["500", "700"],
    ],
    hashedLength: "400",
    connections: [
      {
        lane: "0",
        state: "receiving",
        range: ["700", "1000"],
        position: "800",
        downloadSpeed: "5",
        steals: "1",
        races: "0",
        reconnects: "0",
        origin: "steal",
        originAt: "700",
      },
      { lane: "1", state: "idle", range: null, position: null, origin: "odd", originAt: null },
    ],
  });
  assert.equal(map.total, 1000);
  assert.deepEqual(map.written, [
    [0, 400],
    [500, 700],
  ]);
  assert.equal(map.hashed, 400);
  assert.deepEqual(
    map.lanes.map((l) => [l.origin, l.originAt, l.range]),
    [
      ["steal", 700, [700, 1000]],
      ["plan", null, null],
    ],
  );
  assert.equal(rangeMapFromWire({ totalLength: "10", hashedLength: null }).hashed, null);
});
