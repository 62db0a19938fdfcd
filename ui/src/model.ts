/** What the page knows of downloads, derived from the RPC's answers; pure, no DOM. */

export interface Digest {
  algorithm: string;
  source: string;
  expected: string;
  actual: string;
}

export interface Verification {
  status: "verified" | "mismatch" | "unverified";
  digests: Digest[];
}

export interface Lane {
  lane: number;
  state: string;
  range: [number, number] | null;
  position: number | null;
  speed: number;
  steals: number;
  races: number;
  reconnects: number;
  /** How it came by its range: planned, stolen from another's tail, or racing a slow one. */
  origin: "plan" | "steal" | "race";
  /** Where a stolen range starts, or where a race began; null for a planned one. */
  originAt: number | null;
}

/** What the range map draws, from parget.tellRangeMap. */
export interface RangeMap {
  total: number;
  done: number;
  /** Written [start, end) spans, sorted. */
  written: [number, number][];
  /** Bytes hashed in order by the sequential digests; null when none is computed. */
  hashed: number | null;
  lanes: Lane[];
}

export type Status = "active" | "waiting" | "paused" | "complete" | "error" | "removed";

export interface Download {
  gid: string;
  status: Status;
  name: string;
  path: string;
  uri: string;
  total: number;
  done: number;
  speed: number;
  connections: number;
  errorCode?: string;
  errorMessage?: string;
  /** Its place in the waiting queue, counted from 0; -1 when not waiting. */
  position: number;
}

/** The keys the list asks for: enough to draw a row, no more. */
export const LIST_KEYS = [
  "gid",
  "status",
  "totalLength",
  "completedLength",
  "downloadSpeed",
  "connections",
  "files",
  "errorCode",
  "errorMessage",
];

interface WireStatus {
  gid: string;
  status: Status;
  totalLength?: string;
  completedLength?: string;
  downloadSpeed?: string;
  connections?: string;
  errorCode?: string;
  errorMessage?: string;
  files?: { path?: string; uris?: { uri: string }[] }[];
}

export function fromWire(s: WireStatus, position = -1): Download {
  const file = s.files?.[0];
  const uri = file?.uris?.[0]?.uri ?? "";
  const path = file?.path ?? "";
  const name = path !== "" ? path.split("/").pop()! : nameFromUri(uri);
  return {
    gid: s.gid,
    status: s.status,
    name,
    path,
    uri,
    total: Number(s.totalLength ?? 0),
    done: Number(s.completedLength ?? 0),
    speed: Number(s.downloadSpeed ?? 0),
    connections: Number(s.connections ?? 0),
    ...(s.errorCode === undefined ? {} : { errorCode: s.errorCode }),
    ...(s.errorMessage === undefined ? {} : { errorMessage: s.errorMessage }),
    position,
  };
}

function nameFromUri(uri: string): string {
  try {
    const last = new URL(uri).pathname.split("/").pop();
    return last ? decodeURIComponent(last) : uri;
  } catch {
    return uri;
  }
}

export function laneFromWire(l: Record<string, unknown>): Lane {
  const range = l.range as [string, string] | null;
  return {
    lane: Number(l.lane),
    state: String(l.state),
    range: range === null ? null : [Number(range[0]), Number(range[1])],
    position: l.position === null ? null : Number(l.position),
    speed: Number(l.downloadSpeed ?? 0),
    steals: Number(l.steals ?? 0),
    races: Number(l.races ?? 0),
    reconnects: Number(l.reconnects ?? 0),
    origin: l.origin === "steal" || l.origin === "race" ? l.origin : "plan",
    originAt: l.originAt === null || l.originAt === undefined ? null : Number(l.originAt),
  };
}

export function rangeMapFromWire(m: Record<string, unknown>): RangeMap {
  return {
    total: Number(m.totalLength ?? 0),
    done: Number(m.completedLength ?? 0),
    written: ((m.written ?? []) as [string, string][]).map(([a, b]) => [Number(a), Number(b)]),
    hashed: m.hashedLength === null || m.hashedLength === undefined ? null : Number(m.hashedLength),
    lanes: ((m.connections ?? []) as Record<string, unknown>[]).map(laneFromWire),
  };
}

export type Filter = "all" | "active" | "waiting" | "paused" | "done" | "failed";
export type SortKey = "queue" | "name" | "size" | "progress" | "speed";

export function matchesFilter(d: Download, filter: Filter): boolean {
  switch (filter) {
    case "all":
      return true;
    case "done":
      return d.status === "complete";
    case "failed":
      return d.status === "error" || d.status === "removed";
    default:
      return d.status === filter;
  }
}

const STATUS_ORDER: Record<Status, number> = {
  active: 0,
  waiting: 1,
  paused: 2,
  error: 3,
  complete: 4,
  removed: 5,
};

export function progress(d: Download): number {
  return d.total > 0 ? d.done / d.total : 0;
}

/** Filtered by status and by a search over name, URL and GID; sorted, stable. */
export function view(
  downloads: readonly Download[],
  filter: Filter,
  search: string,
  sort: SortKey,
  descending: boolean,
): Download[] {
  const needle = search.trim().toLowerCase();
  const chosen = downloads.filter(
    (d) =>
      matchesFilter(d, filter) &&
      (needle === "" ||
        d.name.toLowerCase().includes(needle) ||
        d.uri.toLowerCase().includes(needle) ||
        d.gid.startsWith(needle)),
  );
  const key = (d: Download): number | string => {
    switch (sort) {
      case "name":
        return d.name.toLowerCase();
      case "size":
        return d.total;
      case "progress":
        return progress(d);
      case "speed":
        return d.speed;
      default:
        return STATUS_ORDER[d.status] * 1e6 + Math.max(d.position, 0);
    }
  };
  const sign = descending ? -1 : 1;
  return chosen
    .map((d, i) => ({ d, i, k: key(d) }))
    .sort((a, b) => (a.k < b.k ? -sign : a.k > b.k ? sign : a.i - b.i))
    .map((x) => x.d);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function bytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function eta(d: Download): string {
  if (d.status !== "active" || d.speed <= 0 || d.total <= 0) return "";
  const s = Math.ceil((d.total - d.done) / d.speed);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "2M", "512K", "1.5MiB", "100000" as bytes per second; undefined when unreadable. */
export function parseRate(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?\s*$/i.exec(text);
  if (!match) return undefined;
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase()]!;
  return Math.round(Number(match[1]) * scale);
}
