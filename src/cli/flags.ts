/**
 * The command line, declared once: FLAGS below generates commander's options and `--help`, and
 * each entry is typed against the DownloadOptions field it fills, so the three cannot drift.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Command, CommanderError, Option } from "commander";
import {
  DEFAULTS,
  EXIT,
  MAX_CONNECTIONS,
  VERSION,
  UsageError,
  parseChecksumSpec,
  parseHeaderLine,
  parseHttpUrl,
  parseSize,
  parseInputFile,
  withHeader,
  SET_DEFAULTS,
  type DownloadOptions,
  type EntryOptions,
  type SetOptions,
} from "../index.js";

/** What the flags produce: download options, plus the few that only the shell reads. */
export type FlagValues = Pick<
  DownloadOptions,
  | "output"
  | "dir"
  | "connections"
  | "chunkSize"
  | "checksums"
  | "retries"
  | "idleTimeoutMs"
  | "overwrite"
  | "headers"
  | "proxy"
  | "insecure"
  | "caCertificates"
> &
  Pick<
    SetOptions,
    "jobs" | "maxConnections" | "maxHostConnections" | "rateLimit" | "totalRateLimit"
  > & {
    inputFile?: string;
    checksumList?: string;
    atomic?: boolean;
    quiet?: boolean;
    json?: boolean;
  };

export interface Flag<T> {
  /** commander's syntax; `<ARG>` marks a flag that takes an argument. */
  flags: string;
  help: string;
  /**
   * Turns the argument into the value; `previous` lets a repeated flag accumulate. Switches and
   * plain strings have none.
   */
  parse?(arg: string, previous: T | undefined): T;
}

export function positiveInteger(arg: string): number {
  const n = /^\d+$/.test(arg) ? Number(arg) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`expected a positive whole number, got "${arg}"`);
  return n;
}

function connectionCount(arg: string): number {
  const n = positiveInteger(arg);
  if (n > MAX_CONNECTIONS) throw new UsageError(`expected at most ${MAX_CONNECTIONS}, got ${n}`);
  return n;
}

function wholeNumber(arg: string): number {
  const n = /^\d+$/.test(arg) ? Number(arg) : NaN;
  if (!Number.isSafeInteger(n))
    throw new UsageError(`expected a whole number of at least 0, got "${arg}"`);
  return n;
}

function secondsToMs(arg: string): number {
  const ms = /^\d+(\.\d+)?$/.test(arg) ? Math.round(Number(arg) * 1000) : NaN;
  if (!(ms >= 1)) throw new UsageError(`expected a positive number of seconds, got "${arg}"`);
  return ms;
}

/** Bytes per second, as a size (`512K`, `10M`, `1.5MiB`); 0 for no limit. */
export function rate(arg: string): number {
  return /^\s*0+(\.0*)?\s*$/.test(arg) ? 0 : parseSize(arg);
}

function readCertificate(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${osReason(error)}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(`${file} holds no PEM certificate`);
  }
  return pem;
}

function header(arg: string, previous: Record<string, string> | undefined): Record<string, string> {
  const { name, value } = parseHeaderLine(arg);
  return withHeader(previous, name, value);
}

export const FLAGS: { [K in keyof FlagValues]-?: Flag<Exclude<FlagValues[K], undefined>> } = {
  output: {
    flags: "-o, --output <FILE>",
    help: "save as FILE, a path relative to DIR or absolute (one URL only)",
  },
  dir: {
    flags: "-d, --dir <DIR>",
    help: "save into DIR; a name from the server never leads outside it",
  },
  connections: {
    flags: "-n, --connections <N>",
    help:
      `open at most N connections to the server at once (default: adaptive, from ` +
      `${DEFAULTS.startConnections} up to ${DEFAULTS.maxConnections} while they help; ` +
      `at most ${MAX_CONNECTIONS})`,
    parse: connectionCount,
  },
  chunkSize: {
    flags: "-k, --chunk-size <SIZE>",
    help: "fetch fixed ranges of SIZE, e.g. 4M",
    parse: parseSize,
  },
  checksums: {
    flags: "--checksum <ALGO=HEX>",
    help: "require a digest, e.g. sha256=<hex>; repeatable",
    parse: (a, previous) => [...(previous ?? []), parseChecksumSpec(a)],
  },
  retries: {
    flags: "--retries <N>",
    help: `failures in a row without progress before giving up (default ${DEFAULTS.retries})`,
    parse: wholeNumber,
  },
  idleTimeoutMs: {
    flags: "--timeout <SECONDS>",
    help: `retry a connection that receives nothing for SECONDS (default ${DEFAULTS.idleTimeoutMs / 1000})`,
    parse: secondsToMs,
  },
  rateLimit: {
    flags: "--limit-rate <RATE>",
    help: "read each file at most RATE bytes per second, e.g. 512K or 10M (0: no limit)",
    parse: rate,
  },
  totalRateLimit: {
    flags: "--total-limit-rate <RATE>",
    help: "read at most RATE bytes per second, all files together (0: no limit)",
    parse: rate,
  },
  overwrite: { flags: "--overwrite", help: "replace an existing file" },
  headers: {
    flags: "-H, --header <LINE>",
    help: 'send the header "Name: value"; repeatable',
    parse: header,
  },
  proxy: {
    flags: "--proxy <URL>",
    help: "use this HTTP proxy (default: http_proxy, https_proxy, no_proxy as curl reads them)",
  },
  insecure: { flags: "--insecure", help: "do not verify TLS certificates" },
  caCertificates: {
    flags: "--ca-certificate <FILE>",
    help: "also trust the CA certificates (PEM) in FILE; repeatable",
    parse: (file, previous) => [...(previous ?? []), readCertificate(file)],
  },
  inputFile: {
    flags: "-i, --input-file <FILE>",
    help:
      "read URLs from FILE (- for stdin), one a line, each optionally followed by indented " +
      "out=, dir=, checksum=, header= lines (aria2's input file)",
  },
  jobs: {
    flags: "-j, --jobs <N>",
    help: `download N files at once (default ${SET_DEFAULTS.jobs})`,
    parse: positiveInteger,
  },
  maxConnections: {
    flags: "--max-connections <N>",
    help: `open at most N connections at once, all files together (default ${SET_DEFAULTS.maxConnections})`,
    parse: positiveInteger,
  },
  maxHostConnections: {
    flags: "--max-host-connections <N>",
    help:
      `open at most N connections at once to one host (default ${SET_DEFAULTS.maxHostConnections}, or -n if higher); ` +
      "a host that refuses more lowers it for the whole set",
    parse: positiveInteger,
  },
  checksumList: {
    flags: "--checksums <FILE|URL>",
    help:
      "verify each file against a checksum list (sha256sum/md5sum output or BSD tags); " +
      "a file it does not list fails",
  },
  atomic: {
    flags: "--atomic",
    help:
      "all or nothing: fetch and verify every file in DIR/.parget-staging, and move them to " +
      "their final paths only once all are verified",
  },
  quiet: { flags: "-q, --quiet", help: "print nothing but errors" },
  json: { flags: "--json", help: "print events as JSON lines on stdout" },
};

const EXIT_MEANING: Record<keyof typeof EXIT, string> = {
  ok: "every file was saved or already saved (and verified, when a checksum was known)",
  other: "another failure (the remote file changed, an internal error)",
  usage: "bad arguments or input (-n over 64, an unreadable -i file); nothing was fetched",
  filesystem: "a local file problem (exists, unwritable, disk full)",
  network: "the network failed after all retries",
  http: "the server answered with an error or broke the protocol",
  integrity:
    "a checksum did not match (the data is kept beside the target), or --checksums lists none",
};

const HELP_AFTER = `
Commands:
  demo [options]           race 1 connection against 8 on a local throttled server
  bench [options] [url]    sweep chunk sizes and connection counts; recommend a setting
  daemon [options]         keep a download queue, driven over aria2's JSON-RPC

Exit status (with several files, the highest status among them):
${Object.entries(EXIT)
  .map(([key, code]) => `  ${String(code).padEnd(3)}  ${EXIT_MEANING[key as keyof typeof EXIT]}`)
  .join("\n")}
  130  interrupted; rerun the same command to resume

Examples:
  parget https://example.com/big.iso
  parget -n 16 -o os.iso --checksum sha256=<hex> https://example.com/os.iso
  parget -d dl/ -H "Authorization: Bearer $TOKEN" https://x.test/a https://x.test/b
  grep -v beta urls.txt | parget -i -
  parget -d model --checksums https://example.com/model/SHA256SUMS -i shards.txt
  parget --atomic -j 4 -d release/ -i artifacts.txt
  parget --limit-rate 2M -i urls.txt --total-limit-rate 5M
  parget --json https://example.com/big.iso | jq -c 'select(.type == "done")'
  parget demo
  parget bench --connections 1,4,16 https://example.com/big.iso
`;

/** A download command: the set's files, the options they share, and the set's own. */
export interface DownloadArgs {
  kind: "download";
  entries: { url: string; options: EntryOptions }[];
  options: DownloadOptions & Pick<SetOptions, "rateLimit">;
  set: Pick<SetOptions, "jobs" | "maxConnections" | "maxHostConnections" | "totalRateLimit">;
  /** A checksum list's path or URL. */
  checksumList: string | undefined;
  atomic: boolean;
  quiet: boolean;
  json: boolean;
}

export type ParsedArgs =
  | DownloadArgs
  | { kind: "demo"; argv: string[] }
  | { kind: "bench"; argv: string[] }
  | { kind: "daemon"; argv: string[] }
  /** --help or --version: print `output` on stdout and exit 0. */
  | { kind: "exit"; output: string };

export interface ParseEnv {
  /** Reads the -i file; "-" means stdin. */
  readText(path: string): Promise<string>;
}

const defaultEnv: ParseEnv = {
  readText: async (path) =>
    path === "-"
      ? (await import("node:stream/consumers")).text(process.stdin)
      : readFile(path, "utf8"),
};

/** Parses parget's argv (without node and the script). Throws UsageError for bad arguments. */
export async function parseArgs(
  argv: readonly string[],
  env: ParseEnv = defaultEnv,
): Promise<ParsedArgs> {
  if (argv[0] === "demo") return { kind: "demo", argv: argv.slice(1) };
  if (argv[0] === "bench") return { kind: "bench", argv: argv.slice(1) };
  if (argv[0] === "daemon") return { kind: "daemon", argv: argv.slice(1) };

  const program = new Command("parget")
    .description("Download over HTTP(S) with several connections at once; resumable and verified.")
    .usage("[options] <url...>")
    .argument("[url...]", "http:// or https:// URLs, fetched one after another")
    .helpOption("-h, --help", "show this help")
    .addHelpText("after", HELP_AFTER);
  const options = Object.entries(FLAGS).map(
    ([key, flag]) => [key, addFlag<unknown>(program, flag)] as const,
  );
  program.version(VERSION, "--version", "print the version");
  const exitText = runCommander(program, argv);
  if (exitText !== undefined) return { kind: "exit", output: exitText };

  const values: Record<string, unknown> = {};
  for (const [key, option] of options) {
    const value: unknown = program.getOptionValue(option.attributeName());
    if (value !== undefined) values[key] = value;
  }
  const {
    inputFile,
    quiet,
    json,
    jobs,
    maxConnections,
    maxHostConnections,
    totalRateLimit,
    checksumList,
    atomic,
    ...download
  } = values as FlagValues;

  const entries: DownloadArgs["entries"] = program.args.map((url) => {
    parseHttpUrl(url);
    return { url, options: {} };
  });
  if (inputFile !== undefined) {
    const source = inputFile === "-" ? "stdin" : inputFile;
    const text = await readUrlFile(env, inputFile);
    for (const { url, line: _, ...options } of parseInputFile(text, source)) {
      entries.push({ url, options });
    }
  }
  if (entries.length === 0) throw new UsageError("no URL given (see parget --help)");
  if (download.output !== undefined && entries.length > 1) {
    throw new UsageError(`--output names one file, but ${entries.length} URLs were given`);
  }
  const set = {
    ...(jobs === undefined ? {} : { jobs }),
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(maxHostConnections === undefined ? {} : { maxHostConnections }),
    ...(totalRateLimit === undefined ? {} : { totalRateLimit }),
  };
  return {
    kind: "download",
    entries,
    options: download,
    set,
    checksumList,
    atomic: atomic ?? false,
    quiet: quiet ?? false,
    json: json ?? false,
  };
}

/**
 * Runs commander with its output captured. Returns the text of --help or --version, undefined
 * after a normal parse, and turns commander's (possibly multi-line) complaints into a UsageError.
 */
export function runCommander(program: Command, argv: readonly string[]): string | undefined {
  let output = "";
  program.exitOverride().configureOutput({
    writeOut: (s) => (output += s),
    writeErr: (s) => (output += s),
    outputError: () => {},
  });
  try {
    program.parse(argv, { from: "user" });
    return undefined;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.exitCode === 0) return output;
    const message = err.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ");
    throw new UsageError(`${message} (see ${program.name()} --help)`);
  }
}

/** Adds one flag to `program`; a UsageError from its parser names the flag. */
export function addFlag<T>(program: Command, flag: Flag<T>): Option {
  const option = new Option(flag.flags, flag.help);
  if (flag.parse) {
    const parse = flag.parse.bind(flag);
    option.argParser((arg: string, previous: T | undefined) => {
      try {
        return parse(arg, previous);
      } catch (err) {
        if (err instanceof UsageError) throw new UsageError(`${option.long}: ${err.message}`);
        throw err;
      }
    });
  }
  program.addOption(option);
  return option;
}

/** An unreadable -i file is bad input, like an unreadable --ca-certificate: exit 2. */
async function readUrlFile(env: ParseEnv, path: string): Promise<string> {
  try {
    return await env.readText(path);
  } catch (err) {
    throw new UsageError(`cannot read URL list ${path}: ${osReason(err)}`);
  }
}

/** "no such file or directory" rather than "ENOENT: no such file or directory, open 'x'". */
export function osReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^E[A-Z]+: (.*?), \w+ '.*'$/s.exec(message)?.[1] ?? message;
}
