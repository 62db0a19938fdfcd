/**
 * One contract against every real server in test/helpers/servers.ts, over every scheme it is
 * tested with: whatever the flags, the CLI exits 0 and the file is byte-identical; `ranges` in
 * the done event says whether the server honoured them, and servers that refuse get one stream.
 * A server that is not installed is skipped, and says so; CI installs them all.
 */
import assert from "node:assert/strict";
import { utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { generateContent } from "../../src/server/index.js";
import { runCli } from "../helpers/processes.js";
import {
  SERVERS,
  startRealServer,
  unavailable,
  type RunningServer,
  type ServerDefinition,
} from "../helpers/servers.js";
import { MiB, assertGenerated, entries, jsonEvents, only, tempDir } from "./support.js";

const SEED = "interop";
const SIZE = 24 * MiB;
const FLAG_SETS = [
  ["-n", "1"],
  ["-n", "4"],
  ["-n", "16"],
  ["-k", "1M"],
];

/** Files on a server are seldom brand new, and Apache treats those that are differently. */
const PUBLISHED = new Date(Date.now() - 24 * 3600 * 1000);

/** A served directory: the generated file and an empty one, both published a day ago. */
async function servedRoot(t: TestContext): Promise<string> {
  const root = await tempDir(t, "www");
  for (const [name, bytes] of [
    ["big.bin", generateContent(SEED, 0, SIZE)],
    ["empty.bin", Buffer.alloc(0)],
  ] as const) {
    const file = path.join(root, name);
    await writeFile(file, bytes);
    // Apache makes the ETag of a file changed in the last second weak, and honours an If-Range
    // date only once it is 60 s old: a range request for a newer file gets a 200 with all of it.
    await utimes(file, PUBLISHED, PUBLISHED);
  }
  return root;
}

/** Downloads `name` with `flags`; checks the exit status, the bytes and the events. */
async function fetchAndCheck(
  t: TestContext,
  server: RunningServer,
  spec: ServerDefinition,
  name: string,
  size: number,
  flags: string[],
): Promise<void> {
  const dir = await tempDir(t, "dl");
  const trust = server.caCertificate ? ["--ca-certificate", server.caCertificate] : [];
  const result = await runCli([server.url(`/${name}`), "-d", dir, "--json", ...trust, ...flags]);
  assert.equal(result.code, 0, `exit ${result.code}; stderr: ${result.stderr}`);
  await assertGenerated(path.join(dir, name), SEED, size);
  assert.deepEqual(await entries(dir), [name], "only the final file may remain");
  const events = jsonEvents(result.stdout);
  assert.equal(events.at(-1)?.type, "done", "the last event is done");
  const done = only(events, "done");
  assert.equal(done.size, size);
  const start = only(events, "start");
  if (size === 0) return;
  assert.equal(done.ranges, spec.ranges, `ranges should be ${spec.ranges} with ${spec.name}`);
  const n = flags.indexOf("-n");
  if (!spec.ranges) assert.equal(start.connections, 1, "without ranges, one stream");
  else if (n >= 0) assert.equal(start.connections, Number(flags[n + 1]));
}

for (const spec of SERVERS) {
  for (const scheme of spec.schemes) {
    const skip = unavailable(spec, scheme);
    test(`${spec.name} over ${scheme}: byte-identical whatever the flags`, { skip }, async (t) => {
      const root = await servedRoot(t);
      const server = await startRealServer(t, spec, { root, scheme });
      for (const flags of FLAG_SETS) {
        await t.test(flags.join(" "), (t) =>
          fetchAndCheck(t, server, spec, "big.bin", SIZE, flags),
        );
      }
      if (scheme === "http") {
        await t.test("an empty file", (t) =>
          fetchAndCheck(t, server, spec, "empty.bin", 0, ["-n", "4"]),
        );
      }
    });
  }
}
