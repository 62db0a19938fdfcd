/**
 * A TCP proxy on loopback that holds every chunk `delayMs` in each direction: added round-trip
 * time without tc netem. Each client connection gets its own upstream connection, so a server
 * that paces each connection still paces each of the client's.
 */
import net from "node:net";

/** Pauses reading a side while this much is held for the other. */
const HIGH_WATER = 4 * 1024 * 1024;

export interface DelayProxy {
  port: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order. Reading pauses while
 * too much is held or `to` pushes back, so a slow reader still slows the sender.
 */
function delayLine(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let held = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const schedule = (): void => {
    if (timer !== undefined) return;
    const head = queue[0];
    if (head) {
      timer = setTimeout(flush, Math.max(0, head.due - performance.now()));
    } else if (ended) {
      to.end();
    }
  };
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now + 0.5) {
      const { chunk } = queue.shift()!;
      held -= chunk.length;
      to.write(chunk);
    }
    if (held < HIGH_WATER && !to.writableNeedDrain) from.resume();
    schedule();
  };
  from.on("data", (chunk: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    held += chunk.length;
    if (held >= HIGH_WATER || to.writableNeedDrain) from.pause();
    schedule();
  });
  to.on("drain", () => {
    if (held < HIGH_WATER) from.resume();
  });
  from.once("end", () => {
    ended = true;
    schedule();
  });
}

export async function startDelayProxy(options: {
  upstreamPort: number;
  /** One way; the round trip gains twice this. */
  delayMs: number;
}): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  // Half-open sockets: a side's end is passed on only once what was held for it has gone out.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    accepted++;
    const upstream = net.connect({
      port: options.upstreamPort,
      host: "127.0.0.1",
      noDelay: true,
      allowHalfOpen: true,
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      // Either side failing ends both: the client sees a reset, as it would from the server.
      socket.once("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayLine(client, upstream, options.delayMs);
    delayLine(upstream, client, options.delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
