/**
 * One GET through an undici dispatcher, its body handed over chunk by chunk with no stream in
 * between. A Readable would buffer up to its high-water mark and merge chunks into new buffers
 * on read; here a chunk goes straight to a waiting reader, or waits with the connection's reads
 * held, so each socket read is dropped as soon as the engine has copied it (see cli/reclaim.ts).
 */
import type { Socket } from "node:net";
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
  /** The connection the response arrives on: the dispatcher's only one. */
  socket(): Socket | null;
}

/**
 * Makes undici find nothing to read on `socket` until the returned function is called; the
 * kernel's socket buffer then fills and TCP slows the sender.
 *
 * This is the backpressure, not undici's pause (`controller.pause()`): undici 7 asserts that its
 * parser is not paused when the socket ends or is reset on a response that does not keep the
 * connection alive (HTTP/1.0, `Connection: close`, a body up to the close), so a small body that
 * arrives with the close, or a server that cuts a response, kills the process from a socket event
 * (nodejs/undici#5360, fixed only in undici 8, which needs Node 22.19). Held reads never pause the
 * parser: the end stays unread until the reads resume, and a reset fails the response as usual.
 * Unlike a pause, held reads leave undici's body timeout running: a reader away for longer than
 * the idle timeout has the response fail, and retried.
 */
function holdReads(socket: Socket): () => void {
  socket.read = () => null;
  return () => {
    Reflect.deleteProperty(socket, "read");
    // What arrived while held raised events undici has already spent: raise one more, on the
    // next tick, since the release may come from inside undici's parser (a response's end).
    process.nextTick(() => {
      if (!socket.destroyed) socket.emit("readable");
    });
  };
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
    /**
     * Chunks no reader has taken yet; reads are held while there are any. It holds one chunk, or
     * the few spans of one socket read that undici parses before it finds the reads held.
     */
    const waiting: Uint8Array[] = [];
    let release: (() => void) | undefined;
    let reader: ((result: IteratorResult<Uint8Array>) => void) | undefined;
    let readerFails: ((error: Error) => void) | undefined;

    const onAbort = (): void => controller?.abort(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => {
      signal.removeEventListener("abort", onAbort);
      resumeReads();
    };
    const resumeReads = (): void => {
      const resume = release;
      release = undefined;
      resume?.();
    };

    const wake = (): void => {
      if (!reader || !(waiting.length || failure || ended)) return;
      const [read, fail] = [reader, readerFails!];
      reader = readerFails = undefined;
      const chunk = waiting.shift();
      if (chunk) {
        read({ done: false, value: chunk });
        if (!waiting.length) resumeReads();
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
        // Own properties whatever the names: assigned, a header named __proto__ would vanish.
        const headers: Record<string, string> = Object.fromEntries(
          Object.entries(raw)
            .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
            .map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : value]),
        );
        resolve({ status, headers, body, abort });
      },
      onResponseData(_c, chunk) {
        // Nothing to hand over, and nothing worth holding the connection for.
        if (chunk.length === 0) return;
        hooks.onChunk(chunk.length);
        if (reader) {
          const read = reader;
          reader = readerFails = undefined;
          read({ done: false, value: chunk });
          return;
        }
        waiting.push(chunk);
        const socket = hooks.socket();
        if (!release && socket) release = holdReads(socket);
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
