/**
 * S3 announces an object's checksums only when asked (`x-amz-checksum-mode: ENABLED`), and any
 * other server ignores the header. But S3 refuses a signed request that carries an `x-amz-*`
 * header its signature does not cover ("There were headers present in the request which were not
 * signed"), so parget asks only where the header cannot break the request:
 *
 *   plain or public URL                                      ask
 *   SigV4 presigned, x-amz-checksum-mode in X-Amz-SignedHeaders  ask (the signer meant it)
 *   SigV4 presigned without it                               never
 *   SigV2 presigned (Signature=, AWSAccessKeyId=)            never: x-amz-* headers are signed too
 *   other signed URLs (GCS X-Goog-Signature, Azure sig=)     never
 *   the user sends Authorization (SigV4 signs x-amz-* headers) never
 *   the user sets x-amz-checksum-mode                        theirs is sent as it is
 */

export const CHECKSUM_MODE = "x-amz-checksum-mode";

/** Query parameters that carry a URL's own signature, lower-cased. */
const SIGNATURE_PARAMETERS = new Set([
  "x-amz-signature",
  "signature",
  "awsaccesskeyid",
  "x-goog-signature",
  "sig",
]);

function parameter(url: URL, lowerName: string): string | undefined {
  for (const [name, value] of url.searchParams) {
    if (name.toLowerCase() === lowerName) return value;
  }
  return undefined;
}

/** Whether a request to `url` may carry x-amz-checksum-mode: not when its signature leaves it out. */
export function urlAllowsChecksumMode(url: URL): boolean {
  const names = [...url.searchParams.keys()].map((name) => name.toLowerCase());
  if (names.includes("x-amz-signature")) {
    const signed = (parameter(url, "x-amz-signedheaders") ?? "").toLowerCase().split(";");
    return signed.includes(CHECKSUM_MODE);
  }
  return !names.some((name) => SIGNATURE_PARAMETERS.has(name));
}

/**
 * The request headers for `url`, with `x-amz-checksum-mode: ENABLED` added where it is safe.
 * `headers` has lower-case names.
 */
export function withChecksumMode(
  url: URL,
  headers: Record<string, string>,
): Record<string, string> {
  if (CHECKSUM_MODE in headers || "authorization" in headers || !urlAllowsChecksumMode(url)) {
    return headers;
  }
  return { ...headers, [CHECKSUM_MODE]: "ENABLED" };
}
