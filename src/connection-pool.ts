/**
 * A set's connections: a fixed number of slots over one transport, each slot one connection at
 * most. Each download leases a Transport whose lanes are mapped onto free slots for as long as the
 * lane runs; a slot keeps its connection when it is released, so the next file from the same
 * origin reuses it (1,000 small files are not 1,000 handshakes). Acquiring waits while every slot
 * is taken, or while the host holds its cap: the global budget and the per-host cap are never
 * exceeded, not even while a file's extra lanes finish their segments.
 */
import type { Transport, TransportRequest } from "./io/transport.js";

export interface PoolOptions {
  /** Connections open at once, all hosts together. */
  size: number;
  /** Connections open at once to one origin. */
  hostCap: (origin: string) => number;
}

/** A download's view of the pool: release() hands a lane's slot back when the lane stops. */
export interface LeasedTransport extends Transport {
  release(lane: number): void;
}

interface Slot {
  index: number;
  /** The origin its connection was last opened to; null before its first use. */
  origin: string | null;
  busy: boolean;
  /** When it was last released: the least recently used slot is the one to reopen elsewhere. */
  freedAt: number;
}

interface Waiter {
  origin: string;
  grant: (slot: Slot) => void;
}

export class ConnectionPool {
  readonly #transport: Transport;
  readonly #options: PoolOptions;
  readonly #slots: Slot[];
  readonly #waiters: Waiter[] = [];
  #releases = 0;

  constructor(transport: Transport, options: PoolOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#slots = Array.from({ length: Math.max(1, options.size) }, (_, index) => ({
      index,
      origin: null,
      busy: false,
      freedAt: 0,
    }));
  }

  /** Slots in use per origin, for the scheduler's view of who holds what. */
  inUse(origin: string): number {
    return this.#slots.filter((s) => s.busy && s.origin === origin).length;
  }

  lease(): LeasedTransport {
    const lanes = new Map<number, Slot>();
    const slotFor = async (lane: number, url: URL, signal: AbortSignal): Promise<Slot> => {
      const held = lanes.get(lane);
      if (held && held.origin === url.origin) return held;
      if (held) this.#release(held);
      lanes.delete(lane);
      const slot = await this.#acquire(url.origin, signal);
      lanes.set(lane, slot);
      return slot;
    };
    const release = (lane: number): void => {
      const slot = lanes.get(lane);
      if (!slot) return;
      lanes.delete(lane);
      this.#release(slot);
    };
    return {
      get: async (request: TransportRequest) => {
        const slot = await slotFor(request.lane, request.url, request.signal);
        return this.#transport.get({ ...request, lane: slot.index });
      },
      warm: (url, lane) => {
        // Only with a slot free now (which no waiter can use): a warm-up never waits.
        if (lanes.has(lane)) return;
        const slot = this.#take(url.origin);
        if (!slot) return;
        lanes.set(lane, slot);
        this.#transport.warm(url, slot.index);
      },
      release,
      close: async () => {
        for (const lane of [...lanes.keys()]) release(lane);
      },
    };
  }

  /** Closes every connection. */
  close(): Promise<void> {
    return this.#transport.close();
  }

  #acquire(origin: string, signal: AbortSignal): Promise<Slot> {
    signal.throwIfAborted();
    // A slot free now is one no waiter can use: release() hands slots to waiters first.
    const slot = this.#take(origin);
    if (slot) return Promise.resolve(slot);
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        origin,
        grant: (granted) => {
          signal.removeEventListener("abort", onAbort);
          resolve(granted);
        },
      };
      const onAbort = (): void => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * A free slot for `origin`, if the budget and the host's cap allow one: preferably one whose
   * connection already goes there, else a slot never used, else the one idle longest.
   */
  #take(origin: string): Slot | undefined {
    if (this.inUse(origin) >= this.#options.hostCap(origin)) return undefined;
    let pick: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.busy) continue;
      if (slot.origin === origin) {
        pick = slot;
        break;
      }
      if (pick === undefined || rank(slot) < rank(pick)) pick = slot;
    }
    if (!pick) return undefined;
    pick.busy = true;
    pick.origin = origin;
    return pick;
  }

  #release(slot: Slot): void {
    slot.busy = false;
    slot.freedAt = ++this.#releases;
    // The first waiter that can be served now; one held back by its host's cap lets others pass.
    for (let i = 0; i < this.#waiters.length; i++) {
      const waiter = this.#waiters[i]!;
      const granted = this.#take(waiter.origin);
      if (!granted) continue;
      this.#waiters.splice(i, 1);
      waiter.grant(granted);
      return;
    }
  }
}

/** Never-used slots first, then the least recently released. */
function rank(slot: Slot): number {
  return slot.origin === null ? -1 : slot.freedAt;
}
