/** `npm run bench:peers -- [--quick] [--only a,b] [--tools a,b] ...`, parsed without side effects. */
import { SET_SCENARIO_IDS, type SetScenarioId } from "./sets.js";
import { SCENARIO_IDS, TOOL_IDS, type ScenarioId, type ToolId } from "./types.js";

export interface BenchArgs {
  help: boolean;
  quick: boolean;
  long: boolean;
  scenarios: ScenarioId[];
  /** The set benchmarks (issue 9), chosen with --only like the scenarios. */
  sets: SetScenarioId[];
  tools: ToolId[];
  repeats: number | undefined;
  /** The Markdown report; the chart goes beside it. */
  report: string;
  /** Also write the raw runs as JSON here. */
  json: string | undefined;
  /** Where downloads are written (its file system is reported). */
  outDir: string | undefined;
  /** The parget CLI bundle to run. */
  parget: string | undefined;
}

export const USAGE = `usage: npm run bench:peers -- [options]

Compares parget with aria2c, axel, rclone, wget2, curl and wget on loopback servers the
benchmark starts itself, and writes docs/benchmarks.md (and docs/benchmarks-peers.svg).

  --quick              128 MiB files, 1 repeat, fewer rows: a few minutes
  --long               also the paced 1 GiB rows with 1 and 4 connections (+10 min)
  --only LIST          scenarios, comma-separated: ${SCENARIO_IDS.join(", ")},
                       and the sets: ${SET_SCENARIO_IDS.join(", ")}
  --tools LIST         tools, comma-separated: ${TOOL_IDS.join(", ")}
  --repeats N          runs of each tool in each case (default 3, quick 1)
  --report FILE        the Markdown report (default docs/benchmarks.md)
  --json FILE          also write every run as JSON
  --out-dir DIR        write downloads under DIR (default: the system's temp dir)
  --parget FILE        the parget CLI to run (default dist/parget.mjs)
  --help
`;

export class ArgsError extends Error {}

function list<T extends string>(
  value: string,
  known: readonly T[],
  flag: string,
  what: string,
): T[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ArgsError(`${flag} needs at least one ${what}`);
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) {
      throw new ArgsError(`unknown ${what} "${item}"; known: ${known.join(", ")}`);
    }
  }
  // In the canonical order, so a report does not depend on how the list was typed.
  return known.filter((k) => items.includes(k));
}

/** Parses argv (without node and the script); throws ArgsError on anything unknown. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    help: false,
    quick: false,
    long: false,
    scenarios: [...SCENARIO_IDS],
    sets: [...SET_SCENARIO_IDS],
    tools: [...TOOL_IDS],
    repeats: undefined,
    report: "docs/benchmarks.md",
    json: undefined,
    outDir: undefined,
    parget: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new ArgsError(`${name} needs a value`);
      return next;
    };
    const flag = (): true => {
      if (inline !== undefined) throw new ArgsError(`${name} takes no value`);
      return true;
    };
    switch (name) {
      case "--help":
      case "-h":
        args.help = flag();
        break;
      case "--quick":
        args.quick = flag();
        break;
      case "--long":
        args.long = flag();
        break;
      case "--only": {
        const chosen = list(value(), [...SCENARIO_IDS, ...SET_SCENARIO_IDS], name, "scenario");
        args.scenarios = SCENARIO_IDS.filter((id) => chosen.includes(id));
        args.sets = SET_SCENARIO_IDS.filter((id) => chosen.includes(id));
        break;
      }
      case "--tools":
        args.tools = list(value(), TOOL_IDS, name, "tool");
        break;
      case "--repeats": {
        const text = value();
        const n = Number(text);
        if (!/^\d+$/.test(text) || n < 1 || n > 50) {
          throw new ArgsError(`--repeats must be a whole number from 1 to 50, not "${text}"`);
        }
        args.repeats = n;
        break;
      }
      case "--report":
        args.report = value();
        break;
      case "--json":
        args.json = value();
        break;
      case "--out-dir":
        args.outDir = value();
        break;
      case "--parget":
        args.parget = value();
        break;
      default:
        throw new ArgsError(`unknown argument "${arg}"`);
    }
  }
  if (args.quick && args.long) throw new ArgsError("--quick and --long exclude each other");
  return args;
}

/** The command line that reproduces a run, for the report. */
export function describeArgs(args: BenchArgs): string {
  const parts = ["npm run bench:peers"];
  const extra: string[] = [];
  if (args.quick) extra.push("--quick");
  if (args.long) extra.push("--long");
  if (
    args.scenarios.length !== SCENARIO_IDS.length ||
    args.sets.length !== SET_SCENARIO_IDS.length
  ) {
    extra.push(`--only ${[...args.scenarios, ...args.sets].join(",")}`);
  }
  if (args.tools.length !== TOOL_IDS.length) extra.push(`--tools ${args.tools.join(",")}`);
  if (args.repeats !== undefined) extra.push(`--repeats ${args.repeats}`);
  if (extra.length > 0) parts.push("--", ...extra);
  return parts.join(" ");
}
