/**
 * The daemon's security decisions, pure so each is tested with a table: which Host and Origin
 * headers may reach the RPC, which bodies are JSON, how long a failed secret waits, and where a
 * download from RPC may save (lexically; the daemon adds realpath).
 */
import { isIP } from "node:net";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { UsageError } from "../errors.js";
import { relativePath } from "./input-file.js";

/** The name in a Host header (or a URL's host), lower-cased, without port or brackets. */
export function hostName(host: string): string | undefined {
  const text = host.trim().toLowerCase();
  if (text === "") return undefined;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) return undefined;
    const rest = text.slice(end + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined;
    return text.slice(1, end);
  }
  const colon = text.lastIndexOf(":");
  if (colon >= 0) {
    // An IPv6 address without brackets has no port.
    if (text.indexOf(":") !== colon) return isIP(text) === 6 ? text : undefined;
    if (!/^\d{1,5}$/.test(text.slice(colon + 1))) return undefined;
    return text.slice(0, colon);
  }
  return text;
}

/** localhost, 127.0.0.0/8 and ::1: names that only ever reach this machine. */
export function isLoopbackName(name: string): boolean {
  if (name === "localhost" || name === "::1") return true;
  return isIP(name) === 4 && name.startsWith("127.");
}

/** Whether the address the daemon listens on is loopback only. */
export function isLoopbackAddress(address: string): boolean {
  return isLoopbackName(address.toLowerCase().replace(/^\[|\]$/g, ""));
}

/**
 * The Host allowlist: loopback names, and the names the user configured. Any other Host is a
 * browser that resolved a foreign name to this machine (DNS rebinding): answered with 421.
 */
export function hostAllowed(host: string | undefined, extra: readonly string[]): boolean {
  if (host === undefined) return false;
  const name = hostName(host);
  if (name === undefined) return false;
  return isLoopbackName(name) || extra.some((e) => e.toLowerCase() === name);
}

export interface OriginPolicy {
  /** The daemon's own port: a page it serves (or a same-origin UI) comes from it. */
  port: number;
  /** Host names configured besides the loopback ones. */
  hosts: readonly string[];
  /** Whole origins allowed too (`https://ariang.example`, or `null` for a file:// page). */
  origins: readonly string[];
}

/**
 * Whether a request carrying `origin` may be answered. No Origin: not a browser page (scripts,
 * the `aria2` client), so nothing cross-site to refuse. A browser page may call only from the
 * daemon's own origin or one the user allowed.
 */
export function originAllowed(origin: string | undefined, policy: OriginPolicy): boolean {
  if (origin === undefined) return true;
  if (policy.origins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:") return false;
  const port = url.port === "" ? 80 : Number(url.port);
  return port === policy.port && hostAllowed(url.host, policy.hosts);
}

/**
 * RPC bodies must say they are JSON: a cross-site page can send `text/plain` (or a form's
 * types) to a loopback server without a preflight, but never `application/json`.
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || type === "application/json-rpc";
}

/**
 * How long the answer to a wrong secret waits, after `failures` wrong ones from that address:
 * 100 ms, doubling up to 2 s. Only wrong answers wait: the right secret is always answered at
 * once, so nobody is ever locked out.
 */
export function failureDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(2000, 100 * 2 ** Math.min(failures - 1, 5));
}

/** Where a download asked over RPC saves, before links are resolved. */
export interface ConfinedPath {
  /** Absolute, inside the root. */
  dir: string;
  /** Relative to `dir`, `/` between segments; undefined when the server names the file. */
  out: string | undefined;
}

/**
 * `dir` (absolute, or relative to the root) and `out` (relative to `dir`) as paths inside
 * `root`; anything leading out (`..`, an absolute path elsewhere, a NUL) is refused.
 */
export function confine(root: string, dir?: string, out?: string): ConfinedPath {
  let where = root;
  if (dir !== undefined && dir !== "") {
    if (dir.includes("\0")) throw new UsageError("dir contains a NUL character");
    where = isAbsolute(dir) ? resolve(dir) : resolve(root, relativeDir(dir));
    if (!isInsideOrSame(root, where)) {
      throw new UsageError(`dir ${JSON.stringify(dir)} is outside the download root ${root}`);
    }
  }
  let file: string | undefined;
  if (out !== undefined && out !== "") {
    try {
      file = relativePath(out);
    } catch (error) {
      throw new UsageError(`out: ${(error as Error).message}`);
    }
    if (file === "" || out.endsWith("/")) {
      throw new UsageError(`out ${JSON.stringify(out)} names a directory, not a file`);
    }
  }
  return { dir: where, out: file };
}

function relativeDir(dir: string): string {
  try {
    return relativePath(dir);
  } catch (error) {
    throw new UsageError(`dir: ${(error as Error).message}`);
  }
}

/** Whether `path` is `root` or lies under it (both absolute and resolved). */
export function isInsideOrSame(root: string, path: string): boolean {
  const inside = relative(root, path);
  return (
    inside === "" || (!inside.startsWith(`..${sep}`) && inside !== ".." && !isAbsolute(inside))
  );
}
