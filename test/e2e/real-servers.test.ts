/**
 * One contract against real servers on loopback: whatever the server and the flags, the CLI
 * exits 0 and the file is byte-identical; servers that refuse ranges get one stream.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { generateContent } from "../../src/server/index.js";
import { findNginx, startNginx } from "../helpers/nginx.js";
import { answersAs, runCli, startServerProcess, type ServerProcess } from "../helpers/processes.js";
import { MiB, assertGenerated, entries, jsonEvents, only, tempDir } from "./support.js";

const SEED = "real-servers";
const SIZE = 24 * MiB;
const FLAG_SETS = [
  ["-n", "1"],
  ["-n", "4"],
  ["-n", "16"],
  ["-k", "1M"],
];

interface RealServer {
  name: string;
  /** Whether it answers a range request with a 206. */
  ranges: boolean;
  skip: string | false;
  start(t: TestContext, root: string): Promise<ServerProcess>;
}

const nginx = findNginx();
const noNginx = nginx ? false : "nginx is not on PATH (CI installs nginx-light)";

const SERVERS: RealServer[] = [
  { name: "nginx", ranges: true, skip: noNginx, start: (t, root) => startNginx(t, { root }) },
  {
    name: "nginx with max_ranges 0",
    ranges: false,
    skip: noNginx,
    start: (t, root) => startNginx(t, { root, serverDirectives: "max_ranges 0;" }),
  },
  {
    name: "python3 -m http.server",
    ranges: false,
    skip: false,
    start: (t, root) =>
      startServerProcess(
        t,
        "python3 -m http.server",
        (port) => ({
          command: "python3",
          args: ["-m", "http.server", "--bind", "127.0.0.1", String(port), "--directory", root],
        }),
        { ready: (port) => answersAs(port, /^SimpleHTTP\//) },
      ),
  },
];

/** A served directory: the generated file and an empty one. */
async function servedRoot(t: TestContext): Promise<string> {
  const root = await tempDir(t, "www");
  await writeFile(path.join(root, "big.bin"), generateContent(SEED, 0, SIZE));
  await writeFile(path.join(root, "empty.bin"), "");
  return root;
}

/** Downloads `name` with `flags`; checks the exit status, the bytes and the start event. */
async function fetchAndCheck(
  t: TestContext,
  server: ServerProcess,
  spec: RealServer,
  name: string,
  size: number,
  flags: string[],
): Promise<void> {
  const dir = await tempDir(t, "dl");
  const result = await runCli([server.url(`/${name}`), "-d", dir, "--json", ...flags]);
  assert.equal(result.code, 0, `exit ${result.code}; stderr: ${result.stderr}`);
  await assertGenerated(path.join(dir, name), SEED, size);
  assert.deepEqual(await entries(dir), [name], "only the final file may remain");
  const events = jsonEvents(result.stdout);
  assert.equal(events.at(-1)?.type, "done");
  const start = only(events, "start");
  assert.equal(start.size, size);
  if (size > 0) {
    assert.equal(start.ranges, spec.ranges, `ranges should be ${spec.ranges} with ${spec.name}`);
    if (!spec.ranges) assert.equal(start.connections, 1, "without ranges, one stream");
  }
}

for (const spec of SERVERS) {
  test(`${spec.name}: byte-identical whatever the flags`, { skip: spec.skip }, async (t) => {
    const root = await servedRoot(t);
    const server = await spec.start(t, root);
    for (const flags of FLAG_SETS) {
      await t.test(flags.join(" "), (t) => fetchAndCheck(t, server, spec, "big.bin", SIZE, flags));
    }
    await t.test("an empty file", (t) =>
      fetchAndCheck(t, server, spec, "empty.bin", 0, ["-n", "4"]),
    );
  });
}
