/** `node dist/src/server/cli.js --size 256M --rate-per-connection 8M --scenario resets` */
import { readFile } from "node:fs/promises";
import { digestOfContent, startServer } from "./index.js";
import { parseServerArgs, USAGE, type CliConfig } from "./scenarios.js";

async function main(argv: string[]): Promise<number> {
  let config: CliConfig;
  try {
    config = parseServerArgs(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (config.tlsFiles) {
    const [key, cert] = await Promise.all([
      readFile(config.tlsFiles.key),
      readFile(config.tlsFiles.cert),
    ]);
    config.options.tls = { key, cert };
  }

  const server = await startServer(config.options);
  const stop = (): void => void server.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stdout.write(`${server.url("/file.bin")}\n`);
  process.stderr.write(
    `serving ${config.size} bytes, scenario ${config.scenario}; Ctrl-C to stop\n`,
  );
  const hex = await digestOfContent(config.seed, config.size, "sha256");
  // The "changing" scenario replaces the file mid-way; this digest is of the first version.
  process.stdout.write(`sha256=${hex}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
