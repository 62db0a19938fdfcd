/**
 * aria2's status struct (tellStatus, tellActive, tellWaiting, tellStopped), getFiles and
 * getUris, built from what the daemon knows of a download; and parget's own verification
 * report, which aria2 has no field for.
 */
import { join } from "node:path";
import type { Gid } from "./aria2.js";
import { wireNumber } from "./aria2.js";
import type { Status } from "./queue.js";

/** What a download's digests came to. */
export interface Verification {
  /** verified: every digest known matched; mismatch: one did not; unverified: none was known. */
  status: "verified" | "mismatch" | "unverified";
  digests: {
    algorithm: string;
    /** Who vouched for the expected value: "user", or the server header it came from. */
    source: string;
    expected: string;
    actual: string;
  }[];
}

/** A download as the daemon sees it at one moment. */
export interface EntryView {
  gid: Gid;
  status: Status;
  uris: readonly string[];
  /** The directory it saves into (absolute). */
  dir: string;
  /** The final path once known; `out` joined to `dir` before that, when given. */
  path: string | null;
  totalLength: number | null;
  completedLength: number;
  downloadSpeed: number;
  connections: number;
  errorCode?: number | undefined;
  errorMessage?: string | undefined;
}

/** aria2 reports pieces; parget has none, so a fixed 1 MiB unit gives clients their count. */
const PIECE = 1024 * 1024;

export function filesOf(view: EntryView): Record<string, unknown>[] {
  const used = view.status === "active" ? "used" : "waiting";
  return [
    {
      index: "1",
      path: view.path ?? "",
      length: wireNumber(view.totalLength ?? 0),
      completedLength: wireNumber(view.completedLength),
      selected: "true",
      uris: view.uris.map((uri) => ({ uri, status: used })),
    },
  ];
}

export function urisOf(view: EntryView): Record<string, string>[] {
  const used = view.status === "active" ? "used" : "waiting";
  return view.uris.map((uri) => ({ uri, status: used }));
}

/** The struct aria2 answers, with only `keys` when the client asks for some. */
export function statusStruct(view: EntryView, keys?: readonly string[]): Record<string, unknown> {
  const total = view.totalLength ?? 0;
  const struct: Record<string, unknown> = {
    gid: view.gid,
    status: view.status,
    totalLength: wireNumber(total),
    completedLength: wireNumber(view.completedLength),
    uploadLength: "0",
    downloadSpeed: wireNumber(view.status === "active" ? view.downloadSpeed : 0),
    uploadSpeed: "0",
    pieceLength: wireNumber(PIECE),
    numPieces: wireNumber(Math.ceil(total / PIECE)),
    connections: wireNumber(view.status === "active" ? view.connections : 0),
    dir: view.dir,
    files: filesOf(view),
  };
  if (view.errorCode !== undefined) {
    struct.errorCode = String(view.errorCode);
    struct.errorMessage = view.errorMessage ?? "";
  }
  if (keys === undefined || keys.length === 0) return struct;
  return Object.fromEntries(Object.entries(struct).filter(([key]) => keys.includes(key)));
}

/** Where the file will be, before the server names it: `out` inside `dir`, or not yet known. */
export function plannedPath(dir: string, out: string | undefined): string | null {
  return out === undefined ? null : join(dir, out);
}
