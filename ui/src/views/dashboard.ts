/**
 * The page once logged in: the header (connection, total speed, logout), notices, the list with
 * the selected download's details, and beside them the chart, the add form and the limits.
 */
import { useState } from "preact/hooks";
import { html } from "../html.js";
import type { Download } from "../model.js";
import type { AddRequest } from "../form.js";
import { useDaemon } from "../daemon-state.js";
import { addDownloads, messageOf, runAction } from "../actions.js";
import { AddForm } from "./add.js";
import { Chart } from "./chart.js";
import { Details } from "./details.js";
import { Limits } from "./limits.js";
import { List, type Action } from "./list.js";

const CONNECTION_TEXT = {
  open: "connected",
  connecting: "connecting…",
  closed: "daemon unreachable, retrying…",
  unauthorized: "daemon unreachable, retrying…",
};

export function Dashboard({
  onLogout,
  onUnauthorized,
}: {
  onLogout: () => void;
  onUnauthorized: () => void;
}) {
  const daemon = useDaemon(onUnauthorized);
  const { connection, downloads, global, verifications, selected } = daemon;
  const [failure, setFailure] = useState("");

  const act = async (action: Action, d: Download): Promise<void> => {
    setFailure("");
    if (action === "details") return daemon.select(selected === d.gid ? undefined : d.gid);
    try {
      await runAction(daemon.rpc, action, d);
      if ((action === "remove-data" || action === "forget-data") && selected === d.gid) {
        daemon.select(undefined);
      }
      daemon.refreshSoon();
    } catch (error) {
      setFailure(messageOf(error));
    }
  };
  /** An RPC call whose refusal is shown where it was asked: undefined when it worked. */
  const attempt = async (call: () => Promise<unknown>): Promise<string | undefined> => {
    try {
      await call();
      daemon.refreshSoon();
      return undefined;
    } catch (error) {
      return messageOf(error);
    }
  };

  const chosen = downloads.find((d) => d.gid === selected);
  const names = Object.fromEntries(downloads.map((d) => [d.gid, d.name]));
  return html`<div class="app" data-connection=${connection}>
    <header>
      <h1>parget</h1>
      <span class=${`conn ${connection}`} role="status" id="connection">
        ${CONNECTION_TEXT[connection]}
      </span>
      <span class="total" id="total-speed">${(global.speed / 1024 / 1024).toFixed(1)} MiB/s</span>
      <button type="button" onClick=${onLogout}>Log out</button>
    </header>
    ${
      daemon.notice
        ? html`<p class="notice" role="status" id="notice">
            ${daemon.notice}
            <button type="button" onClick=${daemon.dismissNotice} aria-label="Dismiss">×</button>
          </p>`
        : ""
    }
    ${
      failure
        ? html`<p class="failure" role="alert" id="failure">
            ${failure}
            <button type="button" onClick=${() => setFailure("")} aria-label="Dismiss">×</button>
          </p>`
        : ""
    }
    <div class="columns">
      <div class="main-col">
        ${
          chosen
            ? html`<${Details}
                download=${chosen}
                map=${daemon.rangeMap}
                verification=${verifications[chosen.gid]}
                onClose=${() => daemon.select(undefined)}
                onLimit=${(rate: number) =>
                  attempt(() =>
                    daemon.rpc.call("aria2.changeOption", chosen.gid, {
                      "max-download-limit": String(rate),
                    }),
                  )}
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
        <${Chart} samples=${daemon.samples} names=${names} />
        <${AddForm}
          onAdd=${async (requests: AddRequest[]) => {
            const errors = await addDownloads(daemon.rpc, requests);
            daemon.refreshSoon();
            return errors;
          }}
        />
        <${Limits}
          limit=${global.limit}
          concurrency=${global.concurrency}
          onChange=${(options: Record<string, string>) =>
            attempt(() => daemon.rpc.call("aria2.changeGlobalOption", options))}
        />
      </div>
    </div>
  </div>`;
}
