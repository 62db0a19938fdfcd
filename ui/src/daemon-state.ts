/**
 * The page's picture of the daemon, kept by one hook: it follows the queue over the WebSocket
 * (a notification triggers a full refresh), and one multicall a second brings speeds, the chart's
 * sample and the selected download's range map. aria2 notifies no add, move or purge, so other
 * clients' changes are noticed in getGlobalStat's counts, and a full refresh every 10 s catches a
 * reorder.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  LIST_KEYS,
  fromWire,
  rangeMapFromWire,
  type Download,
  type RangeMap,
  type Verification,
} from "./model.js";
import { Rpc, RpcError, type ConnectionState } from "./rpc.js";
import type { Sample } from "./views/chart.js";

/** Chart samples kept: five minutes at one a second. */
const WINDOW = 300;

export interface Global {
  speed: number;
  limit: number;
  concurrency: number;
}

export interface DaemonState {
  /** The connection (read when called: it exists once the page has mounted). */
  readonly rpc: Rpc;
  connection: ConnectionState;
  downloads: Download[];
  global: Global;
  verifications: Record<string, Verification>;
  selected: string | undefined;
  select: (gid: string | undefined) => void;
  /** The selected download's range map, while it runs. */
  rangeMap: RangeMap | undefined;
  samples: Sample[];
  /** A line about the connection (a restart, a reconnect); "" for none. */
  notice: string;
  dismissNotice: () => void;
  /** Reloads the whole queue soon (calls made together are coalesced). */
  refreshSoon: () => void;
}

export function useDaemon(onUnauthorized: () => void): DaemonState {
  const rpc = useRef<Rpc>(undefined as unknown as Rpc);
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const [downloads, setDownloads] = useState<Download[]>([]);
  const [global, setGlobal] = useState<Global>({ speed: 0, limit: 0, concurrency: 5 });
  const [verifications, setVerifications] = useState<Record<string, Verification>>({});
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [rangeMap, setRangeMap] = useState<RangeMap | undefined>(undefined);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [notice, setNotice] = useState("");
  // What the timers read: the latest state, not the one of the render that started them.
  const state = useRef({
    downloads,
    verifications,
    selected,
    session: "",
    refreshQueued: false,
    ticks: 0,
  });
  state.current.downloads = downloads;
  state.current.verifications = verifications;
  state.current.selected = selected;

  const refresh = async (): Promise<void> => {
    const r = rpc.current;
    const [active, waiting, stopped, stat, options, session] = await r.multicall([
      ["aria2.tellActive", LIST_KEYS],
      ["aria2.tellWaiting", 0, 1000, LIST_KEYS],
      ["aria2.tellStopped", 0, 1000, LIST_KEYS],
      ["aria2.getGlobalStat"],
      ["aria2.getGlobalOption"],
      ["aria2.getSessionInfo"],
    ]);
    const list = [
      ...(active as never[]).map((s) => fromWire(s)),
      ...(waiting as never[]).map((s, i) => fromWire(s, i)),
      ...(stopped as never[]).map((s) => fromWire(s)),
    ];
    setDownloads(list);
    const o = options as Record<string, string>;
    setGlobal({
      speed: Number((stat as Record<string, string>).downloadSpeed),
      limit: Number(o["max-overall-download-limit"] ?? 0),
      concurrency: Number(o["max-concurrent-downloads"] ?? 5),
    });
    const id = (session as { sessionId: string }).sessionId;
    if (state.current.session !== "" && state.current.session !== id) {
      setNotice(
        `The daemon restarted (${new Date().toLocaleTimeString()}); the page reconnected and reloaded the queue.`,
      );
    }
    state.current.session = id;
    const unknown = list.filter(
      (d) =>
        (d.status === "complete" || d.status === "error") &&
        !(d.gid in state.current.verifications),
    );
    if (unknown.length > 0) {
      const found = await r.multicall(unknown.map((d) => ["parget.getVerification", d.gid]));
      const next = { ...state.current.verifications };
      found.forEach((v, i) => {
        if (v && !(v instanceof RpcError)) next[unknown[i]!.gid] = v as Verification;
      });
      setVerifications(next);
    }
  };

  const refreshSoon = (): void => {
    if (state.current.refreshQueued) return;
    state.current.refreshQueued = true;
    setTimeout(() => {
      state.current.refreshQueued = false;
      if (rpc.current.open) refresh().catch(() => {});
    }, 50);
  };

  const tick = async (): Promise<void> => {
    const r = rpc.current;
    if (!r.open) return;
    const chosen = state.current.selected;
    const chosenActive = state.current.downloads.find((d) => d.gid === chosen)?.status === "active";
    const [active, stat, map] = await r.multicall([
      ["aria2.tellActive", LIST_KEYS],
      ["aria2.getGlobalStat"],
      ...(chosenActive ? [["parget.tellRangeMap", chosen] as [string, ...unknown[]]] : []),
    ]);
    const now = (active as never[]).map((s) => fromWire(s));
    const byGid = new Map(now.map((d) => [d.gid, d]));
    const before = state.current.downloads;
    const sameActive =
      before.filter((d) => d.status === "active").length === now.length &&
      now.every((d) => before.some((b) => b.gid === d.gid && b.status === "active"));
    setDownloads(before.map((d) => byGid.get(d.gid) ?? d));
    const counts = stat as Record<string, string>;
    const known = (s: Download["status"][]) => before.filter((d) => s.includes(d.status)).length;
    state.current.ticks += 1;
    if (
      !sameActive ||
      Number(counts.numWaiting) !== known(["waiting", "paused"]) ||
      Number(counts.numStopped) !== known(["complete", "error", "removed"]) ||
      state.current.ticks % 10 === 0
    ) {
      refreshSoon();
    }
    const speed = Number(counts.downloadSpeed);
    setGlobal((g) => ({ ...g, speed }));
    // The selection may have changed while the call was out.
    if (
      map &&
      !(map instanceof RpcError) &&
      (map as { gid?: string }).gid === state.current.selected
    )
      setRangeMap(rangeMapFromWire(map as Record<string, unknown>));
    setSamples((s) => [
      ...s.slice(-WINDOW + 1),
      {
        t: Date.now() / 1000,
        total: speed,
        each: Object.fromEntries(now.map((d) => [d.gid, d.speed])),
      },
    ]);
  };

  useEffect(() => {
    const r = new Rpc(
      `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/jsonrpc`,
    );
    rpc.current = r;
    r.onState = (s) => {
      setConnection(s);
      if (s === "open") {
        if (r.opens > 1 && state.current.session === "") setNotice("Reconnected to the daemon.");
        refreshSoon();
      }
      if (s === "unauthorized") onUnauthorized();
    };
    r.onNotification = (method, params) => {
      if (method === "parget.onDownloadVerified") {
        const p = params[0] as { gid: string; verification: Verification };
        setVerifications((v) => ({ ...v, [p.gid]: p.verification }));
      }
      refreshSoon();
    };
    r.connect();
    const timer = setInterval(() => void tick().catch(() => {}), 1000);
    return () => {
      clearInterval(timer);
      r.close();
    };
  }, []);

  return {
    get rpc() {
      return rpc.current;
    },
    connection,
    downloads,
    global,
    verifications,
    selected,
    select: (gid) => {
      setSelected(gid);
      setRangeMap(undefined);
    },
    rangeMap,
    samples,
    notice,
    dismissNotice: () => setNotice(""),
    refreshSoon,
  };
}
