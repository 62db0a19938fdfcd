/**
 * S3's checksums through the built CLI (the esbuild bundle), run from a directory outside the
 * repository: the hashing worker must find everything it needs wherever parget is started.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { crc32 } from "@node-rs/crc32";
import { generateContent } from "../../src/server/index.js";
import { runCli, type CliResult } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { assertGenerated, entries, jsonEvents, only, tempDir } from "./support.js";

const SEED = "s3-cli";
const SIZE = 3 * 1024 * 1024 + 5;
const crc32Hex = (crc32(generateContent(SEED, 0, SIZE)) >>> 0).toString(16).padStart(8, "0");
// Computed with the AWS SDK's @aws-sdk/crc64-nvme over the same bytes.
const CRC64NVME = "d7d80e20c8737954";
const base64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");

function explain(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout.slice(-500)}\nstderr: ${result.stderr.slice(-500)}`;
}

test("the CLI verifies S3's crc64nvme and crc32, and exits 6 when one does not match", async (t) => {
  const server = await serve(t, {
    files: {
      "/ok.bin": {
        content: { seed: SEED, size: SIZE },
        s3Checksums: {
          "x-amz-checksum-crc64nvme": base64(CRC64NVME),
          "x-amz-checksum-crc32": base64(crc32Hex),
        },
      },
      "/bad.bin": {
        content: { seed: SEED, size: SIZE },
        s3Checksums: { "x-amz-checksum-crc64nvme": base64("0123456789abcdef") },
      },
    },
  });
  const dir = await tempDir(t);
  const ok = await runCli(["--json", "-n", "4", server.url("/ok.bin")], { cwd: dir });
  assert.equal(ok.code, 0, explain(ok));
  await assertGenerated(path.join(dir, "ok.bin"), SEED, SIZE);
  assert.deepEqual(only(jsonEvents(ok.stdout), "done")["verified"], [
    { algorithm: "crc64nvme", hex: CRC64NVME, source: "x-amz-checksum" },
    { algorithm: "crc32", hex: crc32Hex, source: "x-amz-checksum" },
  ]);

  const bad = await runCli(["-n", "4", server.url("/bad.bin")], { cwd: dir });
  assert.equal(bad.code, 6, explain(bad));
  assert.match(bad.stderr, /crc64nvme/);
  assert.deepEqual(await entries(dir), ["bad.bin.parget", "ok.bin"]);
});

test("--checksum takes crc64nvme and crc32 too", async (t) => {
  const server = await serve(t, { files: { "/f.bin": { content: { seed: SEED, size: SIZE } } } });
  const dir = await tempDir(t);
  const args = ["--checksum", `crc64nvme=${CRC64NVME}`, "--checksum", `CRC32=${crc32Hex}`];
  const ok = await runCli([...args, server.url("/f.bin")], { cwd: dir });
  assert.equal(ok.code, 0, explain(ok));
  assert.match(ok.stderr, /verified crc64nvme \(user\), crc32 \(user\)/);
});
