// Builds the web interface into dist/www/: one script and one stylesheet, named by content hash
// (the daemon serves them as immutable), and the page naming them. Everything is bundled here,
// nothing is fetched at run time: the page's Content-Security-Policy is `default-src 'self'`.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";

const out = "dist/www";
await rm(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: "ui/src/main.ts" },
  outdir: `${out}/assets`,
  entryNames: "[name]-[hash]",
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome111", "firefox115", "safari16"],
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
});
const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((p) => p.endsWith(".js"));
const style = outputs.find((p) => p.endsWith(".css"));
if (!script || !style) throw new Error("build-ui: the bundle lacks its script or stylesheet");
const iconSvg = await readFile("ui/icon.svg");
const icon = `icon-${createHash("sha256").update(iconSvg).digest("hex").slice(0, 8)}.svg`;
await writeFile(`${out}/assets/${icon}`, iconSvg);
const page = (await readFile("ui/index.html", "utf8"))
  .replace("/assets/STYLE", `/assets/${style}`)
  .replace("/assets/SCRIPT", `/assets/${script}`)
  .replace("/assets/ICON", `/assets/${icon}`);
await writeFile(`${out}/index.html`, page);
