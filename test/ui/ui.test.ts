/**
 * The web interface in a real browser (Debian's chromium, driven by playwright-core) against a
 * real `parget daemon` process and parget's throttled range server, all on loopback. Every wait
 * is on the page's state (an attribute, a text, a count), never on time.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { digestOfContent } from "../../src/server/index.js";
import { pollUntil } from "../helpers/processes.js";
import { serve } from "../helpers/server.js";
import { SCREENSHOTS, launchBrowser, openPage, row, startDaemonProcess } from "./support.js";

// The page's globals, for the functions run inside it (the project compiles without the DOM lib).
interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
  value?: string;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  documentElement: { scrollWidth: number };
  cookie: string;
};

const KiB = 1024;
const MiB = 1024 * KiB;

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const small = randomBytes(MiB);
const smallSha = createHash("sha256").update(small).digest("hex");

/** The gid of the row whose name is `name`, once it is in the list. */
async function gidOf(page: Page, name: string): Promise<string> {
  const button = page.locator("li.download .name button", { hasText: name }).first();
  await button.waitFor();
  return (await button.locator("xpath=ancestor::li[1]").getAttribute("data-gid"))!;
}

async function addThroughForm(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await page.fill(`#add-${name}`, value);
  await page.click('form.add button[type="submit"]');
}

const valueNow = (page: Page, gid: string) =>
  row(page, gid).locator('[role="progressbar"]').getAttribute("aria-valuenow").then(Number);

test("logs in from the printed URL, keeps the secret in an HttpOnly cookie only, logs out", async (t) => {
  const d = await startDaemonProcess(t);
  const urls: string[] = [];
  const page = await openPage(t, browser, d);
  page.on("request", (r) => urls.push(r.url()));
  assert.equal(new URL(page.url()).hash, "", "the fragment is gone from the address bar");
  const cookies = await page.context().cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0]!.httpOnly, true);
  assert.equal(cookies[0]!.sameSite, "Strict");
  assert.notEqual(cookies[0]!.value, d.secret);
  assert.equal(await page.evaluate(() => document.cookie), "", "scripts cannot read it");

  // The page's headers: only its own files, never framed, cached by content hash.
  const home = await fetch(`${d.base}/`);
  assert.match(home.headers.get("content-security-policy")!, /default-src 'self'/);
  assert.match(home.headers.get("content-security-policy")!, /frame-ancestors 'none'/);
  assert.equal(home.headers.get("x-content-type-options"), "nosniff");
  assert.equal(home.headers.get("cache-control"), "no-cache");
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(await home.text())![1]!;
  const asset = await fetch(`${d.base}${script}`);
  assert.match(asset.headers.get("cache-control")!, /immutable/);
  assert.equal(asset.headers.get("content-type"), "text/javascript; charset=utf-8");

  await page.click("text=Log out");
  await page.locator("#secret").waitFor();
  await page.reload();
  await page.locator("#secret").waitFor();
  await page.fill("#secret", "not-the-secret");
  await page.click('button:text("Log in")');
  await page.locator("#secret-error", { hasText: "not the daemon's secret" }).waitFor();
  await page.fill("#secret", d.secret);
  await page.click('button:text("Log in")');
  await page.locator('#connection:text-is("connected")').waitFor();
  assert.ok(
    urls.every((u) => !u.includes(d.secret)),
    "the secret is never in a URL the page requests",
  );
});

test("adds a download, watches progress, the chart and the range map move; pauses and resumes", async (t) => {
  const server = await serve(t, {
    files: { "/big.bin": { content: { seed: "big", size: 64 * MiB } } },
    ratePerConnection: 256 * KiB,
  });
  const d = await startDaemonProcess(t);
  const page = await openPage(t, browser, d);
  await addThroughForm(page, { uris: server.url("/big.bin"), split: "4" });
  const gid = await gidOf(page, "big.bin");
  await row(page, gid).locator('[data-status="active"], .badge.active').first().waitFor();
  await page.waitForFunction(
    (g) =>
      Number(
        document
          .querySelector(`li[data-gid="${g}"] [role=progressbar]`)
          ?.getAttribute("aria-valuenow"),
      ) >= 1,
    gid,
  );
  const before = await valueNow(page, gid);
  await page.waitForFunction(
    ([g, v]) =>
      Number(
        document
          .querySelector(`li[data-gid="${g}"] [role=progressbar]`)
          ?.getAttribute("aria-valuenow"),
      ) > Number(v),
    [gid, before] as const,
  );
  // The chart gathers a sample each second and draws it.
  await page.waitForFunction(
    () => Number(document.querySelector(".chart")?.getAttribute("data-samples")) >= 3,
  );
  assert.equal(await page.locator(".chart canvas").count(), 1);

  // The range map: each connection's range, drawn and listed.
  await row(page, gid).locator('button[data-action="details"]').click();
  await page.waitForFunction(
    () => Number(document.querySelector(".rangemap")?.getAttribute("data-lanes")) >= 2,
  );
  const lanes = await page.locator(".lanes tbody tr").count();
  assert.ok(lanes >= 2, `${lanes} connections listed`);
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".lanes tbody tr td:nth-child(4)")].some(
      (td) => !td.textContent!.startsWith("0 B"),
    ),
  );

  await row(page, gid).locator('button[data-action="pause"]').click();
  await page.locator(`li[data-gid="${gid}"][data-status="paused"]`).waitFor();
  assert.equal((await d.rpc<{ status: string }>("aria2.tellStatus", gid)).status, "paused");
  await row(page, gid).locator('button[data-action="resume"]').click();
  await page.locator(`li[data-gid="${gid}"][data-status="active"]`).waitFor();
  assert.deepEqual((page as Page & { problems?: string[] }).problems, []);
});

test("a checksum mismatch shows the expected and actual digests; a match shows verified", async (t) => {
  const server = await serve(t, {
    files: { "/a.bin": { content: small }, "/b.bin": { content: small } },
  });
  const d = await startDaemonProcess(t);
  const page = await openPage(t, browser, d);
  const wrong = "0".repeat(64);
  await addThroughForm(page, {
    uris: `${server.url("/a.bin")} checksum=sha-256=${wrong}\n${server.url("/b.bin")} checksum=sha-256=${smallSha}`,
  });
  const bad = await gidOf(page, "a.bin");
  const good = await gidOf(page, "b.bin");
  await page.locator(`li[data-gid="${bad}"][data-status="error"]`).waitFor();
  await page.locator(`li[data-gid="${good}"][data-status="complete"]`).waitFor();
  await row(page, good).locator(".ok", { hasText: "verified: sha256 (user)" }).waitFor();
  await row(page, bad).locator('button[data-action="details"]').click();
  const digests = page.locator('table.digests[data-status="mismatch"]');
  await digests.waitFor();
  assert.match(await digests.innerText(), new RegExp(wrong));
  assert.match(await digests.innerText(), new RegExp(smallSha));
  // aria2's error code for a checksum failure; the CLI exits 6 for the same.
  assert.match(await page.locator('[data-field="error"]').innerText(), /code 32/);

  // Retry: the same URL and options as a new download (which fails the same way), the old
  // result cleared.
  await row(page, bad).locator('button[data-action="retry"]').click();
  await row(page, bad).waitFor({ state: "detached" });
  const again = await gidOf(page, "a.bin");
  assert.notEqual(again, bad);
  await page.locator(`li[data-gid="${again}"][data-status="error"]`).waitFor();
  const options = await d.rpc<Record<string, string>>("aria2.getOption", again);
  assert.equal(options.checksum, `sha-256=${wrong}`);
});

test("bad input is reported at the field it concerns, by the page and by the daemon", async (t) => {
  const server = await serve(t, { files: { "/a.bin": { content: small } } });
  const d = await startDaemonProcess(t);
  const page = await openPage(t, browser, d);
  await page.click('form.add button[type="submit"]');
  await page.locator("#add-uris-error", { hasText: "at least one" }).waitFor();
  await addThroughForm(page, {
    uris: server.url("/a.bin"),
    checksum: "nope",
    split: "0",
    header: "no colon",
  });
  await page.locator("#add-checksum-error", { hasText: "ALGORITHM=HEX" }).waitFor();
  await page.locator("#add-split-error", { hasText: "1 to 64" }).waitFor();
  await page.locator("#add-header-error", { hasText: "Name: value" }).waitFor();
  assert.equal(await page.getAttribute("#add-checksum", "aria-invalid"), "true");
  await addThroughForm(page, { checksum: "", split: "", header: "", dir: "../outside" });
  await page.locator("#add-dir-error", { hasText: "inside the download directory" }).waitFor();
  await addThroughForm(page, { dir: "", out: "../x" });
  await page.locator("#add-out-error", { hasText: "without a directory" }).waitFor();
  assert.equal(await page.locator("li.download").count(), 0, "nothing was added");
});

test("reorders the waiting queue and removes downloads", async (t) => {
  const server = await serve(t, {
    files: {
      "/run.bin": { content: { seed: "run", size: 64 * MiB } },
      "/q1.bin": { content: small },
      "/q2.bin": { content: small },
      "/q3.bin": { content: small },
    },
    ratePerConnection: 64 * KiB,
  });
  const d = await startDaemonProcess(t, ["-j", "1"]);
  const page = await openPage(t, browser, d);
  await addThroughForm(page, {
    uris: ["run", "q1", "q2", "q3"].map((n) => server.url(`/${n}.bin`)).join("\n"),
  });
  const run = await gidOf(page, "run.bin");
  const [q1, q2, q3] = [
    await gidOf(page, "q1.bin"),
    await gidOf(page, "q2.bin"),
    await gidOf(page, "q3.bin"),
  ];
  await page.locator(`li[data-gid="${run}"][data-status="active"]`).waitFor();
  await row(page, q3).locator('button[data-action="up"]').click();
  const order = (): Promise<string[]> =>
    page
      .locator('li.download[data-status="waiting"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-gid")!));
  await page.waitForFunction(
    ([a, b]) => {
      const rows = [...document.querySelectorAll('li.download[data-status="waiting"]')].map((r) =>
        r.getAttribute("data-gid"),
      );
      return rows.indexOf(b!) < rows.indexOf(a!);
    },
    [q2, q3] as const,
  );
  assert.deepEqual(await order(), [q1, q3, q2]);
  const waiting = await d.rpc<{ gid: string }[]>("aria2.tellWaiting", 0, 10, ["gid"]);
  assert.deepEqual(
    waiting.map((w) => w.gid),
    [q1, q3, q2],
    "the daemon's queue is the page's",
  );
  // Remove asks whether the data goes too; Escape or Cancel changes nothing.
  await row(page, q2).locator('button[data-action="remove"]').click();
  await row(page, q2).locator('.confirm button[data-choice="keep"]:focus').waitFor();
  await page.keyboard.press("Escape");
  await row(page, q2).locator(".confirm").waitFor({ state: "detached" });
  assert.equal(await row(page, q2).getAttribute("data-status"), "waiting");
  // Removed keeping its file: the partial data stays for a rerun.
  await row(page, run).locator('button[data-action="remove"]').click();
  await row(page, run).locator('.confirm button[data-choice="keep"]').click();
  await page.locator(`li[data-gid="${run}"][data-status="removed"]`).waitFor();
  assert.ok((await readdir(d.root)).includes("run.bin.parget"), "the partial data is kept");
  // Cleared deleting it: the partial data, state and journal go.
  await row(page, run).locator('button[data-action="forget"]').click();
  await row(page, run).locator('.confirm button[data-choice="delete"]').click();
  await row(page, run).waitFor({ state: "detached" });
  assert.deepEqual(
    (await readdir(d.root)).filter((f) => f.startsWith("run.bin")),
    [],
    "nothing left of run.bin",
  );
});

test("changes the speed limits while a download runs", async (t) => {
  const server = await serve(t, {
    files: { "/big.bin": { content: { seed: "big", size: 256 * MiB } } },
    ratePerConnection: 4 * MiB,
  });
  const d = await startDaemonProcess(t);
  const page = await openPage(t, browser, d);
  await addThroughForm(page, { uris: server.url("/big.bin") });
  const gid = await gidOf(page, "big.bin");
  await page.locator(`li[data-gid="${gid}"][data-status="active"]`).waitFor();
  await page.fill("#concurrency", "3");
  await page.click('section[aria-labelledby="limits-title"] button[type="submit"]');
  await page.waitForFunction(() => document.querySelector("#concurrency")?.value === "3");
  const global = await d.rpc<Record<string, string>>("aria2.getGlobalOption");
  assert.equal(global["max-concurrent-downloads"], "3");

  await row(page, gid).locator('button[data-action="details"]').click();
  await page.fill("#dl-limit", "512K");
  await page.click('form.inline button[type="submit"]');
  // The speed the page shows follows the limit down (the smoothed estimate needs a few ticks).
  await page.waitForFunction(
    (g) => {
      const text =
        document.querySelector(`li[data-gid="${g}"] [data-field="speed"]`)?.textContent ?? "";
      const m = /([\d.]+) (B|KiB|MiB)/.exec(text);
      if (!m) return false;
      const bytes = Number(m[1]) * { B: 1, KiB: 1024, MiB: 1048576 }[m[2] as "B"];
      return bytes > 0 && bytes <= 512 * 1024 * 1.1;
    },
    gid,
    { timeout: 30_000 },
  );
});

test("the page survives a SIGKILL and restart of the daemon, and says so", async (t) => {
  const server = await serve(t, {
    files: { "/big.bin": { content: { seed: "big", size: 64 * MiB } } },
    ratePerConnection: 128 * KiB,
  });
  const d = await startDaemonProcess(t);
  const page = await openPage(t, browser, d);
  await addThroughForm(page, { uris: server.url("/big.bin") });
  const gid = await gidOf(page, "big.bin");
  await page.locator(`li[data-gid="${gid}"][data-status="active"]`).waitFor();
  await d.kill();
  await page.locator('.app[data-connection="closed"]').waitFor();
  await d.restart();
  await page.locator('.app[data-connection="open"]').waitFor();
  await page.locator("#notice", { hasText: "daemon restarted" }).waitFor();
  await page.locator(`li[data-gid="${gid}"][data-status="active"]`).waitFor();
  // Still usable: pause through the new daemon.
  await row(page, gid).locator('button[data-action="pause"]').click();
  await page.locator(`li[data-gid="${gid}"][data-status="paused"]`).waitFor();
});

test("a thousand entries: filters, search and sort stay usable", async (t) => {
  const server = await serve(t, {
    files: { "/run.bin": { content: { seed: "run", size: 64 * MiB } } },
    ratePerConnection: 64 * KiB,
  });
  const d = await startDaemonProcess(t, ["-j", "1"]);
  await d.rpc("aria2.addUri", [server.url("/run.bin")]);
  const batch = Array.from({ length: 999 }, (_, i) => ({
    jsonrpc: "2.0",
    id: i,
    method: "aria2.addUri",
    params: [`token:${d.secret}`, [server.url(`/file-${String(i).padStart(4, "0")}.bin`)]],
  }));
  const added = await fetch(`${d.base}/jsonrpc`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(batch),
  });
  assert.equal(((await added.json()) as unknown[]).length, 999);
  const page = await openPage(t, browser, d);
  await page.locator("#list-count", { hasText: "1000 shown of 1000" }).waitFor();
  assert.equal(await page.locator("li.download").count(), 100, "rows are drawn a page at a time");
  await page.click('button[data-filter="waiting"]');
  await page.locator("#list-count", { hasText: "999 shown of 1000" }).waitFor();
  await page.fill('input[type="search"]', "file-0777");
  await page.locator("#list-count", { hasText: "1 shown of 1000" }).waitFor();
  await page.fill('input[type="search"]', "");
  await page.selectOption("select", "name");
  await page.click('button[aria-label="Descending order"]');
  await page
    .locator("li.download .name button")
    .first()
    .filter({ hasText: "file-0998.bin" })
    .waitFor();
});

test("at 360 px every action is reachable; screenshots of the main views", async (t) => {
  const server = await serve(t, {
    files: {
      "/ubuntu-24.04-desktop-amd64.iso": { content: { seed: "iso", size: 96 * MiB } },
      "/dataset.tar.zst": { content: small },
      "/firmware.bin": { content: small },
      "/notes.pdf": { content: small },
      "/video.mkv": { content: { seed: "v", size: 32 * MiB } },
    },
    rates: [512 * KiB, 96 * KiB, 512 * KiB, 384 * KiB],
  });
  const d = await startDaemonProcess(t, ["-j", "1"]);
  await d.rpc("aria2.addUri", [server.url("/dataset.tar.zst")], {
    checksum: `sha-256=${smallSha}`,
  });
  await d.rpc("aria2.addUri", [server.url("/firmware.bin")], {
    checksum: `sha-256=${"ab".repeat(32)}`,
  });
  const phone = await openPage(t, browser, d, { width: 360, height: 740 });
  await phone.locator('li.download[data-status="error"]').waitFor();
  await phone.locator('li.download[data-status="complete"]').waitFor();
  // With its SHA-256, so the range map shows the prefix hashed in order.
  const isoSha = await digestOfContent("iso", 96 * MiB, "sha256");
  const iso = await d.rpc<string>("aria2.addUri", [server.url("/ubuntu-24.04-desktop-amd64.iso")], {
    split: "6",
    checksum: `sha-256=${isoSha}`,
  });
  await d.rpc("aria2.addUri", [server.url("/video.mkv")]);
  await d.rpc("aria2.addUri", [server.url("/notes.pdf")]);
  await phone.locator(`li[data-gid="${iso}"][data-status="active"]`).waitFor();
  await phone.locator('li.download[data-status="waiting"]').nth(1).waitFor();

  // Nothing sticks out sideways, and every button lies within the screen.
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  const wide = await phone.locator("body *").evaluateAll((els) =>
    els
      .filter((e) => e.getBoundingClientRect().right > 360)
      .slice(0, 5)
      .map((e) => `${e.tagName}.${e.className}`),
  );
  assert.ok(width <= 360, `the page is ${width} px wide: ${wide.join(", ")}`);
  const outside = await phone
    .locator("button, input, select, textarea")
    .evaluateAll(
      (els) =>
        els
          .map((e) => e.getBoundingClientRect())
          .filter((r) => r.width > 0 && (r.left < 0 || r.right > 360)).length,
    );
  assert.equal(outside, 0);
  // The question a remove asks fits too, and is answered by keyboard (Escape: nothing changes).
  const activeRow = phone.locator(`li[data-gid="${iso}"]`);
  await activeRow.locator('button[data-action="remove"]').click();
  const choices = await activeRow
    .locator(".confirm button")
    .evaluateAll((els) =>
      els.map((e) => e.getBoundingClientRect()).filter((r) => r.left >= 0 && r.right <= 360),
    );
  assert.equal(choices.length, 3, "keep, delete and cancel are on the screen");
  assert.ok((await phone.evaluate(() => document.documentElement.scrollWidth)) <= 360);
  await activeRow.locator('.confirm button[data-choice="keep"]:focus').waitFor();
  await phone.keyboard.press("Escape");
  await activeRow.locator(".confirm").waitFor({ state: "detached" });
  await activeRow.locator('button[data-action="remove"]:focus').waitFor();
  // Actions by keyboard: focus the pause button and press Enter.
  const waitingRow = phone.locator('li.download[data-status="waiting"]').last();
  const waitingGid = (await waitingRow.getAttribute("data-gid"))!;
  await waitingRow.locator('button[data-action="pause"]').focus();
  await phone.keyboard.press("Enter");
  await phone.locator(`li[data-gid="${waitingGid}"][data-status="paused"]`).waitFor();

  await mkdir(SCREENSHOTS, { recursive: true });
  const shoot = async (page: Page, name: string): Promise<void> => {
    await row(page, iso).locator('button[data-action="details"]').click();
    await page.waitForFunction(
      () => Number(document.querySelector(".rangemap")?.getAttribute("data-lanes")) >= 3,
    );
    await page.waitForFunction(
      () => Number(document.querySelector(".chart")?.getAttribute("data-samples")) >= 6,
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  await shoot(phone, "phone-light");
  // The range map and its table stay within the screen too (the table scrolls inside its box).
  assert.ok((await phone.evaluate(() => document.documentElement.scrollWidth)) <= 360);
  for (const scheme of ["light", "dark"] as const) {
    const desktop = await openPage(t, browser, d, { colorScheme: scheme });
    await shoot(desktop, `desktop-${scheme}`);
  }
  const darkPhone = await openPage(t, browser, d, { width: 360, height: 740, colorScheme: "dark" });
  await shoot(darkPhone, "phone-dark");
});

test("the range map: written spans, the hashed prefix, a slow connection and the steal that relieves it", async (t) => {
  // Every other connection crawls: the fast one takes the slow one's unfetched tail, again and
  // again, so a stolen range is on the map for seconds at a time.
  const size = 8 * MiB;
  const server = await serve(t, {
    files: { "/uneven.bin": { content: { seed: "uneven", size } } },
    rates: [512 * KiB, 16 * KiB],
  });
  const sha = await digestOfContent("uneven", size, "sha256");
  const d = await startDaemonProcess(t);
  const page = await openPage(t, browser, d);
  await addThroughForm(page, {
    uris: server.url("/uneven.bin"),
    split: "2",
    checksum: `sha-256=${sha}`,
  });
  const gid = await gidOf(page, "uneven.bin");
  await page.locator(`li[data-gid="${gid}"][data-status="active"]`).waitFor();
  await row(page, gid).locator('button[data-action="details"]').click();

  // What the page draws, a script reads: the daemon says it first.
  interface WireMap {
    written: [string, string][];
    hashedLength: string | null;
    connections: { origin: string; originAt: string | null; range: [string, string] | null }[];
  }
  let seen: WireMap | undefined;
  await pollUntil(async () => {
    const m = await d.rpc<WireMap>("parget.tellRangeMap", gid);
    const taken = m.connections.find((c) => c.origin !== "plan");
    if (taken) seen = m;
    return taken !== undefined && m.written.length > 0 && Number(m.hashedLength) > 0;
  }, "a stolen or raced range, written spans and a hashed prefix over RPC");
  const taken = seen!.connections.find((c) => c.origin !== "plan")!;
  assert.ok(taken.originAt !== null && taken.range !== null);
  assert.ok(Number(taken.originAt) >= Number(taken.range[0]));

  await page.locator(".lanes tr.slow").first().waitFor();
  await page.locator(".rangemap .rm-written").first().waitFor();
  await page.locator(".rangemap .rm-hashed").waitFor();
  await page.locator(".rangemap .rm-origin").first().waitFor();
  await page
    .locator('.lanes tr[data-origin="steal"], .lanes tr[data-origin="race"]')
    .first()
    .waitFor();
  assert.match(
    (await page.locator(".rangemap svg").getAttribute("aria-label"))!,
    /written; the first .* hashed in order; 2 connections at work, [12] on a stolen or raced range/,
  );
  await mkdir(SCREENSHOTS, { recursive: true });
  await page
    .locator("section.details")
    .screenshot({ path: path.join(SCREENSHOTS, "range-map-steal.png") });
});
