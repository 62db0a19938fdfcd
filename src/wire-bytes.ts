/**
 * Bytes on the wire: every body byte a download's responses bring from the server, whether it was
 * written or dropped (a race it lost, bytes past a steal's cut or already claimed, a response
 * cancelled or refused). A `Transport => Transport` wrapper, as the pacer is, so every path that
 * reads a body (the first response, the lanes, a whole file in memory, a stream without ranges)
 * is counted alike. What the kernel still held for a response when it was cancelled never
 * reaches a reader and is not counted: the server's own count can be higher by that much.
 */
import type { Transport, TransportResponse } from "./io/transport.js";

export class WireCounter {
  /** Body bytes received so far, over every response of the download. */
  bytes = 0;

  wrap(transport: Transport): Transport {
    const release = transport.release?.bind(transport);
    return {
      get: async (request) => this.#counted(await transport.get(request)),
      warm: (url, lane) => transport.warm(url, lane),
      ...(release ? { release } : {}),
      close: () => transport.close(),
    };
  }

  #counted(response: TransportResponse): TransportResponse {
    const body = response.body;
    // Passed on as it is: a lane then receives straight into its batch buffers (transport.ts).
    const readInto = response.readInto?.bind(response);
    return {
      status: response.status,
      headers: response.headers,
      ...(readInto
        ? {
            readInto: async (buffer: Uint8Array, offset: number) => {
              const n = await readInto(buffer, offset);
              this.bytes += n;
              return n;
            },
          }
        : {}),
      body: {
        [Symbol.asyncIterator]: () => {
          const inner = body[Symbol.asyncIterator]();
          return {
            next: async () => {
              const result = await inner.next();
              if (!result.done) this.bytes += result.value.length;
              return result;
            },
            return: async () =>
              (await inner.return?.()) ?? { done: true as const, value: undefined },
          };
        },
      },
      cancel: () => response.cancel(),
    };
  }
}
