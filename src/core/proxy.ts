/**
 * Which proxy a URL goes through, read from the environment the way curl reads it:
 * `http_proxy` (lower case only: an upper-case HTTP_PROXY can be set by a CGI request header),
 * `https_proxy` or `HTTPS_PROXY`, then `all_proxy` or `ALL_PROXY`; `no_proxy` or `NO_PROXY` lists
 * hosts, domains (with or without a leading dot), IP addresses or IPv4 CIDR blocks to reach
 * directly, or `*` for all. An explicit proxy (`--proxy`) wins over the environment, and
 * `no_proxy` applies to it too.
 */
import { isIP } from "node:net";
import { UsageError } from "../errors.js";
import { redactUrl } from "./secrets.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export function proxyFor(url: URL, env: Environment, explicit?: string | null): URL | null {
  if (explicit === null) return null;
  if (bypassed(url.hostname, env["no_proxy"] ?? env["NO_PROXY"])) return null;
  const https = url.protocol === "https:";
  const configured =
    explicit ??
    (https ? (env["https_proxy"] ?? env["HTTPS_PROXY"]) : env["http_proxy"]) ??
    env["all_proxy"] ??
    env["ALL_PROXY"];
  return configured ? parseProxyUrl(configured) : null;
}

/** A proxy URL; one without a scheme is an HTTP proxy, as in curl. */
export function parseProxyUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid proxy URL ${JSON.stringify(redactUrl(text))}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`unsupported proxy scheme "${url.protocol}" (use an http or https proxy)`);
  }
  return url;
}

function bypassed(hostname: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return noProxy
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "")
    .some((entry) => {
      if (entry === "*") return true;
      if (entry.includes("/")) return inCidr(host, entry);
      const name = entry.replace(/^\[|\]$/g, "").replace(/^\./, "");
      if (isIP(host) || isIP(name)) return host === name;
      return host === name || host.endsWith(`.${name}`);
    });
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  if (
    isIP(host) !== 4 ||
    !base ||
    isIP(base) !== 4 ||
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > 32
  ) {
    return false;
  }
  const toNumber = (ip: string) => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - bits);
  return Math.floor(toNumber(host) / size) === Math.floor(toNumber(base) / size);
}
