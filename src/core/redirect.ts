/** Redirect decisions: where the next hop goes and which request headers may follow it. */
import { BadResponseError } from "../errors.js";
import { redactUrl, withoutUserinfo } from "./secrets.js";
import { CHECKSUM_MODE, urlAllowsChecksumMode } from "./checksum-mode.js";

export const MAX_REDIRECTS = 10;
const CREDENTIAL_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * The next hop of a redirect chain. Credentials never follow a change of origin (the user's
 * Authorization, Cookie, and the Basic credentials from the first URL's userinfo),
 * x-amz-checksum-mode never goes to a URL whose signature leaves it out, only http and https
 * targets are followed, and userinfo in a Location is never sent.
 */
export function nextHop(
  current: URL,
  location: string | undefined,
  headers: Record<string, string>,
  hops: number,
): { url: URL; headers: Record<string, string> } {
  if (hops >= MAX_REDIRECTS) {
    throw new BadResponseError(`more than ${MAX_REDIRECTS} redirects`, {
      code: "PARGET_TOO_MANY_REDIRECTS",
    });
  }
  if (!location) throw new BadResponseError("redirect without a Location header");
  let url: URL;
  try {
    url = withoutUserinfo(new URL(location, current));
  } catch {
    throw new BadResponseError(`redirect to an invalid URL ${JSON.stringify(redactUrl(location))}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BadResponseError(`refusing redirect to a non-HTTP URL (${url.protocol})`);
  }
  const dropped = (name: string): boolean =>
    (url.origin !== current.origin && CREDENTIAL_HEADERS.has(name)) ||
    // S3 refuses a presigned URL's request that carries an x-amz-* header its signature leaves out.
    (name === CHECKSUM_MODE && !urlAllowsChecksumMode(url));
  const kept = Object.fromEntries(
    Object.entries(headers).filter(([name]) => !dropped(name.toLowerCase())),
  );
  return { url, headers: kept };
}
