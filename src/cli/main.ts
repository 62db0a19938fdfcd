/**
 * The parget command: parse, download each URL in turn, render events, exit with a status.
 * With several URLs a failure does not stop the rest; the exit status is the highest one seen.
 */
// First: V8 flags that must hold while the rest loads.
import "./lean-runtime.js";
import type { SetSummary } from "../events.js";
import { createTransport, download, exitCodeOf, EXIT, type DownloadEvent } from "../index.js";
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

  const reporter = createReporter(args, { stdout, stderr });
  // Collecting garbage is the process's business, so the CLI, not the library, decides it.
  const onReceived = createReclaimer();
  // The URLs one at a time, reported as a set (id = the URL's index) until the set scheduler.
  const began = performance.now();
  const summary: SetSummary = {
    files: args.urls.length,
    saved: 0,
    verified: 0,
    skipped: 0,
    failed: 0,
    cancelled: 0,
    fetchedBytes: 0,
    elapsedMs: 0,
    exitCode: EXIT.ok,
  };
  try {
    args.urls.forEach((url, id) => reporter.onEvent({ type: "queued", id, url }));
    for (const [id, url] of args.urls.entries()) {
      const transport = createTransport({ ...args.options, onReceived });
      let path: string | null = null;
      const onEvent = (e: DownloadEvent): void => {
        if (e.type === "start") path = e.path;
        reporter.onEvent({ ...e, id });
      };
      try {
        const result = await download(url, { ...args.options, transport, signal, onEvent });
        summary.saved++;
        if (result.verified.length > 0) summary.verified++;
        summary.fetchedBytes += result.size - result.resumedBytes;
      } catch (err) {
        if (signal.aborted) {
          reporter.onEvent({ type: "cancelled", id, url, path });
          throw err;
        }
        reporter.onEvent({ type: "failed", id, url, path, error: err });
        summary.failed++;
        summary.exitCode = Math.max(summary.exitCode, exitCodeOf(err));
      } finally {
        await transport.close();
      }
    }
    summary.elapsedMs = Math.round(performance.now() - began);
    reporter.onEvent({ type: "summary", summary });
  } finally {
    reporter.close();
  }
  return summary.exitCode;
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
