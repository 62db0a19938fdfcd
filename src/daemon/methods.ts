/**
 * The RPC's methods, each declared once: its name and a small function over the runner. HTTP and
 * WebSocket (server.ts) are only how calls arrive; dispatch.ts checks the secret and the shape.
 */
import { VERSION } from "../index.js";
import { optionsForWire, wireNumber, type Gid } from "../core/aria2.js";
import { filesOf, statusStruct, urisOf } from "../core/aria2-status.js";
import { page } from "../core/queue.js";
import { RpcFault } from "../core/jsonrpc.js";
import type { Runner } from "./runner.js";

export interface MethodContext {
  runner: Runner;
  sessionId: string;
  /** Stops the daemon after the answer is sent. */
  shutdown(): void;
  /** Wrong secrets received since the daemon started. */
  failedAuthAttempts(): number;
}

export interface Method {
  name: string;
  /** Answers without the secret (aria2 lets anyone list its methods). */
  public?: boolean;
  run(ctx: MethodContext, params: unknown[]): unknown;
}

export const NOTIFICATIONS = [
  "aria2.onDownloadStart",
  "aria2.onDownloadPause",
  "aria2.onDownloadStop",
  "aria2.onDownloadComplete",
  "aria2.onDownloadError",
  "aria2.onBtDownloadComplete",
  /** parget's: what a download's digests came to (expected and actual, and who vouched). */
  "parget.onDownloadVerified",
] as const;

const gid = (ctx: MethodContext, params: unknown[]): Gid => ctx.runner.find(params[0]);

function keys(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((k) => typeof k !== "string")) {
    throw new RpcFault("keys must be a list of strings");
  }
  return value as string[];
}

function integer(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new RpcFault(`${name} must be an integer`);
  }
  return value;
}

const ok = "OK";

function connectionsOf(ctx: MethodContext, g: Gid): Record<string, unknown>[] {
  return ctx.runner.lanes(g).map((l) => ({
    lane: String(l.lane),
    state: l.state,
    range: l.range && l.range.map((n) => wireNumber(n)),
    position: l.position === null ? null : wireNumber(l.position),
    downloadSpeed: wireNumber(l.bytesPerSecond),
    steals: String(l.steals),
    races: String(l.races),
    reconnects: String(l.reconnects),
    origin: l.origin,
    originAt: l.originAt === null ? null : wireNumber(l.originAt),
  }));
}

function unsupported(name: string, what: string): Method {
  return {
    name,
    run: () => {
      throw new RpcFault(`${name}: parget does not support ${what}`);
    },
  };
}

export const METHODS: readonly Method[] = [
  {
    name: "aria2.addUri",
    run: (ctx, [uris, options, position]) => ctx.runner.add(uris, options, position),
  },
  unsupported("aria2.addTorrent", "BitTorrent"),
  unsupported("aria2.addMetalink", "Metalink"),
  unsupported("aria2.getPeers", "BitTorrent"),
  { name: "aria2.remove", run: (ctx, p) => (ctx.runner.remove(gid(ctx, p)), gid(ctx, p)) },
  {
    // Beyond aria2: remove (if still queued or running) and delete its file, partial data included.
    name: "parget.removeWithData",
    run: async (ctx, p) => {
      const g = gid(ctx, p);
      await ctx.runner.removeWithData(g);
      return g;
    },
  },
  { name: "aria2.forceRemove", run: (ctx, p) => (ctx.runner.remove(gid(ctx, p)), gid(ctx, p)) },
  { name: "aria2.pause", run: (ctx, p) => (ctx.runner.pause(gid(ctx, p)), gid(ctx, p)) },
  { name: "aria2.forcePause", run: (ctx, p) => (ctx.runner.pause(gid(ctx, p)), gid(ctx, p)) },
  { name: "aria2.pauseAll", run: (ctx) => (ctx.runner.pauseAll(), ok) },
  { name: "aria2.forcePauseAll", run: (ctx) => (ctx.runner.pauseAll(), ok) },
  { name: "aria2.unpause", run: (ctx, p) => (ctx.runner.unpause(gid(ctx, p)), gid(ctx, p)) },
  { name: "aria2.unpauseAll", run: (ctx) => (ctx.runner.unpauseAll(), ok) },
  {
    name: "aria2.tellStatus",
    run: (ctx, p) => statusStruct(ctx.runner.view(gid(ctx, p)), keys(p[1])),
  },
  {
    name: "aria2.tellActive",
    run: (ctx, [k]) => ctx.runner.active.map((g) => statusStruct(ctx.runner.view(g), keys(k))),
  },
  {
    name: "aria2.tellWaiting",
    run: (ctx, [offset, num, k]) =>
      page(ctx.runner.waiting, integer(offset, "offset"), integer(num, "num")).map((g) =>
        statusStruct(ctx.runner.view(g), keys(k)),
      ),
  },
  {
    name: "aria2.tellStopped",
    run: (ctx, [offset, num, k]) =>
      page(ctx.runner.stopped, integer(offset, "offset"), integer(num, "num")).map((g) =>
        statusStruct(ctx.runner.view(g), keys(k)),
      ),
  },
  { name: "aria2.getFiles", run: (ctx, p) => filesOf(ctx.runner.view(gid(ctx, p))) },
  { name: "aria2.getUris", run: (ctx, p) => urisOf(ctx.runner.view(gid(ctx, p))) },
  {
    // aria2's per-file list of connections (AriaNg's connections view), from parget's lanes.
    name: "aria2.getServers",
    run: (ctx, p) => {
      const g = gid(ctx, p);
      if (ctx.runner.statusOf(g) !== "active") throw new RpcFault(`GID ${g} is not active`);
      const uri = ctx.runner.view(g).uris[0]!;
      const servers = ctx.runner
        .lanes(g)
        .filter((l) => l.range !== null)
        .map((l) => ({ uri, currentUri: uri, downloadSpeed: wireNumber(l.bytesPerSecond) }));
      return [{ index: "1", servers }];
    },
  },
  {
    name: "aria2.getOption",
    run: (ctx, p) => {
      const g = gid(ctx, p);
      return { dir: ctx.runner.view(g).dir, ...optionsForWire(ctx.runner.options(g)) };
    },
  },
  {
    name: "aria2.changeOption",
    run: (ctx, p) => (ctx.runner.changeOption(gid(ctx, p), p[1]), ok),
  },
  {
    name: "aria2.getGlobalOption",
    run: (ctx) => ({
      dir: ctx.runner.root,
      "max-concurrent-downloads": String(ctx.runner.global.maxConcurrentDownloads),
      "max-overall-download-limit": String(ctx.runner.global.maxOverallDownloadLimit),
    }),
  },
  {
    name: "aria2.changeGlobalOption",
    run: (ctx, [options]) => (ctx.runner.changeGlobalOption(options), ok),
  },
  {
    name: "aria2.changePosition",
    run: (ctx, p) => ctx.runner.changePosition(gid(ctx, p), p[1], p[2]),
  },
  {
    name: "aria2.getGlobalStat",
    run: (ctx) => {
      const { active, waiting, stopped } = ctx.runner.counts();
      return {
        downloadSpeed: wireNumber(ctx.runner.downloadSpeed),
        uploadSpeed: "0",
        numActive: String(active),
        numWaiting: String(waiting),
        numStopped: String(stopped),
        numStoppedTotal: String(stopped),
      };
    },
  },
  { name: "aria2.purgeDownloadResult", run: (ctx) => (ctx.runner.purge(), ok) },
  {
    name: "aria2.removeDownloadResult",
    run: (ctx, p) => (ctx.runner.removeResult(gid(ctx, p)), ok),
  },
  {
    name: "aria2.getVersion",
    run: () => ({ version: VERSION, enabledFeatures: ["HTTPS", "Checksum"] }),
  },
  { name: "aria2.getSessionInfo", run: (ctx) => ({ sessionId: ctx.sessionId }) },
  { name: "aria2.saveSession", run: async (ctx) => (await ctx.runner.save(), ok) },
  { name: "aria2.shutdown", run: (ctx) => (ctx.shutdown(), ok) },
  { name: "aria2.forceShutdown", run: (ctx) => (ctx.shutdown(), ok) },
  {
    name: "system.listMethods",
    public: true,
    run: () => [...METHODS.map((m) => m.name), "system.multicall"],
  },
  { name: "system.listNotifications", public: true, run: () => [...NOTIFICATIONS] },
  {
    name: "parget.getVerification",
    run: (ctx, p) => ctx.runner.verification(gid(ctx, p)) ?? null,
  },
  {
    // Per connection, what aria2 cannot say: its range, speed, steals, races and reconnects.
    name: "parget.tellConnections",
    run: (ctx, p) => connectionsOf(ctx, gid(ctx, p)),
  },
  {
    // What a range map draws: the written spans, the prefix hashed in order, and the connections.
    name: "parget.tellRangeMap",
    run: (ctx, p) => {
      const g = gid(ctx, p);
      const { totalLength, completedLength } = ctx.runner.view(g);
      const { spans, hashedBytes } = ctx.runner.written(g);
      return {
        gid: g,
        totalLength: totalLength === null ? null : wireNumber(totalLength),
        completedLength: wireNumber(completedLength),
        written: spans.map(([start, end]) => [wireNumber(start), wireNumber(end)]),
        hashedLength: hashedBytes === undefined ? null : wireNumber(hashedBytes),
        connections: connectionsOf(ctx, g),
      };
    },
  },
  {
    name: "parget.getDaemonInfo",
    run: (ctx) => ({
      version: VERSION,
      root: ctx.runner.root,
      store: ctx.runner.storePath,
      failedAuthAttempts: String(ctx.failedAuthAttempts()),
    }),
  },
];

export const METHOD_TABLE: ReadonlyMap<string, Method> = new Map(METHODS.map((m) => [m.name, m]));
