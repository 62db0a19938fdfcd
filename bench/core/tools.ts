/**
 * The downloaders compared, and the command line each gets: the same URL, output file and
 * connection count, every tool told to be quiet and to ignore its user configuration.
 */
import type { ToolId } from "./types.js";

/** Everything a command line is made of, as strings, so a template can be shown with "$URL". */
export interface CommandTarget {
  /** The file's URL. */
  url: string;
  /** The URL of the directory the file is in, ending in "/" (rclone's --http-url). */
  base: string;
  /** The file's name, also the output's name. */
  name: string;
  /** The output directory. */
  dir: string;
  /** dir/name */
  out: string;
  /** Connections. */
  n: string;
  /** Hex SHA-256 the tool must verify itself, when the case asks for it and the tool can. */
  sha256?: string | undefined;
}

/** Where the tools parget and rclone need are. */
export interface ToolEnvironment {
  node: string;
  pargetCli: string;
  /** An empty file: rclone must not read or write the user's config. */
  rcloneConfig: string;
}

export interface Tool {
  id: ToolId;
  /** The executable looked up to decide whether the tool is installed. */
  binary: string;
  /** Opens several connections for one file (as measured here, not as advertised). */
  parallel: boolean;
  /** Verifies a SHA-256 given on the command line; other tools are followed by sha256sum. */
  verifies: boolean;
  /** How to ask for its version; the first line printed is kept. */
  version: string[];
  command(target: CommandTarget, env: ToolEnvironment): string[];
  /** Added for an HTTPS URL: the benchmark's server has a throwaway self-signed certificate. */
  insecure: string[];
  /** Said once in the report. */
  note?: string;
}

export const TOOLS: readonly Tool[] = [
  {
    id: "parget",
    insecure: ["--insecure"],
    binary: "node",
    parallel: true,
    verifies: true,
    version: ["$NODE", "$PARGET", "--version"],
    command: (t, env) => parget(t, env, ["-n", t.n]),
  },
  {
    id: "parget-auto",
    insecure: ["--insecure"],
    binary: "node",
    parallel: true,
    verifies: true,
    version: ["$NODE", "$PARGET", "--version"],
    command: (t, env) => parget(t, env, []),
    note:
      "`parget-auto` is parget with no `-n`: its adaptive default starts at 4 connections and " +
      "doubles them while the throughput follows, up to 16. Its conns column shows where it " +
      "settled; the case's N does not apply to it.",
  },
  {
    id: "aria2c",
    insecure: ["--check-certificate=false"],
    binary: "aria2c",
    parallel: true,
    verifies: true,
    version: ["aria2c", "--version"],
    command: (t) => aria2c(t, ["-k", "1M"]),
    note:
      "aria2c gets `-k 1M`: with its default `--min-split-size` of 20 MiB it never cuts a " +
      "piece smaller than 20 MiB, so a 128 MiB file gets only a few connections whatever " +
      "`-x`/`-s` say, and a slow connection keeps a large piece to the end. The `aria2c-k20M` " +
      "rows (scenarios 2 and 3) run that default; their conns column shows how many it opened.",
  },
  {
    id: "aria2c-k20M",
    insecure: ["--check-certificate=false"],
    binary: "aria2c",
    parallel: true,
    verifies: true,
    version: ["aria2c", "--version"],
    command: (t) => aria2c(t, []),
  },
  {
    id: "axel",
    insecure: ["--insecure"],
    binary: "axel",
    parallel: true,
    verifies: false,
    version: ["axel", "--version"],
    command: (t) => ["axel", "-q", "-n", t.n, "-o", t.out, t.url],
  },
  {
    id: "rclone",
    insecure: ["--no-check-certificate"],
    binary: "rclone",
    parallel: true,
    verifies: false,
    version: ["rclone", "version"],
    command: (t, env) => [
      "rclone",
      "--config",
      env.rcloneConfig,
      "-q",
      "copyto",
      "--http-url",
      t.base,
      `:http:${t.name}`,
      t.out,
      "--multi-thread-streams",
      t.n,
      "--multi-thread-cutoff",
      "1M",
    ],
  },
  {
    id: "wget2",
    insecure: ["--no-check-certificate"],
    binary: "wget2",
    parallel: false,
    verifies: false,
    version: ["wget2", "--version"],
    command: (t) => [
      "wget2",
      "--no-config",
      "-q",
      `--max-threads=${t.n}`,
      "--chunk-size=1M",
      "-O",
      t.out,
      t.url,
    ],
    note:
      "wget2 gets `--max-threads=N --chunk-size=1M`, yet wget2 1.99 fetches the chunks of a " +
      "single URL one after another on one connection (its queue holds one job, so it starts " +
      "one downloader thread); the server's connection counts show it. It is therefore run with " +
      "the single-connection tools, not in the per-connection-throttled rows with N > 1.",
  },
  {
    id: "curl",
    insecure: ["--insecure"],
    binary: "curl",
    parallel: false,
    verifies: false,
    version: ["curl", "--version"],
    // -q first: curl reads no .curlrc.
    command: (t) => ["curl", "-q", "-sS", "-f", "-o", t.out, t.url],
  },
  {
    id: "wget",
    insecure: ["--no-check-certificate"],
    binary: "wget",
    parallel: false,
    verifies: false,
    version: ["wget", "--version"],
    command: (t) => ["wget", "--no-config", "-q", "-O", t.out, t.url],
  },
];

function aria2c(t: CommandTarget, split: string[]): string[] {
  return [
    "aria2c",
    "--no-conf",
    "-q",
    "-x",
    t.n,
    "-s",
    t.n,
    ...split,
    "-d",
    t.dir,
    "-o",
    t.name,
    "--allow-overwrite=true",
    "--auto-file-renaming=false",
    ...(t.sha256 ? [`--checksum=sha-256=${t.sha256}`] : []),
    t.url,
  ];
}

export function toolById(id: ToolId): Tool {
  const tool = TOOLS.find((t) => t.id === id);
  if (!tool) throw new Error(`unknown tool ${id}`);
  return tool;
}

/** Verifies an output for a tool that cannot; `list` holds "HEX  PATH". Exit 0 means intact. */
export function verifyCommand(list: string): string[] {
  return ["sha256sum", "--quiet", "--status", "-c", list];
}

const PLACEHOLDER: CommandTarget = {
  url: "$BASE$NAME",
  base: "$BASE",
  name: "$NAME",
  dir: "$DIR",
  out: "$DIR/$NAME",
  n: "$N",
};

/** The tool's command line for this target: over HTTPS, without checking the certificate. */
export function commandLine(tool: Tool, target: CommandTarget, env: ToolEnvironment): string[] {
  const argv = tool.command(target, env);
  return target.url.startsWith("https:") ? [...argv, ...tool.insecure] : argv;
}

/** A tool's command line as the report shows it, with placeholders for what varies. */
export function commandTemplate(tool: Tool, checksum = false): string {
  const target = checksum ? { ...PLACEHOLDER, sha256: "$SHA256" } : PLACEHOLDER;
  const argv = tool.command(target, {
    node: "node",
    pargetCli: "dist/parget.mjs",
    rcloneConfig: "$EMPTY_CONFIG",
  });
  return argv.map(shellQuote).join(" ");
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./$-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function parget(t: CommandTarget, env: ToolEnvironment, connections: string[]): string[] {
  return [
    env.node,
    env.pargetCli,
    t.url,
    ...connections,
    "-d",
    t.dir,
    "-o",
    t.name,
    "-q",
    ...(t.sha256 ? ["--checksum", `sha256=${t.sha256}`] : []),
  ];
}
