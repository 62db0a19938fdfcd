/**
 * What is measured: the scenarios, the cases each expands to in quick and full mode, what 100%
 * means in each, and the order tools run in (a new start and stride each repeat, so drift and
 * the run before hit all alike).
 */
import { BOTTLENECK_BYTES_PER_SECOND, PACE, SCENARIOS, UNEVEN_RATES } from "./scenarios.js";
import { toolById } from "./tools.js";
import {
  GiB,
  MiB,
  type Case,
  type Ideal,
  type ScenarioId,
  type ServerKind,
  type ToolId,
} from "./types.js";

export interface PlanOptions {
  quick: boolean;
  /** Adds the paced 1 GiB rows with 1 and 4 connections (128 s and 32 s a run). */
  long: boolean;
  scenarios: readonly ScenarioId[];
  tools: readonly ToolId[];
  /** Overrides the mode's repeats. */
  repeats?: number | undefined;
}

interface Shape {
  size: number;
  connections: number;
  server: ServerKind;
  output?: "disk" | "tmpfs";
  /** Which tools take part. "parallel+": also aria2c with its default 20 MiB split. */
  who: "all" | "parallel" | "parallel+";
}

const S128 = 128 * MiB;

/** The cases of one scenario, before tools are filtered. */
function shapes(id: ScenarioId, quick: boolean, long: boolean): Shape[] {
  const big = quick ? [S128] : [GiB];
  switch (id) {
    case "unthrottled":
      return big.flatMap((size) => [
        ...(["disk", "tmpfs"] as const).map((output) => ({
          size,
          connections: 16,
          server: "nginx" as const,
          output,
          who: "all" as const,
        })),
        { size, connections: 16, server: "nginx-tls", output: "tmpfs", who: "all" },
      ]);
    case "paced": {
      const rows: [number, number[]][] = quick
        ? [[S128, [4, 16]]]
        : [
            [S128, [1, 4, 8, 16]],
            [GiB, long ? [1, 4, 8, 16] : [8, 16]],
          ];
      return rows.flatMap(([size, ns]) =>
        ns.map((connections) => ({
          size,
          connections,
          server: "nginx-paced" as const,
          who: connections === 1 ? ("all" as const) : ("parallel+" as const),
        })),
      );
    }
    case "uneven":
      return (quick ? [S128] : [S128, 512 * MiB]).map((size) => ({
        size,
        connections: 16,
        server: "own-uneven",
        who: "parallel+",
      }));
    case "latency":
      return (quick ? [S128] : [S128, 512 * MiB]).map((size) => ({
        size,
        connections: 16,
        server: "proxy-paced",
        who: "parallel",
      }));
    case "bottleneck":
      return big.map((size) => ({ size, connections: 16, server: "netns-nginx", who: "all" }));
    case "noranges":
      // One connection whatever the tool: 512 MiB says as much as 1 GiB, in half the time.
      return (quick ? [S128] : [512 * MiB]).flatMap((size) =>
        (["python", "nginx-noranges"] as const).map((server) => ({
          size,
          connections: 16,
          server,
          who: "all" as const,
        })),
      );
    case "checksum":
      return big.map((size) => ({ size, connections: 16, server: "nginx", who: "all" }));
  }
}

/** What 100% means for a case. */
export function idealOf(id: ScenarioId, connections: number): Ideal {
  switch (id) {
    case "paced":
    case "latency":
      return {
        kind: "rate",
        bytesPerSecond: connections * PACE,
        basis: `${connections} x 8 MiB/s`,
      };
    case "uneven": {
      const rates = Array.from(
        { length: connections },
        (_, i) => UNEVEN_RATES[i % UNEVEN_RATES.length]!,
      );
      const sum = rates.reduce((a, b) => a + b, 0);
      return { kind: "rate", bytesPerSecond: sum, basis: `sum of ${connections} rates` };
    }
    case "bottleneck":
      return { kind: "rate", bytesPerSecond: BOTTLENECK_BYTES_PER_SECOND, basis: "1 Gbit/s" };
    default:
      return { kind: "best" };
  }
}

/**
 * Long enough for a tool that falls back to one paced connection (or one slow one), short
 * enough to give up on one that never ends (wget2's chunks from a server without ranges).
 */
export function timeoutFor(size: number, ideal: Ideal): number {
  const seconds =
    ideal.kind === "rate"
      ? Math.max(60, 4 * (size / ideal.bytesPerSecond) + 20)
      : Math.max(30, size / (32 * MiB) + 10);
  return Math.round(seconds * 1000);
}

export function sizeLabel(size: number): string {
  return size >= GiB && size % GiB === 0 ? `${size / GiB} GiB` : `${size / MiB} MiB`;
}

/** A short size tag for ids and file names: "128M", "1G". */
export function sizeTag(size: number): string {
  return size >= GiB && size % GiB === 0 ? `${size / GiB}G` : `${size / MiB}M`;
}

const SERVER_LABEL: Record<ServerKind, string> = {
  nginx: "nginx",
  "nginx-paced": "nginx, paced",
  "nginx-noranges": "nginx with max_ranges 0",
  "nginx-tls": "nginx over HTTPS",
  python: "python3 -m http.server",
  "own-uneven": "parget's server",
  "proxy-paced": "paced nginx via delay proxy",
  "netns-nginx": "nginx in a netns",
};

function participants(who: Shape["who"], selected: readonly ToolId[]): ToolId[] {
  return selected.filter((id) => {
    const tool = toolById(id);
    if (who === "all") return id !== "aria2c-k20M";
    if (who === "parallel") return tool.parallel && id !== "aria2c-k20M";
    return tool.parallel;
  });
}

export function planCases(options: PlanOptions): Case[] {
  const repeats = options.repeats ?? (options.quick ? 1 : 3);
  const cases: Case[] = [];
  for (const scenario of SCENARIOS) {
    if (!options.scenarios.includes(scenario.id)) continue;
    for (const shape of shapes(scenario.id, options.quick, options.long)) {
      // parget-auto picks its own count (up to 16): it is compared where the others use 16.
      const tools = participants(shape.who, options.tools).filter(
        (id) => id !== "parget-auto" || shape.connections === 16,
      );
      if (tools.length === 0) continue;
      const ideal = idealOf(scenario.id, shape.connections);
      const output = shape.output ?? "disk";
      const parts = [
        sizeLabel(shape.size),
        `${shape.connections} connection${shape.connections === 1 ? "" : "s"}`,
        SERVER_LABEL[shape.server],
      ];
      cases.push({
        id: [
          scenario.id,
          sizeTag(shape.size),
          `n${shape.connections}`,
          ...(shape.server === "python" ? ["python"] : []),
          ...(scenario.id === "unthrottled" ? [output] : []),
          ...(shape.server === "nginx-tls" ? ["https"] : []),
        ].join("-"),
        scenario: scenario.id,
        title: parts.join(", "),
        server: shape.server,
        size: shape.size,
        connections: shape.connections,
        output,
        checksum: scenario.id === "checksum",
        ideal,
        tools,
        repeats,
        timeoutMs: timeoutFor(shape.size, ideal),
      });
    }
  }
  return cases;
}

/**
 * The tools in the order they run in `repeat`: each repeat starts one tool further on and walks
 * the list with the next stride coprime to its length, so no tool keeps its place or the tool it
 * follows. (On a VM a run can pay for what the run before it left: a rotation always put the
 * same tool after wget, and that tool's runs were 2-3x slower in every repeat.)
 */
export function runOrder<T>(tools: readonly T[], repeat: number): T[] {
  const n = tools.length;
  const strides = [...Array(n).keys()].filter((s) => s > 0 && gcd(s, n) === 1);
  const stride = strides[repeat % Math.max(strides.length, 1)] ?? 1;
  return tools.map((_, k) => tools[(repeat + k * stride) % n] as T);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** A rough lower bound of a plan's duration (seconds), for the banner. */
export function estimateSeconds(cases: readonly Case[]): number {
  let total = 0;
  for (const c of cases) {
    const rate = c.ideal.kind === "rate" ? c.ideal.bytesPerSecond : 400 * MiB;
    const perRun = c.size / rate + 1 + c.size / GiB;
    total += perRun * c.tools.length * c.repeats;
  }
  return Math.round(total);
}
