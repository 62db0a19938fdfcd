import assert from "node:assert/strict";
import { test } from "node:test";
import { durationText, markdownTable, rateUnit, textTable } from "../../src/measure/table.js";

const K = 1024;
const M = 1024 * K;

test("text tables: columns padded to their widest cell, three spaces apart, no trailing spaces", () => {
  const table = textTable(
    [
      ["", "-k 1M", "dynamic"],
      ["-n 1", "7.9", "8.0"],
      ["-n 16", "120.5", "-"],
    ],
    ["l", "r", "r"],
  );
  assert.equal(
    table,
    ["        -k 1M   dynamic", "-n 1      7.9       8.0", "-n 16   120.5         -"].join("\n"),
  );
  assert.equal(textTable([["a", ""]]), "a", "a blank last column leaves no spaces");
});

test("markdown tables pad columns, align right, escape pipes, and fill short rows", () => {
  const table = markdownTable(["tool", "s"], [["a|b", "1.5"], ["c"]], ["l", "r"]);
  assert.equal(
    table,
    ["| tool |   s |", "| ---- | --: |", "| a\\|b | 1.5 |", "| c    |     |"].join("\n"),
  );
});

test("durations: seconds below a minute, then minutes and seconds, rounded to the step", () => {
  assert.equal(durationText(0.2), "1 s", "one step at least");
  assert.equal(durationText(59.4), "59 s");
  assert.equal(durationText(59.6), "1 min");
  assert.equal(durationText(125), "2 min 5 s");
  assert.equal(durationText(125, 10), "2 min 10 s");
});

test("one rate unit for a whole table or chart, chosen by its largest value", () => {
  assert.equal(rateUnit(500 * K).name, "KiB/s");
  assert.equal(rateUnit(M).name, "MiB/s");
  assert.equal(rateUnit(9 * 1024 * M).name, "MiB/s");
  assert.deepEqual(rateUnit(12 * 1024 * M), { name: "GiB/s", scale: 1024 * M });
});
