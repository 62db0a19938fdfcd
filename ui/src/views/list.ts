/** The download list: filters, search, sort, and each row's actions. Draws at most `shown` rows. */
import { useRef, useState } from "preact/hooks";
import {
  bytes,
  eta,
  progress,
  view,
  type Download,
  type Filter,
  type SortKey,
  type Verification,
} from "../model.js";
import { html } from "../html.js";
import type { QueueAction } from "../actions.js";
import { VerificationText } from "./details.js";
import { RemoveConfirm } from "./remove-confirm.js";

/** A row's buttons: the queue's actions (actions.ts), and opening its details. */
export type Action = QueueAction | "details";

const FILTERS: [Filter, string][] = [
  ["all", "All"],
  ["active", "Active"],
  ["waiting", "Waiting"],
  ["paused", "Paused"],
  ["done", "Done"],
  ["failed", "Failed"],
];

const PAGE = 100;

export function List(props: {
  downloads: Download[];
  verifications: Record<string, Verification>;
  selected: string | undefined;
  onAction: (action: Action, d: Download) => void;
}) {
  const [filter, setFilter] = useState<Filter>("all");
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<SortKey>("queue");
  const [descending, setDescending] = useState(false);
  const [shown, setShown] = useState(PAGE);
  const rows = view(props.downloads, filter, search, sort, descending);
  const count = (f: Filter) =>
    f === "all" ? props.downloads.length : view(props.downloads, f, "", "queue", false).length;
  return html`<section class="panel" aria-labelledby="list-title">
    <h2 id="list-title">Downloads</h2>
    <div class="toolbar">
      <div role="group" aria-label="Show" class="filters">
        ${FILTERS.map(
          ([f, label]) =>
            html`<button
              type="button"
              aria-pressed=${filter === f}
              data-filter=${f}
              onClick=${() => (setFilter(f), setShown(PAGE))}
            >
              ${label} <span class="count">${count(f)}</span>
            </button>`,
        )}
      </div>
      <label class="search">
        <span class="sr-only">Search</span>
        <input
          type="search"
          placeholder="Search name, URL or GID"
          value=${search}
          onInput=${(e: Event) => (setSearch((e.target as HTMLInputElement).value), setShown(PAGE))}
        />
      </label>
      <label
        >Sort
        <select
          value=${sort}
          onChange=${(e: Event) => setSort((e.target as HTMLSelectElement).value as SortKey)}
        >
          <option value="queue">Queue order</option>
          <option value="name">Name</option>
          <option value="size">Size</option>
          <option value="progress">Progress</option>
          <option value="speed">Speed</option>
        </select>
      </label>
      <button
        type="button"
        aria-pressed=${descending}
        onClick=${() => setDescending(!descending)}
        aria-label="Descending order"
      >
        ${descending ? "↓" : "↑"}
      </button>
    </div>
    <p role="status" class="hint" id="list-count">
      ${rows.length} shown of ${props.downloads.length}
    </p>
    <ul class="downloads">
      ${rows
        .slice(0, shown)
        .map(
          (d) =>
            html`<${Row}
              key=${d.gid}
              d=${d}
              v=${props.verifications[d.gid]}
              selected=${props.selected === d.gid}
              onAction=${props.onAction}
            />`,
        )}
    </ul>
    ${
      rows.length > shown
        ? html`<button type="button" class="more" onClick=${() => setShown(shown + PAGE * 5)}>
            Show ${Math.min(rows.length - shown, PAGE * 5)} more
          </button>`
        : ""
    }
  </section>`;
}

function Row({
  d,
  v,
  selected,
  onAction,
}: {
  d: Download;
  v: Verification | undefined;
  selected: boolean;
  onAction: (action: Action, d: Download) => void;
}) {
  const pct = Math.floor(progress(d) * 100);
  // Remove and clear ask first whether the file goes too.
  const [asking, setAsking] = useState<"remove" | "forget" | undefined>(undefined);
  const askButton = useRef<HTMLButtonElement>(null);
  const act = (a: Action, label: string, text: string) =>
    html`<button
      type="button"
      data-action=${a}
      aria-label=${`${label} ${d.name}`}
      onClick=${() => onAction(a, d)}
    >
      ${text}
    </button>`;
  const ask = (a: "remove" | "forget", label: string, text: string) =>
    html`<button
      type="button"
      data-action=${a}
      aria-label=${`${label} ${d.name}`}
      aria-expanded=${asking === a}
      ref=${askButton}
      onClick=${() => setAsking(asking === a ? undefined : a)}
    >
      ${text}
    </button>`;
  return html`<li
    class=${`download status-${d.status}${selected ? " selected" : ""}`}
    data-gid=${d.gid}
    data-status=${d.status}
  >
    <div class="name">
      <button
        type="button"
        class="link"
        data-action="details"
        aria-expanded=${selected}
        onClick=${() => onAction("details", d)}
      >
        ${d.name}
      </button>
      <span class=${`badge ${d.status}`}>${d.status}</span>
    </div>
    <div
      class="bar"
      role="progressbar"
      aria-label=${`Progress of ${d.name}`}
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow=${pct}
    >
      <div style=${{ width: `${pct}%` }}></div>
    </div>
    <div class="meta">
      <span>${bytes(d.done)} / ${d.total > 0 ? bytes(d.total) : "?"} (${pct}%)</span>
      ${d.status === "active" ? html`<span data-field="speed">${bytes(d.speed)}/s</span><span>${eta(d)}</span><span>${d.connections} conn.</span>` : ""}
      ${d.status === "error" ? html`<span class="bad">${d.errorMessage}</span>` : ""}
      ${d.status === "complete" || d.status === "error" ? html`<${VerificationText} v=${v} />` : ""}
    </div>
    <div class="actions">
      ${d.status === "active" || d.status === "waiting" ? act("pause", "Pause", "Pause") : ""}
      ${d.status === "paused" ? act("resume", "Resume", "Resume") : ""}
      ${d.status === "waiting" || d.status === "paused" ? [act("up", "Move up", "↑"), act("down", "Move down", "↓")] : ""}
      ${d.status === "error" || d.status === "removed" ? act("retry", "Retry", "Retry") : ""}
      ${
        d.status === "active" || d.status === "waiting" || d.status === "paused"
          ? ask("remove", "Remove", "Remove")
          : ask("forget", "Clear from list", "Clear")
      }
    </div>
    ${
      asking
        ? html`<${RemoveConfirm}
            d=${d}
            asking=${asking}
            onChoice=${(a: Action | undefined) => {
              setAsking(undefined);
              // Cancelled: the keyboard goes back where it was.
              if (a === undefined) askButton.current?.focus();
              else onAction(a, d);
            }}
          />`
        : ""
    }
  </li>`;
}
