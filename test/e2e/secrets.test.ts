/**
 * Secrets through the real binary: a presigned URL with userinfo, in every output mode, never
 * shows its credentials, and a refusal ends with the server's own reason.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test, type TestContext } from "node:test";
import { runCli } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { jsonEvents, only, tempDir } from "./support.js";

const SECRETS = /hunter2|AKIASECRETKEY|SESSIONSECRET|sigsecret/;
const QUERY =
  "X-Amz-Credential=AKIASECRETKEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
  "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Security-Token=SESSIONSECRET" +
  "&X-Amz-Signature=sigsecret";

/** `base` (http://127.0.0.1:port) with userinfo, and `path` presigned. */
const presigned = (base: string, path: string): string =>
  `${base.replace("//", "//user:hunter2@")}${path}?${QUERY}`;

async function expiredOrigin(t: TestContext): Promise<string> {
  const server = http.createServer((_req, res) => {
    res
      .writeHead(403, { "content-type": "application/xml" })
      .end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("an expired presigned URL: exit 5 with S3's reason and the hint, nothing secret", async (t) => {
  const base = await expiredOrigin(t);
  const dir = await tempDir(t);
  const plain = await runCli([presigned(base, "/key.bin"), "-d", dir]);
  assert.equal(plain.code, 5, plain.stderr);
  assert.match(
    plain.stderr,
    /^parget: HTTP 403 from http:\/\/127\.0\.0\.1:\d+\/key\.bin\?\S*X-Amz-Signature=REDACTED: AccessDenied: Request has expired \(the URL may have expired; rerun with a fresh URL to resume\)\n$/,
  );
  const json = await runCli(["--json", presigned(base, "/key.bin"), "-d", dir]);
  assert.equal(json.code, 5, json.stderr);
  const error = only(jsonEvents(json.stdout), "error");
  assert.match(String(error["message"]), /AccessDenied: Request has expired/);
  for (const output of [plain.stdout, plain.stderr, json.stdout, json.stderr]) {
    assert.doesNotMatch(output, SECRETS);
  }
});

test("a saved presigned download: --json and the plain lines show no secret", async (t) => {
  const server = await serve(t, { files: { "/f.bin": { content: { seed: "s", size: 200_000 } } } });
  const base = server.url("/").replace(/\/$/, "");
  const dir = await tempDir(t);
  const json = await runCli(["--json", presigned(base, "/f.bin"), "-d", dir]);
  assert.equal(json.code, 0, json.stderr);
  const done = only(jsonEvents(json.stdout), "done");
  assert.match(String(done["url"]), /X-Amz-Date=20260101T000000Z&X-Amz-Expires=60/);
  const plain = await runCli([presigned(base, "/f.bin"), "-d", dir, "--overwrite"]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /fetching http:\/\/127\.0\.0\.1:\d+\/f\.bin\?\S*REDACTED/);
  for (const output of [json.stdout, json.stderr, plain.stdout, plain.stderr]) {
    assert.doesNotMatch(output, SECRETS);
  }
});
