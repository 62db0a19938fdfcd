/**
 * The range map: the file as a bar, each connection's current range on it (the part received
 * solid, the rest faint) with its speed, and its steals, races and reconnects. A connection far
 * slower than the others is marked, so a slow download explains itself.
 */
import { bytes, type Download, type Lane } from "../model.js";
import { html } from "../html.js";

const LANE_COLORS = [
  "#2f7ed8",
  "#e4572e",
  "#29a36a",
  "#a05ec2",
  "#d6a01d",
  "#1aa3a3",
  "#c2185b",
  "#7a8b00",
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}

export function RangeMap({ download, lanes }: { download: Download; lanes: Lane[] }) {
  const total = download.total;
  if (total <= 0) return html`<p class="hint">The size is not known yet.</p>`;
  const working = lanes.filter((l) => l.range !== null);
  const typical = median(working.map((l) => l.speed));
  const x = (offset: number): number => (offset / total) * 1000;
  const height = 20 + working.length * 10;
  return html`<figure class="rangemap" data-lanes=${working.length}>
    <svg
      viewBox="0 0 1000 ${height}"
      style=${{ height: `${height * 1.5}px` }}
      preserveAspectRatio="none"
      role="img"
      aria-label=${`${bytes(download.done)} of ${bytes(total)} written; ${working.length} connections at work`}
    >
      <rect class="rm-bg" x="0" y="0" width="1000" height="16" />
      ${working.map((l, i) => {
        const [start, end] = l.range!;
        const at = l.position ?? start;
        const color = LANE_COLORS[l.lane % LANE_COLORS.length];
        return html`<g key=${l.lane}>
          <rect
            x=${x(start)}
            y="2"
            width=${Math.max(1, x(end) - x(start))}
            height="12"
            fill=${color}
            opacity="0.3"
          />
          <rect
            x=${x(start)}
            y="2"
            width=${Math.max(0, x(at) - x(start))}
            height="12"
            fill=${color}
          />
          <rect
            x=${x(start)}
            y=${20 + i * 10}
            width=${Math.max(1, x(end) - x(start))}
            height="6"
            fill=${color}
          />
          ${
            l.steals + l.races > 0
              ? html`<rect class="rm-taken" x=${x(start) - 3} y="0" width="6" height="16" />`
              : ""
          }
        </g>`;
      })}
    </svg>
    <figcaption>
      <span>${bytes(download.done)} of ${bytes(total)} written.</span>
      <span class="legend"><i class="sw solid"></i> received by its connection</span>
      <span class="legend"><i class="sw faint"></i> still to fetch in its range</span>
      <span class="legend"><i class="sw rm-bg-sw"></i> written earlier, or not yet given out</span>
      <span class="legend"
        ><i class="sw rm-taken-sw"></i> a connection that has stolen or raced a range</span
      >
    </figcaption>
    <div class="table-scroll">
      <table class="lanes">
        <caption class="sr-only">
          Connections
        </caption>
        <thead>
          <tr>
            <th scope="col">Conn.</th>
            <th scope="col">State</th>
            <th scope="col">Range</th>
            <th scope="col">Speed</th>
            <th scope="col">Steals</th>
            <th scope="col">Races</th>
            <th scope="col">Reconn.</th>
          </tr>
        </thead>
        <tbody>
          ${lanes.map((l) => {
            const slow = l.range !== null && typical > 0 && l.speed < typical / 4;
            return html`<tr key=${l.lane} class=${slow ? "slow" : ""}>
              <td>
                <i class="sw" style=${{ background: LANE_COLORS[l.lane % LANE_COLORS.length] }}></i>
                ${l.lane}
              </td>
              <td>${l.state}${slow ? html` <strong class="warn">slow</strong>` : ""}</td>
              <td>${l.range ? `${bytes(l.range[0])} – ${bytes(l.range[1])}` : "–"}</td>
              <td>${bytes(l.speed)}/s</td>
              <td>${l.steals}</td>
              <td>${l.races}</td>
              <td>${l.reconnects}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
  </figure>`;
}
