/**
 * The daemon's JSON-RPC over its WebSocket, as any aria2 client speaks it. The session cookie
 * proves the secret on the upgrade, so calls carry no token. The socket reconnects by itself
 * (250 ms, doubling to 5 s) and says so, so the page survives a daemon restart.
 */
export type ConnectionState = "connecting" | "open" | "closed" | "unauthorized";

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class Rpc {
  #socket: WebSocket | undefined;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #retryMs = 250;
  #stopped = false;
  /** Times the socket opened: more than one means it reconnected. */
  opens = 0;
  onState: (state: ConnectionState) => void = () => {};
  onNotification: (method: string, params: unknown[]) => void = () => {};

  constructor(readonly url: string) {}

  connect(): void {
    this.#stopped = false;
    this.onState("connecting");
    const socket = new WebSocket(this.url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#retryMs = 250;
      this.opens += 1;
      this.onState("open");
    };
    socket.onmessage = (event) => this.#message(String(event.data));
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      for (const p of this.#pending.values()) p.reject(new RpcError("the daemon went away", -1));
      this.#pending.clear();
      if (this.#stopped) return;
      void this.#retry();
    };
  }

  async #retry(): Promise<void> {
    // A refused upgrade looks like any close: ask whether the login still holds.
    const session = await fetch("/session", { credentials: "same-origin" }).catch(() => undefined);
    if (session?.status === 401) {
      this.onState("unauthorized");
      return;
    }
    this.onState("closed");
    const wait = this.#retryMs;
    this.#retryMs = Math.min(5000, this.#retryMs * 2);
    setTimeout(() => {
      if (!this.#stopped) this.connect();
    }, wait);
  }

  close(): void {
    this.#stopped = true;
    this.#socket?.close();
  }

  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new RpcError("not connected to the daemon", -1));
    }
    const id = this.#nextId++;
    socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Several calls in one message; each result, or an RpcError in its place. */
  async multicall(calls: [string, ...unknown[]][]): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const answers = await this.call<unknown[]>(
      "system.multicall",
      calls.map(([methodName, ...params]) => ({ methodName, params })),
    );
    return answers.map((a) => {
      if (Array.isArray(a)) return a[0];
      const fault = a as { code?: number; message?: string };
      return new RpcError(fault.message ?? "failed", fault.code ?? 1);
    });
  }

  #message(text: string): void {
    let message: {
      id?: number;
      method?: string;
      params?: unknown[];
      result?: unknown;
      error?: { code: number; message: string };
    };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.method !== undefined) {
      this.onNotification(message.method, message.params ?? []);
      return;
    }
    const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id!);
    if (message.error) pending.reject(new RpcError(message.error.message, message.error.code));
    else pending.resolve(message.result);
  }
}
