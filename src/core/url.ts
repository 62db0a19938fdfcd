/** The one check on a URL to download: it parses, and it is http or https. */
import { UsageError, redactUrl } from "../errors.js";

export function parseHttpUrl(text: string): URL {
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
