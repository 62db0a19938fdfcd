import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Architecture invariants, enforced per folder (later blocks override earlier ones for their files).
const onlyTransportSpeaksHttp = { paths: ["undici"], patterns: ["undici/*"] };
// The transport: its interface, the undici transport, its response adapter and the modules it loads.
const transport = [
  "src/io/transport.ts",
  "src/io/undici-transport.ts",
  "src/io/response.ts",
  "src/io/undici.ts",
  "src/io/undici-modules.d.ts",
];
const io = [
  "node:fs",
  "node:fs/promises",
  // isIP is a pure function; sockets are not.
  { name: "node:net", allowImportNames: ["isIP"] },
  "node:tls",
  "node:http",
  "node:https",
  "node:worker_threads",
  "undici",
];

// What pure code may not import: I/O, and the rest of the machine.
const impure = [...io, "node:os", "node:readline", "node:readline/promises", "node:child_process"];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Only the transport speaks HTTP through undici.
    files: ["src/**/*.ts"],
    ignores: transport,
    rules: { "no-restricted-imports": ["error", onlyTransportSpeaksHttp] },
  },
  {
    // core/ makes decisions only: no sockets, files, threads or undici.
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: io, patterns: ["../io/*", "../download*", "../transfer*", "../cli/*"] },
      ],
    },
  },
  {
    // The CLI is a shell over the public API (the demo also starts parget's own server).
    files: ["src/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: ["undici"],
          patterns: ["../core/*", "../io/*", "../integrity/*", "../download*", "../transfer*"],
        },
      ],
    },
  },
  {
    // The bench's decisions (sweep plan, results, report, chart spec) are pure, like core/:
    // they read the public API's helpers, the shared measure/ and each other, and leave all I/O
    // to src/cli/bench*.ts.
    files: ["src/cli/bench/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: impure,
          patterns: [
            {
              regex: "^\\.\\./(?!\\.\\./(index\\.js|measure/[\\w-]+\\.js)$)",
              message:
                "pure: import ./ siblings, ../../index.js and ../../measure/ only; I/O goes in src/cli/bench*.ts",
            },
          ],
        },
      ],
    },
  },
  {
    // Statistics, tables and the SVG chart shared by `parget bench` and bench/: pure, and
    // standing alone (bench/ imports them too).
    files: ["src/measure/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: impure,
          patterns: [{ regex: "^\\.\\./", message: "measure/ stands alone: ./ siblings only" }],
        },
      ],
    },
  },
);
