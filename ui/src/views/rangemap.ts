/**
 * The range map: the file as a bar showing what is written, each connection's current range on
 * it (the part received solid, the rest faint) with its speed, where a connection stole another's
 * tail or raced a slow one, and how far the in-order digests (SHA-*, MD5) have hashed. A
 * connection far slower than the others is marked, so a slow download explains itself.
 */
import { bytes, type Lane, type RangeMap as RangeMapData } from "../model.js";
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

const laneColor = (l: Lane): string => LANE_COLORS[l.lane % LANE_COLORS.length]!;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}

/** Rows of the picture, in viewBox units (the width is 1000). */
const MARK_Y = 0;
const BAR_Y = 7;
const BAR_H = 16;
const HASH_Y = BAR_Y + BAR_H + 2;
const LANES_Y = HASH_Y + 8;

function origin(l: Lane): string {
  if (l.origin === "steal") return `stole from ${bytes(l.originAt ?? 0)}`;
  if (l.origin === "race") return `races from ${bytes(l.originAt ?? 0)}`;
  return l.range === null ? "–" : "planned";
}

export function RangeMap({ map }: { map: RangeMapData }) {
  const total = map.total;
  if (total <= 0) return html`<p class="hint">The size is not known yet.</p>`;
  const working = map.lanes.filter((l) => l.range !== null);
  const typical = median(working.map((l) => l.speed));
  const x = (offset: number): number => (Math.min(offset, total) / total) * 1000;
  const width = (from: number, to: number): number => Math.max(1, x(to) - x(from));
  const height = LANES_Y + working.length * 9;
  const taken = working.filter((l) => l.origin !== "plan" && l.originAt !== null);
  const summary =
    `${bytes(map.done)} of ${bytes(total)} written` +
    (map.hashed === null
      ? ""
      : map.hashed === 0
        ? "; nothing hashed in order yet"
        : `; the first ${bytes(map.hashed)} hashed in order`) +
    `; ${working.length} connections at work` +
    (taken.length > 0 ? `, ${taken.length} on a stolen or raced range` : "");
  return html`<figure
    class="rangemap"
    data-lanes=${working.length}
    data-written=${map.written.length}
    data-hashed=${map.hashed ?? ""}
    data-taken=${taken.length}
  >
    <svg
      viewBox="0 0 1000 ${height}"
      style=${{ height: `${height * 1.5}px` }}
      preserveAspectRatio="none"
      role="img"
      aria-label=${summary}
    >
      <rect class="rm-bg" x="0" y=${BAR_Y} width="1000" height=${BAR_H} />
      ${map.written.map(
        ([start, end]) =>
          html`<rect
            class="rm-written"
            x=${x(start)}
            y=${BAR_Y}
            width=${width(start, end)}
            height=${BAR_H}
          />`,
      )}
      ${working.map((l, i) => {
        const [start, end] = l.range!;
        const at = l.position ?? start;
        const color = laneColor(l);
        return html`<g key=${l.lane}>
          <rect
            x=${x(start)}
            y=${BAR_Y + 2}
            width=${width(start, end)}
            height=${BAR_H - 4}
            fill=${color}
            opacity="0.3"
          />
          <rect
            x=${x(start)}
            y=${BAR_Y + 2}
            width=${Math.max(0, x(at) - x(start))}
            height=${BAR_H - 4}
            fill=${color}
          />
          <rect
            x=${x(start)}
            y=${LANES_Y + i * 9}
            width=${width(start, end)}
            height="6"
            fill=${color}
            opacity="0.35"
          />
          <rect
            x=${x(start)}
            y=${LANES_Y + i * 9}
            width=${Math.max(0, x(at) - x(start))}
            height="6"
            fill=${color}
          />
        </g>`;
      })}
      ${
        map.hashed === null
          ? ""
          : html`<rect class="rm-hashed" x="0" y=${HASH_Y} width=${x(map.hashed)} height="4" />`
      }
      ${taken.map((l) => {
        const at = x(l.originAt!);
        return html`<g
          class=${`rm-origin rm-${l.origin}`}
          data-lane=${l.lane}
          data-origin=${l.origin}
        >
          <polygon points=${`${at - 8},${MARK_Y} ${at + 8},${MARK_Y} ${at},${BAR_Y}`} />
          <rect x=${at - 1.5} y=${BAR_Y} width="3" height=${BAR_H} />
        </g>`;
      })}
    </svg>
    <figcaption>
      <span class="summary">${summary}.</span>
      <span class="legend"><i class="sw rm-written-sw"></i> written</span>
      <span class="legend"><i class="sw solid"></i> received by a connection now</span>
      <span class="legend"><i class="sw faint"></i> still to fetch in its range</span>
      <span class="legend"><i class="sw rm-bg-sw"></i> not written yet</span>
      ${
        map.hashed === null
          ? ""
          : html`<span class="legend"
              ><i class="sw rm-hashed-sw"></i> hashed in order (the digest's verified prefix)</span
            >`
      }
      <span class="legend"
        ><i class="mark rm-steal-sw"></i> a connection stole the rest of another's range here</span
      >
      <span class="legend"
        ><i class="mark rm-race-sw"></i> a connection races a slow one from here</span
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
            <th scope="col">Range from</th>
            <th scope="col">Steals</th>
            <th scope="col">Races</th>
            <th scope="col">Reconn.</th>
          </tr>
        </thead>
        <tbody>
          ${map.lanes.map((l) => {
            const slow = l.range !== null && typical > 0 && l.speed < typical / 4;
            return html`<tr key=${l.lane} class=${slow ? "slow" : ""} data-origin=${l.origin}>
              <td>
                <i class="sw" style=${{ background: laneColor(l) }}></i>
                ${l.lane}
              </td>
              <td>${l.state}${slow ? html` <strong class="warn">slow</strong>` : ""}</td>
              <td>${l.range ? `${bytes(l.range[0])} – ${bytes(l.range[1])}` : "–"}</td>
              <td>${bytes(l.speed)}/s</td>
              <td>${origin(l)}</td>
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
