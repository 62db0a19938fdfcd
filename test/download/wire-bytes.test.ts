/**
 * Bytes on the wire: what the server sends for a file against its size. A healthy server sends
 * the file once, give or take 3%; one crawling connection costs at most 15% (its range is taken
 * over, and what was sent past the cut is lost). Every figure is a count of bytes: the server's
 * own (`stats.bytesSent`, per request in its log) and the result's `bytesReceived`.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { createTransport, download, downloadAll } from "../../src/index.js";
import type { Transport } from "../../src/io/transport.js";
import type { RangeServer } from "../../src/server/index.js";
import { serve } from "../helpers/server.js";
import { assertContent, bounds, generated, MiB, tempDir } from "./fixtures.js";

const SIZE = 64 * MiB;

/** What the server sent, and what the client says it received, both as multiples of the file. */
function ratios(server: RangeServer, received: number): { sent: number; received: number } {
  return { sent: server.stats.bytesSent / SIZE, received: received / SIZE };
}

/** The client sees no more than the server sent, and at least every byte of the file. */
function assertReceived(t: TestContext, server: RangeServer, bytesReceived: number): void {
  const r = ratios(server, bytesReceived);
  t.diagnostic(
    `server sent ${r.sent.toFixed(3)}x the file; the client received ${r.received.toFixed(3)}x`,
  );
  assert.ok(bytesReceived >= SIZE, `received ${bytesReceived} bytes of ${SIZE}`);
  assert.ok(
    bytesReceived <= server.stats.bytesSent,
    `received ${bytesReceived}, more than the ${server.stats.bytesSent} sent`,
  );
}

test("healthy, 16 connections: the file crosses the wire once (download)", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("wire", SIZE) } });
  const dir = await tempDir(t);
  const result = await download(server.url("/f.bin"), { dir, connections: 16 });
  await assertContent(result.path, "wire", SIZE);
  assertReceived(t, server, result.bytesReceived);
  const r = ratios(server, result.bytesReceived);
  assert.ok(r.sent <= 1.03, `the server sent ${r.sent.toFixed(3)}x the file`);
});

test("healthy, 16 connections, as a set (the CLI's path): once, and per file", async (t) => {
  const server = await serve(t, { files: { "/f.bin": generated("wire", SIZE) } });
  const dir = await tempDir(t);
  const { outcomes } = await downloadAll([{ url: server.url("/f.bin") }], {
    dir,
    connections: 16,
  });
  const result = outcomes[0]?.result;
  assert.ok(result, `the file was not saved: ${String(outcomes[0]?.error)}`);
  await assertContent(result.path, "wire", SIZE);
  assertReceived(t, server, result.bytesReceived);
  // Its pieces were once cut for the one connection a set's file holds before it asks for more,
  // and twelve lanes then cut them again by stealing: 1.5x. Each of the 16 gets a piece instead.
  assert.ok(server.stats.rangeRequests >= 16, `${server.stats.rangeRequests} range requests`);
  const r = ratios(server, result.bytesReceived);
  assert.ok(r.sent <= 1.03, `the server sent ${r.sent.toFixed(3)}x the file`);
});

test("one crawling connection: its range is taken over for at most 15% more", async (t) => {
  const server = await serve(t, {
    files: { "/f.bin": generated("crawl", SIZE) },
    // Every connection is the server's to pace (as a CDN's edge), so each lane is measured.
    ratePerConnection: 4 * MiB,
  });
  const dir = await tempDir(t);
  const { outcomes } = await downloadAll([{ url: server.url("/f.bin") }], {
    dir,
    connections: 16,
    onEvent: (event) => {
      // Once the first answer is in, the next range response crawls: 4 MiB would take a minute.
      if (event.type === "start") {
        server.setFaults("/f.bin", [{ kind: "slow", rate: 64 * 1024, which: "range", times: 1 }]);
      }
    },
  });
  const result = outcomes[0]?.result;
  assert.ok(result, `the file was not saved: ${String(outcomes[0]?.error)}`);
  await assertContent(result.path, "crawl", SIZE);
  assertReceived(t, server, result.bytesReceived);

  const log = server.stats.requestLog;
  const slowed = log.filter((e) => e.fault === "slow");
  assert.equal(slowed.length, 1, "one response was slowed");
  const crawling = bounds(slowed[0]!);
  assert.ok(crawling, `the slowed request asked for ${slowed[0]!.range}`);
  const [first, last] = crawling;
  // Finished by others: the crawler brought a small part of its range, and another request
  // asked for its last byte.
  assert.ok(
    slowed[0]!.bytesSent < (last + 1 - first) / 2,
    `the crawling response sent ${slowed[0]!.bytesSent} of its ${last + 1 - first} bytes`,
  );
  const takeover = log
    .filter((e) => e !== slowed[0])
    .map(bounds)
    .some((r) => r !== undefined && first <= r[0] && r[0] <= last && last <= r[1]);
  assert.ok(takeover, `nobody else fetched byte ${last} of the crawling range ${first}-${last}`);
  const r = ratios(server, result.bytesReceived);
  assert.ok(r.sent <= 1.15, `the server sent ${r.sent.toFixed(3)}x the file`);
});

/** `inner`, counting the body bytes taken through `readInto` and through `body`. */
function countingReads(inner: Transport): { transport: Transport; into: number; body: number } {
  const counts = { into: 0, body: 0 };
  const transport: Transport = {
    ...inner,
    get: async (request) => {
      const response = await inner.get(request);
      const readInto = response.readInto?.bind(response);
      const body = response.body;
      return {
        ...response,
        cancel: () => response.cancel(),
        body: {
          async *[Symbol.asyncIterator]() {
            for await (const chunk of body) {
              counts.body += chunk.length;
              yield chunk;
            }
          },
        },
        ...(readInto
          ? {
              readInto: async (buffer: Uint8Array, offset: number) => {
                const n = await readInto(buffer, offset);
                counts.into += n;
                return n;
              },
            }
          : {}),
      };
    },
  };
  return Object.assign(counts, { transport });
}

test("the lanes receive straight into their buffers: every byte through readInto", async (t) => {
  // Each wrapper between the lanes and the transport (bytes on the wire, the speed limit) must
  // pass readInto on; one that drops it costs a copy of every byte, and nothing else shows it.
  const server = await serve(t, { files: { "/f.bin": generated("into", SIZE) } });
  const dir = await tempDir(t);
  const inner = createTransport();
  t.after(() => inner.close());
  const reads = countingReads(inner);
  const result = await download(server.url("/f.bin"), {
    dir,
    connections: 4,
    transport: reads.transport,
    rateLimit: 1024 * MiB,
  });
  await assertContent(result.path, "into", SIZE);
  assert.equal(reads.body, 0, `${reads.body} bytes were read as chunks and copied`);
  assert.equal(reads.into, result.bytesReceived);
});
