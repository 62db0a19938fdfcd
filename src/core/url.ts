/** The one check on a URL to download: it parses, and it is http or https. */
import { UsageError } from "../errors.js";
import { redactUrl } from "./secrets.js";

/** A host (name, IPv4 or [IPv6]), an optional port, an optional path: `localhost:80/x`. */
const HOST_AND_PATH = /^(?:[^\s/@]*@)?([a-z\d-]+(?:\.[a-z\d-]+)*|\[[\da-f:.]+\])(:\d+)?(\/\S*)?$/i;

export function parseHttpUrl(text: string): URL {
  if (typedWithoutScheme(text)) {
    // `user:pass@host/x` must not echo the password; the rest is shown as typed.
    const shown = text.replace(/^([^\s/@:]*):[^\s/@]*@/, "$1:REDACTED@");
    throw new UsageError(`"${shown}" has no scheme: try http://${shown}`, "PARGET_BAD_URL");
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid URL "${redactUrl(text)}" (use http or https)`, "PARGET_BAD_URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    // Quote the URL as typed (new URL adds a "/"), unless it carries credentials.
    const shown = redactUrl(url) === url.href ? text : redactUrl(url);
    throw new UsageError(
      `unsupported URL scheme "${url.protocol}" in ${shown} (use http or https)`,
      "PARGET_BAD_URL",
    );
  }
  return url;
}

/**
 * `localhost:80/x`, `example.com/a` or `user:pass@host/x`: a host typed without `http://`. The first parses as a URL
 * with the scheme "localhost:", which would otherwise be reported as an unsupported scheme.
 * A bare word needs a dot, a port or a path to count as a host.
 */
function typedWithoutScheme(text: string): boolean {
  const match = HOST_AND_PATH.exec(text);
  if (!match) return false;
  const [, host = "", port, path] = match;
  return port !== undefined || path !== undefined || host.includes(".");
}
