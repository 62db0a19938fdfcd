/** The one check on a URL to download: it parses, and it is http or https. */
import { UsageError, redactUrl } from "../errors.js";

/** A host (name, IPv4 or [IPv6]), an optional port, an optional path: `localhost:80/x`. */
const HOST_AND_PATH = /^([a-z\d-]+(?:\.[a-z\d-]+)*|\[[\da-f:.]+\])(:\d+)?(\/\S*)?$/i;

export function parseHttpUrl(text: string): URL {
  if (typedWithoutScheme(text)) {
    throw new UsageError(`"${text}" has no scheme: try http://${text}`, "PARGET_BAD_URL");
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid URL "${text}" (use http or https)`, "PARGET_BAD_URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    // Quote the URL as typed (new URL adds a "/"), unless it carries credentials.
    const shown = url.username || url.password ? redactUrl(url) : text;
    throw new UsageError(
      `unsupported URL scheme "${url.protocol}" in ${shown} (use http or https)`,
      "PARGET_BAD_URL",
    );
  }
  return url;
}

/**
 * `localhost:80/x` or `example.com/a`: a host typed without `http://`. The first parses as a URL
 * with the scheme "localhost:", which would otherwise be reported as an unsupported scheme.
 * A bare word needs a dot, a port or a path to count as a host.
 */
function typedWithoutScheme(text: string): boolean {
  const match = HOST_AND_PATH.exec(text);
  if (!match) return false;
  const [, host = "", port, path] = match;
  return port !== undefined || path !== undefined || host.includes(".");
}
