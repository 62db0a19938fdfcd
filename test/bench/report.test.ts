import { test } from "node:test";
import assert from "node:assert/strict";
import { chartSpec } from "../../bench/core/chart.js";
import { planCases } from "../../bench/core/plan.js";
import { renderReport, type Report } from "../../bench/core/report.js";
import { summariseCase } from "../../bench/core/stats.js";
import { nginxConfig } from "../../bench/core/configs.js";
import {
  commandLine,
  commandTemplate,
  shellQuote,
  toolById,
  TOOLS,
} from "../../bench/core/tools.js";

test("command templates: the same URL, output and connection count for every tool", () => {
  for (const tool of TOOLS) {
    const line = commandTemplate(tool);
    assert.match(line, /\$BASE/, tool.id);
    assert.match(line, /\$NAME/, tool.id);
    // parget-auto is parget left to choose its own connection count.
    if (tool.id === "parget-auto") assert.doesNotMatch(line, /\$N\b/);
    else if (tool.parallel || tool.id === "wget2") assert.match(line, /\$N\b/, tool.id);
  }
  assert.equal(
    commandTemplate(toolById("aria2c"), true),
    "aria2c --no-conf -q -x $N -s $N -k 1M -d $DIR -o $NAME --allow-overwrite=true " +
      "--auto-file-renaming=false --checksum=sha-256=$SHA256 $BASE$NAME",
  );
  assert.match(commandTemplate(toolById("parget"), true), /--checksum sha256=\$SHA256$/);
  assert.match(
    commandTemplate(toolById("rclone")),
    /copyto --http-url \$BASE :http:\$NAME \$DIR\/\$NAME --multi-thread-streams \$N --multi-thread-cutoff 1M/,
  );
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
});

test("over HTTPS every tool is told not to check the throwaway certificate; over HTTP none", () => {
  const env = { node: "node", pargetCli: "parget.mjs", rcloneConfig: "empty" };
  const target = { base: "", name: "f", dir: "d", out: "d/f", n: "4" };
  for (const tool of TOOLS) {
    const https = { ...target, url: "https://127.0.0.1/f" };
    const plain = commandLine(tool, { ...target, url: "http://127.0.0.1/f" }, env);
    assert.ok(tool.insecure.length > 0, tool.id);
    assert.deepEqual(commandLine(tool, https, env), [
      ...tool.command(https, env),
      ...tool.insecure,
    ]);
    assert.ok(!plain.some((w) => tool.insecure.includes(w)), tool.id);
  }
});

test("nginx serves HTTPS only on the listeners that ask, with the certificate given", () => {
  const config = nginxConfig({
    dir: "/x",
    root: "/files",
    listeners: [
      { name: "plain", rate: 0 },
      { name: "tls", rate: 0, tls: true },
    ],
    certificate: { cert: "/x/cert.pem", key: "/x/key.pem" },
  });
  assert.match(config, /listen 127\.0\.0\.1:@PORT_plain@;/);
  assert.match(
    config,
    /listen 127\.0\.0\.1:@PORT_tls@ ssl;\n.*\n {4}ssl_certificate \/x\/cert\.pem;/,
  );
  assert.equal(config.match(/ssl_certificate /g)?.length, 1);
  assert.throws(
    () => nginxConfig({ dir: "/x", root: "/f", listeners: [{ name: "t", rate: 0, tls: true }] }),
    /needs a certificate/,
  );
});

function sampleReport(): Report {
  const cases = planCases({
    quick: true,
    long: false,
    scenarios: ["unthrottled", "bottleneck"],
    tools: ["parget", "aria2c", "curl"],
  });
  const summaries = cases.map((c) =>
    c.scenario === "bottleneck"
      ? summariseCase(c, [], "ip netns add failed: Operation not permitted")
      : summariseCase(
          c,
          c.tools.map((tool, i) => ({ tool, repeat: 0, ok: true, wallSeconds: 1 + i })),
        ),
  );
  return {
    command: "npm run bench:peers -- --quick",
    mode: "quick",
    startedAt: "2026-01-02T03:04:05.000Z",
    durationSeconds: 125,
    machine: {
      cpu: "Test CPU",
      cores: 2,
      memory: "1.0 GiB",
      kernel: "Linux 6",
      node: "v20",
      load: "0.00, 0.00, 0.00",
      outputDir: "/tmp/out",
      outputFs: "ext4",
      tmpfsDir: "/dev/shm/out",
      serverRoot: "/dev/shm/files",
      serverRootFs: "tmpfs",
    },
    versions: { aria2c: "aria2 version 1.36.0" },
    tools: ["parget", "aria2c", "curl"],
    skipped: ["axel: `axel` is not installed"],
    summaries,
    chart: "benchmarks-peers.svg",
  };
}

test("the report has the machine, the summary, a table per case, commands and skips", () => {
  const md = renderReport(sampleReport());
  assert.match(md, /in 2 min 5 s/);
  assert.match(md, /\| CPU \| Test CPU, 2 cores \|/);
  assert.match(md, /\| downloads written to \| \/tmp\/out \(ext4\) \|/);
  assert.match(md, /!\[.*\]\(benchmarks-peers\.svg\)/);
  assert.match(md, /### 128 MiB, 16 connections, nginx, output on ext4 \(the disk\)/);
  assert.match(md, /### 128 MiB, 16 connections, nginx, output on tmpfs/);
  assert.match(md, /\| \*\*parget\*\* \|\s+1\.00 \| 128\.0 \|\s+100% \|/);
  assert.match(md, /Skipped: ip netns add failed/);
  assert.match(md, /- Skipped: axel: `axel` is not installed/);
  assert.match(md, /^aria2c {7}aria2c --no-conf/m);
  // parget took 1 s, aria2c 2 s: twice as fast.
  assert.match(md, /\| unthrottled 128 MiB, n=16, disk .*\| +2\.00x \| +2\.00x \|/);
});

test("the chart: a series of unjoined points per tool, a category per case that ran", () => {
  const spec = chartSpec(sampleReport().summaries);
  assert.ok(spec);
  assert.deepEqual(
    spec.series.map((s) => [s.name, s.line]),
    [
      ["parget", false],
      ["aria2c", false],
      ["curl", false],
    ],
  );
  assert.deepEqual(spec.categories, [
    "unthrottled 128 MiB, n=16, disk",
    "unthrottled 128 MiB, n=16, tmpfs",
    "unthrottled 128 MiB, n=16, tmpfs, https",
  ]);
  assert.deepEqual(spec.series[0]?.points, [
    { value: 100, min: 100, max: 100 },
    { value: 100, min: 100, max: 100 },
    { value: 100, min: 100, max: 100 },
  ]);
  assert.match(spec.yTitle, /\(%\)$/);
  assert.equal(chartSpec([]), undefined);
});
