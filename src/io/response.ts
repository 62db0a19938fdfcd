/**
 * One GET through an undici dispatcher, its body handed over chunk by chunk with no stream in
 * between. A Readable would buffer up to its high-water mark and merge chunks into new buffers
 * on read; here a chunk goes straight to a waiting reader, or waits alone with the connection
 * paused, so each socket read is dropped as soon as the engine has copied it (see reclaim.ts).
 */
import type { Dispatcher } from "undici";

export interface DispatchedResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
  /** Stops the body (or the request, before its headers) and drops the connection. */
  abort(): void;
}

export interface DispatchHooks {
  /** Each chunk's size as it arrives. */
  onChunk(bytes: number): void;
  /** Called once when a body is abandoned half-way, before the request is aborted. */
  onAbandon(): void;
}

export function dispatchGet(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal,
  hooks: DispatchHooks,
): Promise<DispatchedResponse> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let started = false;
    let ended = false;
    let failure: Error | undefined;
    /** At most one chunk waits here: the connection is paused while it does. */
    let waiting: Uint8Array | undefined;
    let reader: ((result: IteratorResult<Uint8Array>) => void) | undefined;
    let readerFails: ((error: Error) => void) | undefined;

    const onAbort = (): void => controller?.abort(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => signal.removeEventListener("abort", onAbort);

    const wake = (): void => {
      if (!reader || !(waiting || failure || ended)) return;
      const [read, fail] = [reader, readerFails!];
      reader = readerFails = undefined;
      if (waiting) {
        const chunk = waiting;
        waiting = undefined;
        controller?.resume();
        read({ done: false, value: chunk });
      } else if (failure) fail(failure);
      else if (ended) read({ done: true, value: undefined });
    };

    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<Uint8Array>>((read, fail) => {
            reader = read;
            readerFails = fail;
            wake();
          }),
        return: async () => {
          abort();
          return { done: true, value: undefined };
        },
      }),
    };
    let abandoned = false;
    const abort = (): void => {
      if (ended || failure || abandoned) return;
      abandoned = true;
      hooks.onAbandon();
      controller?.abort(new Error("response cancelled"));
    };

    dispatcher.dispatch(options, {
      onRequestStart(c) {
        controller = c;
        if (signal.aborted) c.abort(signal.reason as Error);
      },
      onResponseStart(_c, status, raw) {
        // 1xx responses come first and are not the answer.
        if (status < 200) return;
        started = true;
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(raw)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
        }
        resolve({ status, headers, body, abort });
      },
      onResponseData(c, chunk) {
        // Resuming flushes the parser with an empty buffer, which may arrive as an empty chunk:
        // pausing on it would stall the connection before the socket is read again.
        if (chunk.length === 0) return;
        hooks.onChunk(chunk.length);
        if (reader) {
          const read = reader;
          reader = readerFails = undefined;
          read({ done: false, value: chunk });
        } else {
          waiting = chunk;
          c.pause();
        }
      },
      onResponseEnd() {
        ended = true;
        settle();
        wake();
      },
      onResponseError(_c, error) {
        failure = error;
        settle();
        if (!started) reject(error);
        else wake();
      },
    });
  });
}
