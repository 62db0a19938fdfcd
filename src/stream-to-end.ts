/**
 * A 200 without a length (chunked, no ranges): written in order to its end. It cannot resume, so
 * a failure fetches it again from byte 0, and it is hashed once complete rather than on the way.
 */
import type { Transport, TransportResponse } from "./io/transport.js";
import type { PartialFile } from "./io/files.js";
import type { Extent } from "./core/planner.js";
import { crc32c } from "./integrity/crc32c.js";
import { send, type Sent } from "./http.js";
import { withRetries, type RetryScope } from "./retrying.js";

export async function streamToEnd(
  first: Sent,
  file: PartialFile,
  transport: Transport,
  idleTimeoutMs: number,
  scope: RetryScope,
  crcs: boolean,
): Promise<Extent> {
  let pending: TransportResponse | undefined = first.response;
  return withRetries(scope, async () => {
    const request = {
      url: first.url,
      headers: first.headers,
      lane: 0,
      signal: scope.signal,
      idleTimeoutMs,
    };
    const response = pending ?? (await send(transport, request)).response;
    pending = undefined;
    let at = 0;
    let crc = 0;
    try {
      for await (const chunk of response.body) {
        await file.write([chunk], at);
        if (crcs) crc = crc32c(chunk, crc);
        at += chunk.length;
      }
    } finally {
      response.cancel();
    }
    await file.truncate(at);
    return { start: 0, end: at, crc };
  });
}
