/**
 * `parget demo`: no internet needed. A local server throttles each connection, as many CDNs do;
 * parget fetches the same generated file with one connection and then with several.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { download, formatBytes, parseSize, type DownloadResult } from "../index.js";
import { digestOfContent, startServer } from "../server/index.js";
import { addFlag, positiveInteger, runCommander } from "./flags.js";
import { speed } from "./reporters/format.js";
import { createReporter } from "./reporters/index.js";

const SEED = "parget demo";

export async function runDemo(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const program = new Command("parget demo")
    .description("Race 1 connection against N on a local server that throttles each one.")
    .helpOption("-h, --help", "show this help");
  addFlag(program, { flags: "--size <SIZE>", help: "file size (default 256M)", parse: parseSize });
  addFlag(program, {
    flags: "--rate <SIZE>",
    help: "bytes/s per connection (default 8M)",
    parse: parseSize,
  });
  addFlag(program, {
    flags: "-n, --connections <N>",
    help: "connections for the parallel run (default 8)",
    parse: positiveInteger,
  });
  const help = runCommander(program, argv);
  if (help !== undefined) {
    process.stdout.write(help);
    return 0;
  }
  const flags = program.opts<{ size?: number; rate?: number; connections?: number }>();
  const size = flags.size ?? 256 * 1024 * 1024;
  const rate = flags.rate ?? 8 * 1024 * 1024;
  const parallel = flags.connections ?? 8;

  const dir = await mkdtemp(join(tmpdir(), "parget-demo-"));
  try {
    const server = await startServer({
      files: { "/demo.bin": { content: { seed: SEED, size } } },
      ratePerConnection: rate,
    });
    try {
      const hex = await digestOfContent(SEED, size, "sha256");
      // Each run is a set of one file, shown as a plain download is.
      const fetch = async (output: string, connections: number): Promise<DownloadResult> => {
        const reporter = createReporter({ json: false, quiet: false }, process);
        try {
          return await download(server.url("/demo.bin"), {
            dir,
            output,
            connections,
            checksums: [{ algorithm: "sha256", hex, source: "user" }],
            signal,
            onEvent: (e) => reporter.onEvent({ ...e, id: 0 }),
          });
        } finally {
          reporter.close();
        }
      };
      process.stderr.write(
        `parget demo: ${formatBytes(size)} from a local server, ${speed(rate)} per connection\n`,
      );
      const single = await fetch("single.bin", 1);
      server.resetStats();
      const multi = await fetch("parallel.bin", parallel);

      const rateOf = (r: DownloadResult): number => r.size / (Math.max(r.elapsedMs, 1) / 1000);
      const verified = [single, multi].every((r) =>
        r.verified.some((v) => v.algorithm === "sha256"),
      );
      process.stdout.write(
        [
          `1 connection:   ${speed(rateOf(single))}`,
          `${parallel} connections: ${speed(rateOf(multi))}, ` +
            `${(rateOf(multi) / rateOf(single)).toFixed(1)}x faster ` +
            `(the server saw ${server.stats.peakConnections} at once)`,
          `${verified ? "both verified sha256" : "NOT verified"}; saved in ${dir}, now deleted`,
          "",
        ].join("\n"),
      );
      return 0;
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
