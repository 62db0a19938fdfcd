import type { FaultRule } from "./faults.js";

export interface RequestLogEntry {
  /** The path as sent, without the query. */
  path: string;
  range: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** 0 until the response's head is sent (and for ever if the client left before). */
  status: number;
  /** Body bytes written for this response so far (some may never reach a client that left). */
  bytesSent: number;
  /** The fault that acted on this response. */
  fault?: FaultRule["kind"];
}

/** Live counters: the object is updated in place, so a reference taken early stays current. */
export interface ServerStats {
  requests: number;
  /** Requests carrying a `Range` header, whatever the answer. */
  rangeRequests: number;
  /** Response body bytes written (headers excluded). */
  bytesSent: number;
  openConnections: number;
  /** Most TCP connections open at once. */
  peakConnections: number;
  connectionsAccepted: number;
  statuses: Record<number, number>;
  requestLog: RequestLogEntry[];
}

export function createStats(): ServerStats {
  return {
    requests: 0,
    rangeRequests: 0,
    bytesSent: 0,
    openConnections: 0,
    peakConnections: 0,
    connectionsAccepted: 0,
    statuses: {},
    requestLog: [],
  };
}

/** Zeroes the counters; connections still open stay counted as open (and as the peak). */
export function resetStats(stats: ServerStats): void {
  stats.requests = stats.rangeRequests = stats.bytesSent = stats.connectionsAccepted = 0;
  stats.peakConnections = stats.openConnections;
  for (const status of Object.keys(stats.statuses)) delete stats.statuses[Number(status)];
  stats.requestLog.length = 0;
}
