/** The shapes shared by the benchmark's plan, its runner and its report. */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export const SCENARIO_IDS = [
  "unthrottled",
  "paced",
  "uneven",
  "latency",
  "bottleneck",
  "noranges",
  "checksum",
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const TOOL_IDS = [
  "parget",
  "parget-auto",
  "aria2c",
  "aria2c-k20M",
  "axel",
  "rclone",
  "wget2",
  "curl",
  "wget",
] as const;
export type ToolId = (typeof TOOL_IDS)[number];

/**
 * Where a case's bytes come from. `nginx-*` are listeners of one nginx on the host (`nginx-tls`
 * over HTTPS), `proxy-paced`
 * the paced listener behind the delay proxy, `netns-nginx` an nginx inside the benchmark's own
 * network namespace, `own-uneven` parget's own server with a rate per connection.
 */
export type ServerKind =
  | "nginx"
  | "nginx-paced"
  | "nginx-noranges"
  | "nginx-tls"
  | "python"
  | "own-uneven"
  | "proxy-paced"
  | "netns-nginx";

/** What 100% means: a nominal rate, or the fastest tool measured in the same case. */
export type Ideal = { kind: "rate"; bytesPerSecond: number; basis: string } | { kind: "best" };

/** One table of the report: one file size, server and connection count, every tool in it. */
export interface Case {
  /** Unique and stable, e.g. "paced-128M-n16". */
  id: string;
  scenario: ScenarioId;
  /** e.g. "128 MiB, 16 connections". */
  title: string;
  server: ServerKind;
  size: number;
  connections: number;
  /** The file system the download is written to. */
  output: "disk" | "tmpfs";
  /** Timed until the file is verified against a SHA-256 given up front. */
  checksum: boolean;
  ideal: Ideal;
  tools: ToolId[];
  repeats: number;
  /** A run that takes longer is killed and counted as failed. */
  timeoutMs: number;
}

/** One tool's run in one case. */
export interface RunResult {
  tool: ToolId;
  /** 0-based. */
  repeat: number;
  ok: boolean;
  /** Why the run does not count: exit status, timeout, digest mismatch. */
  error?: string;
  wallSeconds: number;
  /** user + sys of the client (and of sha256sum where it verifies for the tool). */
  cpuSeconds?: number;
  peakRssBytes?: number;
  /** What the server saw during the run. */
  connections?: number;
  requests?: number;
  /** Body bytes the server sent (nginx only). */
  bytes?: number;
}

export interface CaseResult {
  case: Case;
  runs: RunResult[];
  /** Set when the whole case could not run (no nginx, no netns permission, ...). */
  skipped?: string;
}
