/** Named misbehaviours for the server CLI, and its flags: one table feeds parsing and --help. */
import { parseArgs } from "node:util";
import { parseSize } from "../core/units.js";
import type { FileSpec } from "./files.js";
import type { ServerOptions } from "./index.js";

const KiB = 1024;
const MiB = 1024 * KiB;

interface Scenario {
  help: string;
  apply(size: number, rate: number): { file?: Partial<FileSpec>; server?: Partial<ServerOptions> };
}

export const SCENARIOS: Record<string, Scenario> = {
  plain: { help: "a well-behaved server", apply: () => ({}) },
  resets: {
    help: "20% of range responses reset after 64 KiB",
    apply: () => ({
      file: { faults: [{ kind: "reset", afterBytes: 64 * KiB, probability: 0.2, which: "range" }] },
    }),
  },
  truncates: {
    help: "20% of range responses end cleanly after 64 KiB, short of Content-Length",
    apply: () => ({
      file: {
        faults: [{ kind: "truncate", afterBytes: 64 * KiB, probability: 0.2, which: "range" }],
      },
    }),
  },
  stalls: {
    help: "10% of range responses go silent after 64 KiB",
    apply: () => ({
      file: { faults: [{ kind: "stall", afterBytes: 64 * KiB, probability: 0.1, which: "range" }] },
    }),
  },
  errors: {
    help: "20% of requests get 503 with Retry-After: 1",
    apply: () => ({
      file: { faults: [{ kind: "status", status: 503, retryAfter: "1", probability: 0.2 }] },
    }),
  },
  "ranges-off": {
    help: "no Accept-Ranges; every request gets 200",
    apply: () => ({ file: { ranges: "no" } }),
  },
  "ranges-ignored": {
    help: "Accept-Ranges: bytes, yet every request gets 200 with the whole file",
    apply: () => ({ file: { ranges: "ignored" } }),
  },
  changing: {
    help: "the file is replaced (new content, ETag, Last-Modified) once half its size has been served",
    apply: (size) => ({
      file: { faults: [{ kind: "replace-after", bytes: Math.floor(size / 2) }] },
    }),
  },
  "slow-tail": {
    help: "10% of range responses crawl at 64 KiB/s",
    apply: () => ({
      file: { faults: [{ kind: "slow", rate: 64 * KiB, probability: 0.1, which: "range" }] },
    }),
  },
  uneven: {
    help: "connections in turn get the rate, 1/2, 1/4 and 1/8 of it (8M if no rate is set)",
    apply: (_size, rate) => {
      const r = rate > 0 ? rate : 8 * MiB;
      return { server: { rates: [r, r / 2, r / 4, r / 8].map(Math.floor) } };
    },
  },
  "wrong-range": {
    help: "10% of range responses are for the range 4096 bytes later, labelled as such",
    apply: () => ({ file: { faults: [{ kind: "wrong-range", shift: 4096, probability: 0.1 }] } }),
  },
  multipart: {
    help: "range requests are answered with multipart/byteranges",
    apply: () => ({ file: { faults: [{ kind: "multipart" }] } }),
  },
  chunked: {
    help: "bodies are chunked, without Content-Length",
    apply: () => ({ file: { chunked: true } }),
  },
};

export const USAGE = `usage: node dist/src/server/cli.js [options]

Serves one generated file at /file.bin, prints its URL and sha256, and runs until Ctrl-C.

  --size <SIZE>                 file size, K/M/G binary (default 256M)
  --rate-per-connection <SIZE>  bytes/s per connection, 0 = unthrottled (default 0)
  --latency <MS>                delay before each response's headers (default 0)
  --host <HOST>                 (default 127.0.0.1)
  --port <PORT>                 (default 0: any free port)
  --seed <TEXT>                 content and fault seed (default "parget")
  --scenario <NAME>             (default plain):
${Object.entries(SCENARIOS)
  .map(([name, s]) => `      ${name.padEnd(16)}${s.help}`)
  .join("\n")}
  --tls-key <FILE> --tls-cert <FILE>   serve HTTPS
  -h, --help
`;

export interface CliConfig {
  help: boolean;
  seed: string;
  size: number;
  scenario: string;
  options: ServerOptions;
  tlsFiles?: { key: string; cert: string };
}

function nonNegativeInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`${flag} must be a whole number, not "${text}"`);
  return n;
}

/** Parses argv into server options; throws an Error with a message for the user. */
export function parseServerArgs(argv: string[]): CliConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      size: { type: "string", default: "256M" },
      "rate-per-connection": { type: "string", default: "0" },
      latency: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      seed: { type: "string", default: "parget" },
      scenario: { type: "string", default: "plain" },
      "tls-key": { type: "string" },
      "tls-cert": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const scenario = SCENARIOS[values.scenario];
  if (!scenario) throw new Error(`unknown scenario "${values.scenario}"`);
  const size = parseSize(values.size);
  // parseSize rejects 0, which here means "unthrottled".
  const rateText = values["rate-per-connection"];
  const rate = rateText.trim() === "0" ? 0 : parseSize(rateText);
  const { file, server } = scenario.apply(size, rate);
  const config: CliConfig = {
    help: values.help,
    seed: values.seed,
    size,
    scenario: values.scenario,
    options: {
      host: values.host,
      port: nonNegativeInteger(values.port, "--port"),
      latencyMs: nonNegativeInteger(values.latency, "--latency"),
      ratePerConnection: rate,
      seed: values.seed,
      files: { "/file.bin": { ...file, content: { seed: values.seed, size } } },
      ...server,
    },
  };
  const key = values["tls-key"];
  const cert = values["tls-cert"];
  if ((key === undefined) !== (cert === undefined))
    throw new Error("--tls-key and --tls-cert go together");
  if (key !== undefined && cert !== undefined) config.tlsFiles = { key, cert };
  return config;
}
