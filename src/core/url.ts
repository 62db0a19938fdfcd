/** The one check on a URL to download: it parses, and it is http or https. */
import { UsageError } from "../errors.js";
import { redactUrl } from "./secrets.js";

export function parseHttpUrl(text: string): URL {
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
