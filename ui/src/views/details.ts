/** One download in full: where it saves, its integrity outcome, its own speed limit, its range map. */
import { useState } from "preact/hooks";
import {
  bytes,
  parseRate,
  type Download,
  type RangeMap as RangeMapData,
  type Verification,
} from "../model.js";
import { html } from "../html.js";
import { RangeMap } from "./rangemap.js";

export function VerificationText({ v }: { v: Verification | undefined }) {
  if (v === undefined) return html`<span class="muted">–</span>`;
  if (v.status === "unverified")
    return html`<span class="muted">not verified (no digest known)</span>`;
  if (v.status === "verified") {
    return html`<span class="ok"
      >verified: ${v.digests.map((d) => `${d.algorithm} (${d.source})`).join(", ")}</span
    >`;
  }
  return html`<span class="bad">checksum mismatch</span>`;
}

export function Details(props: {
  download: Download;
  /** The running download's range map; undefined until the first answer. */
  map: RangeMapData | undefined;
  verification: Verification | undefined;
  onLimit: (bytesPerSecond: number) => Promise<string | undefined>;
  onClose: () => void;
}) {
  const { download: d, verification: v } = props;
  const [limit, setLimit] = useState("");
  const [error, setError] = useState("");
  return html`<section class="panel details" aria-labelledby="details-title" data-gid=${d.gid}>
    <div class="row-between">
      <h2 id="details-title">${d.name}</h2>
      <button type="button" onClick=${props.onClose} aria-label="Close details">×</button>
    </div>
    <dl class="facts">
      <dt>Status</dt>
      <dd data-field="status">${d.status}</dd>
      <dt>Saved to</dt>
      <dd class="wrap">${d.path || "(named by the server)"}</dd>
      <dt>From</dt>
      <dd class="wrap">${d.uri}</dd>
      <dt>Size</dt>
      <dd>${bytes(d.done)} of ${bytes(d.total)}</dd>
      <dt>Integrity</dt>
      <dd data-field="verification"><${VerificationText} v=${v} /></dd>
      ${
        d.errorMessage
          ? html`<dt>Error</dt>
              <dd class="bad" data-field="error">${d.errorMessage} (code ${d.errorCode})</dd>`
          : ""
      }
    </dl>
    ${
      v && v.digests.length > 0
        ? html`<table class="digests" data-status=${v.status}>
            <caption>
              Digests
            </caption>
            <thead>
              <tr>
                <th scope="col">Algorithm</th>
                <th scope="col">From</th>
                <th scope="col">Expected</th>
                <th scope="col">Actual</th>
              </tr>
            </thead>
            <tbody>
              ${v.digests.map(
                (g) =>
                  html`<tr class=${g.expected === g.actual ? "" : "bad"}>
                    <td>${g.algorithm}</td>
                    <td>${g.source}</td>
                    <td class="hash">${g.expected}</td>
                    <td class="hash">${g.actual}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : ""
    }
    ${
      d.status === "active" || d.status === "waiting" || d.status === "paused"
        ? html`<form
            class="inline"
            onSubmit=${async (e: Event) => {
              e.preventDefault();
              const rate = limit.trim() === "" ? 0 : parseRate(limit);
              if (rate === undefined)
                return setError("a speed such as 500K or 2M (bytes per second), or empty for none");
              setError((await props.onLimit(rate)) ?? "");
            }}
          >
            <label for="dl-limit">Speed limit for this download</label>
            <input
              id="dl-limit"
              inputmode="text"
              placeholder="e.g. 2M, empty for none"
              value=${limit}
              aria-invalid=${error !== ""}
              aria-describedby="dl-limit-error"
              onInput=${(e: Event) => setLimit((e.target as HTMLInputElement).value)}
            />
            <button type="submit">Set</button>
            <p id="dl-limit-error" class="error" role="alert">${error}</p>
          </form>`
        : ""
    }
    ${
      d.status === "active"
        ? html`<h3>Range map</h3>
            ${props.map ? html`<${RangeMap} map=${props.map} />` : html`<p class="hint">Loading…</p>`}`
        : ""
    }
  </section>`;
}
