/**
 * The browser tests' pieces: `parget daemon` as a real process (so it can be SIGKILLed and
 * restarted on its port), Debian's chromium driven by playwright-core, and RPC calls from the
 * test itself, with the secret as a script sends it.
 */
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { spawnCli, stopProcess } from "../helpers/processes.js";
import { REPO_ROOT } from "../helpers/processes.js";

export const CHROMIUM = process.env.PARGET_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.join(REPO_ROOT, "docs", "screenshots");

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM });
}

export interface DaemonProcess {
  child: ChildProcess;
  port: number;
  secret: string;
  /** The URL the daemon printed: the page, with the secret in its fragment. */
  openUrl: string;
  base: string;
  root: string;
  stateDir: string;
  /** Starts the daemon again on the same port, root and state (after a kill). */
  restart(): Promise<void>;
  kill(): Promise<void>;
  rpc<T = unknown>(method: string, ...params: unknown[]): Promise<T>;
}

async function spawnDaemon(
  port: number,
  root: string,
  stateDir: string,
  extra: readonly string[],
): Promise<{ child: ChildProcess; port: number; secret: string }> {
  const child = spawnCli([
    "daemon",
    "--port",
    String(port),
    "-d",
    root,
    "--state-dir",
    stateDir,
    ...extra,
  ]);
  let out = "";
  const printed = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open http:\/\/127\.0\.0\.1:(\d+)\/#token=(\S+)\n/.exec(out);
      if (match) resolve(match);
    });
    child.once("exit", (code) => reject(new Error(`parget daemon exited (${code}): ${out}`)));
  });
  return { child, port: Number(printed[1]), secret: printed[2]! };
}

/** A daemon process owned by the test, in a fresh directory, stopped when the test ends. */
export async function startDaemonProcess(
  t: TestContext,
  extra: readonly string[] = [],
): Promise<DaemonProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "parget-ui-"));
  const root = path.join(dir, "root");
  const stateDir = path.join(dir, "state");
  await mkdir(root, { recursive: true });
  const first = await spawnDaemon(0, root, stateDir, extra);
  const d: DaemonProcess = {
    ...first,
    openUrl: `http://127.0.0.1:${first.port}/#token=${first.secret}`,
    base: `http://127.0.0.1:${first.port}`,
    root,
    stateDir,
    restart: async () => {
      d.child = (await spawnDaemon(d.port, root, stateDir, extra)).child;
    },
    kill: async () => {
      const exited = new Promise((resolve) => d.child.once("exit", resolve));
      d.child.kill("SIGKILL");
      await exited;
    },
    rpc: async <T>(method: string, ...params: unknown[]): Promise<T> => {
      const response = await fetch(`${d.base}/jsonrpc`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${d.secret}` },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      const answer = (await response.json()) as { result?: T; error?: { message: string } };
      if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
      return answer.result as T;
    },
  };
  t.after(async () => {
    await stopProcess(d.child);
    await rm(dir, { recursive: true, force: true });
  });
  return d;
}

/** A page logged in through the printed URL, closed when the test ends. */
export async function openPage(
  t: TestContext,
  browser: Browser,
  d: DaemonProcess,
  options: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {},
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? "light",
  });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  (page as Page & { problems?: string[] }).problems = problems;
  await page.goto(d.openUrl);
  await page.locator('#connection:text-is("connected")').waitFor();
  return page;
}

/** The row of the download `gid` in the list. */
export const row = (page: Page, gid: string) => page.locator(`li.download[data-gid="${gid}"]`);
