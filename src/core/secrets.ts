/**
 * The secret parts of a URL, decided in one place. Userinfo is sent only as HTTP Basic
 * credentials; the values of credential parameters (presigned URLs, API tokens) are replaced by
 * REDACTED wherever a URL is shown; and a presigned URL's resume identity leaves out what
 * changes each time it is signed again, so a fresh URL for the same object resumes.
 */

export const REDACTED = "REDACTED";

/** Query parameters whose values are credentials (compared in lower case). */
const SECRET_PARAMS = new Set([
  // AWS Signature V4 (S3 presigned URLs), V2, and temporary credentials.
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "awsaccesskeyid",
  // Google Cloud Storage V4 and V2.
  "x-goog-signature",
  "x-goog-credential",
  "x-goog-security-token",
  "googleaccessid",
  // Azure shared access signatures.
  "sig",
  // Alibaba OSS (V1 and V4) and Tencent COS.
  "ossaccesskeyid",
  "security-token",
  "x-oss-signature",
  "x-oss-credential",
  "x-oss-security-token",
  "q-ak",
  "q-signature",
  // CloudFront signed URLs, and S3 V2 / GCS V2 signatures.
  "signature",
  "policy",
  "key-pair-id",
  // Bearer tokens and API keys passed in the query.
  "token",
  "access_token",
  "id_token",
  "refresh_token",
  "api_key",
  "apikey",
  "api-key",
  "client_secret",
  "password",
]);

/** Parameters that mark a URL as signed: it expires, and a fresh one is signed differently. */
const SIGNATURE_PARAMS = new Set([
  "x-amz-signature",
  "x-goog-signature",
  "x-oss-signature",
  "q-signature",
  "signature",
  "sig",
]);

/**
 * Parameters that change whenever a signed URL is signed again (dates, lifetimes, the SAS
 * fields). They are not secret, but they are not part of which object is meant either. They
 * leave the identity only in a URL that carries a signature, where Azure's short names are
 * surely SAS fields.
 */
const SIGNING_PARAMS = new Set([
  "x-amz-algorithm",
  "x-amz-date",
  "x-amz-expires",
  "x-amz-signedheaders",
  "x-goog-algorithm",
  "x-goog-date",
  "x-goog-expires",
  "x-goog-signedheaders",
  "x-oss-signature-version",
  "x-oss-date",
  "x-oss-expires",
  "x-oss-additional-headers",
  ...["q-sign-algorithm", "q-sign-time", "q-key-time", "q-header-list", "q-url-param-list"],
  "expires",
  // Azure SAS: version, services, resource types, permissions, expiry, start, protocol, IP,
  // policy id, resource, depth, encryption scope, and the user delegation key's fields.
  ...["sv", "ss", "srt", "sp", "se", "st", "spr", "sip", "si", "sr", "sdd", "ses"],
  ...["skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid"],
]);

/** The parameter's name as a server reads it, in lower case; undecodable names are kept raw. */
function paramName(pair: string): string {
  const raw = pair.split("=", 1)[0]!.replace(/\+/g, " ");
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

function isSecretParam(name: string): boolean {
  return SECRET_PARAMS.has(name.toLowerCase());
}

/** Splits `…?query#fragment` into its parts, the query without its "?". */
function splitQuery(url: string): { head: string; query: string | undefined; fragment: string } {
  const hash = url.indexOf("#");
  const fragment = hash < 0 ? "" : url.slice(hash);
  const rest = hash < 0 ? url : url.slice(0, hash);
  const mark = rest.indexOf("?");
  if (mark < 0) return { head: rest, query: undefined, fragment };
  return { head: rest.slice(0, mark), query: rest.slice(mark + 1), fragment };
}

/** Drops `user:pass@` from a URL's text; the last "@" before the path ends the userinfo. */
const USERINFO = /^([a-z][a-z\d+.-]*:\/\/)[^/?#]*@/i;

/** Redacts a URL's text as written: its userinfo and its secret parameters' values. */
function redactUrlText(url: string): string {
  const { head, query, fragment } = splitQuery(url.replace(USERINFO, "$1"));
  if (query === undefined) return head + fragment;
  const pairs = query
    .split("&")
    .map((pair) =>
      isSecretParam(paramName(pair)) ? `${pair.split("=", 1)[0]}=${REDACTED}` : pair,
    );
  return `${head}?${pairs.join("&")}${fragment}`;
}

/**
 * A URL fit to show: no userinfo, and REDACTED for the value of every credential parameter.
 * The rest is kept as written, so the URL still says which object it was.
 */
export function redactUrl(url: string | URL): string {
  let text: string;
  try {
    text = new URL(url).href;
  } catch {
    text = String(url);
  }
  return redactUrlText(text);
}

/**
 * Redacts every URL inside free text (an error message, a server's reason). Punctuation that
 * ends a URL's sentence (`…?sig=abc: denied`) is kept, not taken for part of a value.
 */
export function redactText(text: string): string {
  return text.replace(
    /\b([a-z][a-z\d+.-]*:\/\/[^\s"'<>]*?)([.,;:!?)\]]*(?=[\s"'<>]|$))/gi,
    (_, url: string, tail: string) => redactUrlText(url) + tail,
  );
}

/** Whether a URL carries a signature: one that may expire, and be replaced by a fresh one. */
export function isSignedUrl(url: URL): boolean {
  return [...url.searchParams.keys()].some((name) => SIGNATURE_PARAMS.has(name.toLowerCase()));
}

/** The URL to send: its userinfo goes in the Authorization header instead. */
export function withoutUserinfo(url: URL): URL {
  const bare = new URL(url);
  bare.username = "";
  bare.password = "";
  return bare;
}

/**
 * `Authorization: Basic …` from the URL's userinfo, percent-decoded as curl, wget and aria2 do,
 * or undefined when there is none.
 */
export function basicAuthorization(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  const credentials = `${decode(url.username)}:${decode(url.password)}`;
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A stray "%" is taken literally, as curl does.
    return text;
  }
}

/**
 * Which object a URL names, for deciding whether a partial download belongs to it: the URL
 * without userinfo, fragment, credentials, and, when it is signed, without the signing fields
 * that a fresh URL for the same object changes. The object's validators decide the rest.
 */
export function resumeIdentity(url: URL): string {
  const signed = isSignedUrl(url);
  const { head, query } = splitQuery(withoutUserinfo(url).href);
  if (query === undefined) return head;
  const kept = query.split("&").filter((pair) => {
    const name = paramName(pair);
    return !isSecretParam(name) && !(signed && SIGNING_PARAMS.has(name));
  });
  return kept.length === 0 ? head : `${head}?${kept.join("&")}`;
}
