// Bundles the CLI: loading undici's many modules one by one costs ~0.1 s per run, which is 10% of
// a one-second transfer. What a plain download never runs (the demo, `parget bench`, the daemon)
// is split into chunks of its own, loaded on demand, so a download neither compiles their code
// nor loads the Node modules they need (the HTTP server, child processes).
import { rm } from "node:fs/promises";
import { build } from "esbuild";

await rm("dist/chunks", { recursive: true, force: true });
await build({
  entryPoints: { parget: "src/cli/launch.ts" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
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
