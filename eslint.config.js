import js from "@eslint/js";
import tseslint from "typescript-eslint";

const io = ["node:fs", "node:fs/promises", "node:net", "node:tls", "node:http", "node:https", "node:worker_threads", "undici"];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // Architecture invariant: core/ makes decisions only; it never touches sockets, files or undici.
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: io, patterns: ["../io/*", "../download*", "../cli/*"] }],
    },
  },
  {
    // Only the transport speaks HTTP through undici.
    files: ["src/**/*.ts"],
    ignores: ["src/io/transport.ts"],
    rules: { "no-restricted-imports": ["error", { paths: ["undici"] }] },
  },
  {
    // The CLI is a shell over the public API.
    files: ["src/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: ["undici"], patterns: ["../core/*", "../io/*", "../integrity/*", "../download*"] }],
    },
  },
);
