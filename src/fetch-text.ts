/** A small text resource over HTTP(S), such as a checksum list published beside a set's files. */
import type { DownloadOptions } from "./options.js";
import { normalizeOptions } from "./options.js";
import { BadResponseError, HttpStatusError, redactUrl } from "./errors.js";
import { defaultTransport } from "./default-transport.js";
import { parseHttpUrl } from "./core/url.js";
import { send } from "./http.js";
import { withRetries } from "./retrying.js";

/** Larger than any checksum list of a real set; small enough never to be a memory problem. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

export type FetchTextOptions = Pick<
  DownloadOptions,
  | "headers"
  | "proxy"
  | "insecure"
  | "caCertificates"
  | "idleTimeoutMs"
  | "retries"
  | "signal"
  | "transport"
>;

/** GETs `url`, following redirects and retrying as a download does; resolves its body as UTF-8. */
export async function fetchText(url: string, options: FetchTextOptions = {}): Promise<string> {
  const o = normalizeOptions(options);
  const target = parseHttpUrl(url);
  const transport = o.transport ?? defaultTransport(o);
  const signal = o.signal ?? new AbortController().signal;
  try {
    return await withRetries(
      { retries: o.retries, signal, url: target, emit: () => {}, range: () => null },
      async () => {
        const { response } = await send(transport, {
          url: target,
          headers: { ...o.headers, "accept-encoding": "identity" },
          lane: 0,
          signal,
          idleTimeoutMs: o.idleTimeoutMs,
        });
        if (response.status !== 200) {
          response.cancel();
          throw new HttpStatusError(response.status, redactUrl(target));
        }
        const chunks: Uint8Array[] = [];
        let length = 0;
        for await (const chunk of response.body) {
          length += chunk.length;
          if (length > MAX_TEXT_BYTES) {
            response.cancel();
            throw new BadResponseError(
              `${redactUrl(target)} is larger than ${MAX_TEXT_BYTES / 1024 / 1024} MiB`,
            );
          }
          // A copy: the transport may reuse a chunk's memory once the next is asked for.
          chunks.push(Buffer.from(chunk));
        }
        return Buffer.concat(chunks).toString("utf8");
      },
    );
  } finally {
    if (!o.transport) await transport.close();
  }
}
