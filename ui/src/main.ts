/**
 * parget's web interface: a client of the daemon's public JSON-RPC, like any script. Logs in by
 * trading the secret (from the URL fragment, once, or typed) for an HttpOnly session cookie,
 * then follows the queue over the WebSocket: notifications trigger a full refresh, and one
 * multicall a second brings speeds, the chart and the selected download's connections.
 */
import "uplot/dist/uPlot.min.css";
import "../app.css";
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import {
  LIST_KEYS,
  fromWire,
  rangeMapFromWire,
  type Download,
  type RangeMap,
  type Verification,
} from "./model.js";
import { Rpc, RpcError, type ConnectionState } from "./rpc.js";
import { fieldOfMessage, type AddRequest, type FieldErrors } from "./form.js";
import { AddForm } from "./views/add.js";
import { Chart, type Sample } from "./views/chart.js";
import { Details } from "./views/details.js";
import { Limits } from "./views/limits.js";
import { List, type Action } from "./views/list.js";
import { Login } from "./views/login.js";

const WINDOW = 300;

async function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
}

/** The secret from `#token=...`, removed from the address bar (and history) at once. */
function takeFragmentSecret(): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, "", location.pathname);
  return decodeURIComponent(match[1]!);
}

function App() {
  const [auth, setAuth] = useState<"checking" | "login" | "in">("checking");
  const [loginError, setLoginError] = useState("");
  useEffect(() => {
    void (async () => {
      const secret = takeFragmentSecret();
      if (secret !== undefined) {
        const r = await postJson("/session", { secret });
        if (r.ok) return setAuth("in");
        setLoginError("The secret in the link was refused; the daemon may have a new one.");
        return setAuth("login");
      }
      const r = await fetch("/session", { credentials: "same-origin" });
      setAuth(r.ok ? "in" : "login");
    })();
  }, []);
  if (auth === "checking") return html`<p class="loading" role="status">Connecting…</p>`;
  if (auth === "login") {
    return html`<${Login}
      error=${loginError}
      onSubmit=${async (secret: string) => {
        const r = await postJson("/session", { secret });
        if (r.ok) {
          setLoginError("");
          setAuth("in");
        } else
          setLoginError(
            r.status === 401 ? "That is not the daemon's secret." : `Login failed (${r.status}).`,
          );
      }}
    />`;
  }
  return html`<${Main}
    onLogout=${async () => {
      await postJson("/session/logout", {});
      setLoginError("");
      setAuth("login");
    }}
    onUnauthorized=${() => {
      setLoginError("The session ended (the daemon's secret changed?). Log in again.");
      setAuth("login");
    }}
  />`;
}

interface Global {
  speed: number;
  limit: number;
  concurrency: number;
}

function Main({ onLogout, onUnauthorized }: { onLogout: () => void; onUnauthorized: () => void }) {
  const rpc = useRef<Rpc>(undefined as unknown as Rpc);
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const [downloads, setDownloads] = useState<Download[]>([]);
  const [global, setGlobal] = useState<Global>({ speed: 0, limit: 0, concurrency: 5 });
  const [verifications, setVerifications] = useState<Record<string, Verification>>({});
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [rangeMap, setRangeMap] = useState<RangeMap | undefined>(undefined);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [notice, setNotice] = useState("");
  const [failure, setFailure] = useState("");
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

  const queueRefresh = (): void => {
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
    // aria2 notifies no add, move or purge: other clients' changes show in the counts, and a
    // full refresh every 10 s catches a reorder.
    const counts = stat as Record<string, string>;
    const known = (s: Download["status"][]) => before.filter((d) => s.includes(d.status)).length;
    state.current.ticks += 1;
    if (
      !sameActive ||
      Number(counts.numWaiting) !== known(["waiting", "paused"]) ||
      Number(counts.numStopped) !== known(["complete", "error", "removed"]) ||
      state.current.ticks % 10 === 0
    ) {
      queueRefresh();
    }
    const speed = Number(counts.downloadSpeed);
    setGlobal((g) => ({ ...g, speed }));
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
        queueRefresh();
      }
      if (s === "unauthorized") onUnauthorized();
    };
    r.onNotification = (method, params) => {
      if (method === "parget.onDownloadVerified") {
        const p = params[0] as { gid: string; verification: Verification };
        setVerifications((v) => ({ ...v, [p.gid]: p.verification }));
      }
      queueRefresh();
    };
    r.connect();
    const timer = setInterval(() => void tick().catch(() => {}), 1000);
    return () => {
      clearInterval(timer);
      r.close();
    };
  }, []);

  const fail = (error: unknown): void =>
    setFailure(error instanceof Error ? error.message : String(error));
  const act = async (action: Action, d: Download): Promise<void> => {
    setFailure("");
    const r = rpc.current;
    try {
      switch (action) {
        case "details":
          setSelected(selected === d.gid ? undefined : d.gid);
          setRangeMap(undefined);
          return;
        case "pause":
          await r.call("aria2.pause", d.gid);
          break;
        case "resume":
          await r.call("aria2.unpause", d.gid);
          break;
        case "remove":
          await r.call("aria2.remove", d.gid);
          break;
        case "forget":
          await r.call("aria2.removeDownloadResult", d.gid);
          break;
        case "remove-data":
        case "forget-data":
          await r.call("parget.removeWithData", d.gid);
          if (selected === d.gid) setSelected(undefined);
          break;
        case "up":
        case "down":
          await r.call("aria2.changePosition", d.gid, action === "up" ? -1 : 1, "POS_CUR");
          break;
        case "retry": {
          // As aria2's interfaces do: the same URLs and options, as a new download.
          const [uris, options] = await r.multicall([
            ["aria2.getUris", d.gid],
            ["aria2.getOption", d.gid],
          ]);
          await r.call(
            "aria2.addUri",
            (uris as { uri: string }[]).map((u) => u.uri),
            options,
          );
          await r.call("aria2.removeDownloadResult", d.gid);
          break;
        }
      }
      queueRefresh();
    } catch (error) {
      fail(error);
    }
  };

  const add = async (requests: AddRequest[]): Promise<FieldErrors> => {
    for (const request of requests) {
      try {
        await rpc.current.call("aria2.addUri", request.uris, request.options);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { [fieldOfMessage(message)]: message };
      }
    }
    queueRefresh();
    return {};
  };

  const chosen = downloads.find((d) => d.gid === selected);
  const names = Object.fromEntries(downloads.map((d) => [d.gid, d.name]));
  return html`<div class="app" data-connection=${connection}>
    <header>
      <h1>parget</h1>
      <span class=${`conn ${connection}`} role="status" id="connection">
        ${connection === "open" ? "connected" : connection === "connecting" ? "connecting…" : "daemon unreachable, retrying…"}
      </span>
      <span class="total" id="total-speed">${(global.speed / 1024 / 1024).toFixed(1)} MiB/s</span>
      <button type="button" onClick=${onLogout}>Log out</button>
    </header>
    ${notice ? html`<p class="notice" role="status" id="notice">${notice} <button type="button" onClick=${() => setNotice("")} aria-label="Dismiss">×</button></p>` : ""}
    ${failure ? html`<p class="failure" role="alert" id="failure">${failure} <button type="button" onClick=${() => setFailure("")} aria-label="Dismiss">×</button></p>` : ""}
    <div class="columns">
      <div class="main-col">
        ${
          chosen
            ? html`<${Details}
                download=${chosen}
                map=${rangeMap}
                verification=${verifications[chosen.gid]}
                onClose=${() => setSelected(undefined)}
                onLimit=${async (rate: number) => {
                  try {
                    await rpc.current.call("aria2.changeOption", chosen.gid, {
                      "max-download-limit": String(rate),
                    });
                    return undefined;
                  } catch (error) {
                    return error instanceof Error ? error.message : String(error);
                  }
                }}
              />`
            : ""
        }
        <${List}
          downloads=${downloads}
          verifications=${verifications}
          selected=${selected}
          onAction=${act}
        />
      </div>
      <div class="side-col">
        <${Chart} samples=${samples} names=${names} />
        <${AddForm} onAdd=${add} />
        <${Limits}
          limit=${global.limit}
          concurrency=${global.concurrency}
          onChange=${async (options: Record<string, string>) => {
            try {
              await rpc.current.call("aria2.changeGlobalOption", options);
              queueRefresh();
              return undefined;
            } catch (error) {
              return error instanceof Error ? error.message : String(error);
            }
          }}
        />
      </div>
    </div>
  </div>`;
}

render(html`<${App} />`, document.getElementById("app")!);
