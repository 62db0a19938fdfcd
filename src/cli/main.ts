/**
 * The parget command: parse, download the URLs as one set, render events, exit with a status.
 * A failure does not stop the rest; the exit status is the highest one among the files.
 */
import { createTransport, DownloadSet, exitCodeOf, EXIT } from "../index.js";
import { loadChecksumList } from "./checksum-list.js";
import { parseArgs } from "./flags.js";
import { createReclaimer } from "./reclaim.js";
import { errorMessage } from "./reporters/format.js";
import { createReporter, type Sink } from "./reporters/index.js";

const INTERRUPTED = 130;

/**
 * A stream whose reader may go away (`parget --json … | head -1`): the first failed write (EPIPE)
 * ends the output, silently, and the download goes on; its exit status is the download's.
 */
function outputTo(stream: NodeJS.WriteStream): Sink {
  let closed = false;
  stream.on("error", () => {
    closed = true;
  });
  return {
    write: (chunk) => closed || stream.write(chunk),
    isTTY: stream.isTTY,
    get columns() {
      return stream.columns;
    },
    get rows() {
      return stream.rows;
    },
  };
}

const stdout = outputTo(process.stdout);
const stderr = outputTo(process.stderr);

async function main(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const args = await parseArgs(argv);
  if (args.kind === "exit") {
    stdout.write(args.output);
    return EXIT.ok;
  }
  if (args.kind === "demo") {
    // Loaded on demand: the demo's server is dead weight for a plain download.
    const { runDemo } = await import("./demo.js");
    return runDemo(args.argv, signal);
  }
  if (args.kind === "bench") {
    // Loaded on demand too; it loads its charting library itself, only when it draws.
    const { runBench } = await import("./bench.js");
    return runBench(args.argv, signal);
  }
  if (args.kind === "daemon") {
    const { runDaemon } = await import("./daemon.js");
    return runDaemon(args.argv, signal);
  }

  const reporter = createReporter(args, { stdout, stderr });
  // Collecting garbage is the process's business, so the CLI, not the library, decides it.
  const transport = createTransport({ ...args.options, onReceived: createReclaimer() });
  try {
    const checksumList =
      args.checksumList === undefined
        ? undefined
        : await loadChecksumList(args.checksumList, { ...args.options, transport, signal });
    const set = new DownloadSet({
      ...args.options,
      ...args.set,
      ...(checksumList ? { checksumList } : {}),
      atomic: args.atomic,
      transport,
      signal,
      onEvent: (event) => reporter.onEvent(event),
    });
    for (const { url, options } of args.entries) set.add(url, options);
    const { summary } = await set.settled();
    signal.throwIfAborted();
    return summary.exitCode;
  } finally {
    reporter.close();
    await transport.close();
  }
}

const controller = new AbortController();
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    // A second signal means the user will not wait for the state to be saved.
    if (controller.signal.aborted) process.exit(INTERRUPTED);
    controller.abort();
  });
}

try {
  process.exitCode = await main(process.argv.slice(2), controller.signal);
} catch (err) {
  if (controller.signal.aborted) {
    stderr.write("parget: interrupted; rerun the same command to resume\n");
    process.exitCode = INTERRUPTED;
  } else {
    stderr.write(`parget: ${errorMessage(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}
