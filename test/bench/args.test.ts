import { test } from "node:test";
import assert from "node:assert/strict";
import { ArgsError, describeArgs, parseBenchArgs } from "../../bench/core/args.js";
import { SCENARIO_IDS, TOOL_IDS } from "../../bench/core/types.js";

test("bench args default to every scenario and tool, full mode", () => {
  const args = parseBenchArgs([]);
  assert.equal(args.quick, false);
  assert.deepEqual(args.scenarios, [...SCENARIO_IDS]);
  assert.deepEqual(args.tools, [...TOOL_IDS]);
  assert.equal(args.report, "docs/benchmarks.md");
  assert.equal(describeArgs(args), "npm run bench:peers");
});

test("bench args select scenarios and tools, in canonical order, with or without =", () => {
  const args = parseBenchArgs(["--quick", "--only", "uneven,paced", "--tools=aria2c,parget"]);
  assert.equal(args.quick, true);
  assert.deepEqual(args.scenarios, ["paced", "uneven"]);
  assert.deepEqual(args.tools, ["parget", "aria2c"]);
  assert.equal(
    describeArgs(args),
    "npm run bench:peers -- --quick --only paced,uneven --tools parget,aria2c",
  );
  assert.equal(parseBenchArgs(["--repeats", "5"]).repeats, 5);
});

test("bench args reject what they do not know", () => {
  const cases: [string[], RegExp][] = [
    [["--only", "fast"], /unknown scenario "fast"/],
    [["--tools", "parget,lftp"], /unknown tool "lftp"/],
    [["--only", ","], /--only needs at least one scenario/],
    [["--repeats", "0"], /--repeats/],
    [["--repeats", "2.5"], /--repeats/],
    [["--repeats"], /--repeats needs a value/],
    [["--quick=yes"], /takes no value/],
    [["--quick", "--long"], /exclude each other/],
    [["--fast"], /unknown argument "--fast"/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseBenchArgs(argv),
      (e: unknown) => {
        assert.ok(e instanceof ArgsError, argv.join(" "));
        assert.match(e.message, message);
        return true;
      },
    );
  }
});
