// Runs the compiled tests. Files are listed explicitly, because `node --test <dir>` can quietly
// run nothing, and a run that executes zero tests fails. Optional arguments filter by path.
// Measurements of the whole process (peak RSS) run last and alone: other test files running
// beside them would starve the process under test and inflate what is measured.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const ALONE = [join("e2e", "memory.test.js")];

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.js") ? [path] : [];
  });
}

/** Runs the files with node's test runner; resolves with its exit code and the tests it ran. */
function run(files, concurrency) {
  const child = spawn(
    process.execPath,
    ["--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  // The summary's count ("ℹ tests N") comes before the failures' details, which may be long.
  let text = "";
  let tests = 0;
  child.stdout.on("data", (chunk) => {
    process.stdout.write(chunk);
    text = (text + chunk.toString()).slice(-4096);
    const counted = /^ℹ tests (\d+)\n/m.exec(text);
    if (counted) {
      tests = Number(counted[1]);
      text = text.slice(counted.index + counted[0].length);
    }
  });
  return new Promise((resolve) => {
    child.on("close", (code) => {
      resolve({ code: code ?? 1, tests });
    });
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

const alone = files.filter((f) => ALONE.some((a) => f.endsWith(a)));
const together = files.filter((f) => !alone.includes(f));
const results = [];
if (together.length > 0) results.push(await run(together, 3));
if (alone.length > 0) results.push(await run(alone, 1));

const tests = results.reduce((sum, r) => sum + r.tests, 0);
if (tests === 0) {
  console.error("run-tests: the runner executed 0 tests");
  process.exit(1);
}
const failed = results.find((r) => r.code !== 0);
console.log(`run-tests: ${tests} tests in ${results.length} run(s)`);
process.exit(failed ? failed.code : 0);
