/**
 * `parget bench [URL]`: sweeps chunk sizes against connection counts, against a URL or parget's
 * own throttled server, and recommends a setting. The decisions live in ./bench/ (pure); this
 * file sets up the target, asks before a large fetch, runs the sweep and writes the outputs.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import {
  EXIT,
  FileSystemError,
  UsageError,
  exitCodeOf,
  formatBytes,
  parseHttpUrl,
  parseSize,
} from "../index.js";
import { chartSvg } from "../measure/chart.js";
import { startServer, type RangeServer } from "../server/index.js";
import { chartSpec } from "./bench/chart.js";
import {
  DEFAULT_CHUNKS,
  DEFAULT_CONNECTIONS,
  DEFAULT_REPEATS,
  budgetOf,
  budgetText,
  cellFlags,
  cellsOf,
  estimateText,
  estimateSeconds,
  limitedByFileSize,
  parseChunkList,
  parseConnectionList,
  sweepOrder,
  type ChunkSetting,
} from "./bench/plan.js";
import {
  jsonReport,
  recommendationText,
  resultsTable,
  targetText,
  type BenchTarget,
} from "./bench/report.js";
import { recommend, summarize, type RunResult } from "./bench/results.js";
import { probe, runSweep, scratchBase, type BaseOptions } from "./bench-run.js";
import { FLAGS, addFlag, positiveInteger, runCommander } from "./flags.js";
import { errorMessage } from "./reporters/format.js";

const INTERRUPTED = 130;
const MiB = 1024 * 1024;
const EMBEDDED = { size: 32 * MiB, rate: 8 * MiB, latencyMs: 20, seed: "parget bench" };
const DEFAULT_MAX_TOTAL = 2 * 1024 * MiB;
const DEFAULT_CHART = "parget-bench.svg";

const HELP_AFTER = `
Each setting runs --repeats times; the table and the chart show the median, min and max. A
fixed chunk size that cuts the file into fewer chunks than a setting has connections is not
run ("limited"). The total time is estimated before the first run against the embedded
server, after it against a URL; with its defaults the sweep takes about a minute. Each copy
is saved on tmpfs (/dev/shm) when there is room, and deleted after its run. The embedded
server runs in this process: past a few hundred MiB/s it shares the CPU with the download,
so the numbers say more about this machine than about a server.

Examples:
  parget bench
  parget bench --size 64M --rate-per-connection 8M --connections 1,4,16 --repeats 1
  parget bench --chunk-sizes 1M,4M,dynamic --json https://example.com/big.iso > bench.json
`;

interface BenchFlags {
  connections?: number[];
  chunkSizes?: ChunkSetting[];
  repeats?: number;
  size?: number;
  ratePerConnection?: number;
  latency?: number;
  maxTotal?: number;
  yes?: boolean;
  json?: boolean;
  /** A path, or false for --no-chart. */
  chart?: string | false;
}

function latency(arg: string): number {
  const match = /^(\d+)(ms)?$/.exec(arg);
  if (!match) throw new UsageError(`expected whole milliseconds, got "${arg}"`);
  return Number(match[1]);
}

function command(): Command {
  const program = new Command("parget bench")
    .description(
      "Sweep chunk sizes against connection counts and recommend a setting: against URL, or " +
        "without one against parget's own server, throttled per connection as CDNs are.",
    )
    .usage("[options] [url]")
    .argument("[url]", "the file to fetch repeatedly (each copy is deleted at once)")
    .helpOption("-h, --help", "show this help")
    .addHelpText("after", HELP_AFTER);
  const list = (flags: string, help: string, parse: (arg: string) => unknown): void => {
    addFlag(program, { flags, help, parse });
  };
  list(
    "-n, --connections <LIST>",
    `connection counts (default ${DEFAULT_CONNECTIONS.join(",")})`,
    parseConnectionList,
  );
  list(
    "-k, --chunk-sizes <LIST>",
    "chunk sizes, and dynamic for no -k (default 256K,1M,dynamic)",
    parseChunkList,
  );
  list(
    "--repeats <N>",
    `runs of each setting; the median counts (default ${DEFAULT_REPEATS})`,
    positiveInteger,
  );
  list("--size <SIZE>", "embedded server: file size (default 32M)", parseSize);
  list(
    "--rate-per-connection <SIZE>",
    "embedded server: bytes/s per connection, 0 for none (default 8M)",
    (a) => (a === "0" ? 0 : parseSize(a)),
  );
  list(
    "--latency <MS>",
    `embedded server: ms added before each response (default ${EMBEDDED.latencyMs})`,
    latency,
  );
  list(
    "--max-total <SIZE>",
    "URL: ask before fetching more than this in all (default 2G)",
    parseSize,
  );
  addFlag(program, { flags: "-y, --yes", help: "fetch more than --max-total without asking" });
  addFlag(program, { flags: "--json", help: "print the results as JSON on stdout" });
  addFlag(program, {
    flags: "--chart <FILE>",
    help: `write the SVG chart here (default ${DEFAULT_CHART})`,
  });
  addFlag(program, { flags: "--no-chart", help: "write no chart" });
  for (const flag of [FLAGS.headers, FLAGS.proxy, FLAGS.insecure, FLAGS.caCertificates]) {
    addFlag<unknown>(program, flag);
  }
  return program;
}

export async function runBench(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const program = command();
  const help = runCommander(program, argv);
  if (help !== undefined) {
    process.stdout.write(help);
    return EXIT.ok;
  }
  const flags = program.opts<BenchFlags & BaseOptions>();
  const url = program.args[0];
  if (url !== undefined) {
    parseHttpUrl(url);
    if ([flags.size, flags.ratePerConnection, flags.latency].some((v) => v !== undefined)) {
      throw new UsageError(
        "--size, --rate-per-connection and --latency set up the embedded server; with a URL, leave them out",
      );
    }
  }
  const base: BaseOptions = {};
  if (flags.headers) base.headers = flags.headers;
  if (flags.proxy !== undefined) base.proxy = flags.proxy;
  if (flags.insecure) base.insecure = true;
  if (flags.caCertificates) base.caCertificates = flags.caCertificates;

  let server: RangeServer | undefined;
  try {
    if (url === undefined) {
      const size = flags.size ?? EMBEDDED.size;
      const rate = flags.ratePerConnection ?? EMBEDDED.rate;
      const latencyMs = flags.latency ?? EMBEDDED.latencyMs;
      server = await startServer({
        files: { "/bench.bin": { content: { seed: EMBEDDED.seed, size } } },
        ratePerConnection: rate,
        latencyMs,
      });
      const fetchUrl = server.url("/bench.bin");
      // The embedded server is on loopback: never through a proxy from the environment.
      base.proxy = null;
      const target = { url: fetchUrl, embedded: true, size, ratePerConnection: rate, latencyMs };
      return await bench(flags, base, fetchUrl, target, signal);
    }
    const found = await probe(url, base, (await scratchBase(0)).dir, signal);
    if (found.size === null || !found.ranges) {
      process.stderr.write(
        `parget bench: ${shownUrl(url)} does not serve byte ranges, so every setting ` +
          "fetches it over one connection: nothing to compare\n",
      );
      return EXIT.other;
    }
    const target = { url: shownUrl(url), embedded: false, size: found.size };
    return await bench(flags, base, url, target, signal);
  } catch (err) {
    if (!signal.aborted) throw err;
    process.stderr.write("parget bench: interrupted\n");
    return INTERRUPTED;
  } finally {
    await server?.close();
  }
}

/** The sweep proper, once the target is known: consent, runs, table, chart, JSON. */
async function bench(
  flags: BenchFlags,
  base: BaseOptions,
  url: string,
  target: BenchTarget,
  signal: AbortSignal,
): Promise<number> {
  const connections = flags.connections ?? [...DEFAULT_CONNECTIONS];
  const chunks = flags.chunkSizes ?? [...DEFAULT_CHUNKS];
  const repeats = flags.repeats ?? DEFAULT_REPEATS;
  const all = cellsOf(connections, chunks);
  const limited = all.filter((cell) => limitedByFileSize(cell, target.size));
  const cells = all.filter((cell) => !limitedByFileSize(cell, target.size));
  if (cells.length === 0) {
    throw new UsageError(
      `every setting has more connections than ${formatBytes(target.size)} has chunks; ` +
        "choose smaller --chunk-sizes or fewer --connections",
    );
  }
  const runs = sweepOrder(cells, repeats);
  const human = flags.json ? process.stderr : process.stdout;

  if (!target.embedded) {
    const budget = budgetOf(
      target.size,
      cells.length,
      repeats,
      flags.maxTotal ?? DEFAULT_MAX_TOTAL,
    );
    const amount = `${budgetText(budget)} from ${new URL(url).host}`;
    if (budget.needsConsent && !flags.yes) {
      const over = `more than --max-total ${formatBytes(budget.maxTotal)}`;
      if (!(process.stdin.isTTY && process.stderr.isTTY)) {
        throw new UsageError(
          `bench would fetch ${amount}, ${over}; add --yes, or narrow the sweep ` +
            "(--connections, --chunk-sizes, --repeats)",
        );
      }
      if (!(await confirm(`parget bench will fetch ${amount}, ${over}. Go on?`, signal))) {
        process.stderr.write("parget bench: not confirmed; only the probe was fetched\n");
        return EXIT.usage;
      }
    } else {
      process.stderr.write(`parget bench: will fetch ${amount}\n`);
    }
  }

  const scratch = await scratchBase(target.size);
  const estimate = target.embedded ? `, about ${estimateText(estimateSeconds(runs, target))}` : "";
  process.stderr.write(
    `parget bench: ${targetText(target)}; ${runs.length} runs ` +
      `(${cells.length} settings x ${repeats})${estimate}, each saved in ${scratch.dir}` +
      `${scratch.tmpfs ? " (memory)" : ""} and deleted at once\n`,
  );
  if (limited.length > 0) {
    process.stderr.write(
      `parget bench: left out, as the file has fewer chunks than they have connections: ` +
        `${limited.map(cellFlags).join(", ")}\n`,
    );
  }
  const results: RunResult[] = [];
  try {
    await runSweep({
      url,
      runs,
      repeats,
      estimated: target.embedded,
      base,
      scratch: scratch.dir,
      signal,
      results,
    });
  } catch (err) {
    if (!signal.aborted) throw err;
    const partial = summarize(cells, results);
    if (partial.length > 0) {
      human.write(resultsTable(partial, connections, chunks, repeats, undefined, limited));
    }
    process.stderr.write(
      `parget bench: interrupted after ${results.length} of ${runs.length} runs\n`,
    );
    return INTERRUPTED;
  }

  const summaries = summarize(cells, results);
  const rec = recommend(summaries);
  human.write(`\n${resultsTable(summaries, connections, chunks, repeats, rec, limited)}\n`);
  // The embedded server's URL dies with it, and a shown URL may have lost its query.
  const again = target.embedded || target.url !== url ? "URL" : url;
  if (rec) human.write(recommendationText(rec, again));

  let status: number = EXIT.ok;
  let chartFile: string | null = null;
  if (flags.chart !== false) {
    const file = resolve(flags.chart ?? DEFAULT_CHART);
    try {
      const spec = chartSpec(target, repeats, summaries, connections, chunks, rec, limited);
      await writeChart(file, chartSvg(spec));
      chartFile = file;
      human.write(`chart: ${file}\n`);
    } catch (err) {
      process.stderr.write(`parget bench: no chart: ${errorMessage(err)}\n`);
      status = exitCodeOf(err);
    }
  }
  if (flags.json) {
    const report = jsonReport(target, repeats, summaries, rec, chartFile, limited);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return status;
}

async function writeChart(file: string, svg: string): Promise<void> {
  try {
    await writeFile(file, svg);
  } catch (err) {
    throw new FileSystemError(`cannot write the chart ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The URL as shown: no credentials, and no query (signed URLs carry their secrets there). */
function shownUrl(url: string): string {
  const u = new URL(url);
  u.username = u.password = u.search = u.hash = "";
  return u.href;
}

async function confirm(question: string, signal: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
