// Bundles the CLI into one file: loading undici's many modules one by one costs ~0.1 s per run,
// which is 10% of a one-second transfer.
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/parget.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // The native CRC32C addon picks its binary at run time.
  external: ["@node-rs/crc32"],
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __parget_createRequire } from "node:module";',
      "const require = __parget_createRequire(import.meta.url);",
    ].join("\n"),
  },
  logLevel: "warning",
});
