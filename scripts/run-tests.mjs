// Runs the compiled tests. Files are listed explicitly, because `node --test <dir>` can quietly
// run nothing, and a run that executes zero tests fails. Optional arguments filter by path.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.js") ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = testFiles("dist/test")
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files found under dist/test (did the build run?)");
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ["--test", "--test-concurrency=3", "--test-reporter=spec", ...files],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let tail = "";
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on("close", (code) => {
  const count = Number(/tests (\d+)/.exec(tail)?.[1] ?? 0);
  if (count === 0) {
    console.error("run-tests: the runner executed 0 tests");
    process.exit(1);
  }
  process.exit(code ?? 1);
});
