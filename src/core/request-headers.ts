/**
 * The user's extra request headers, from -H or an input file's `header=`: one rule for both.
 * Messages leave the value out: it is often a secret.
 */
import { UsageError } from "../errors.js";

/** RFC 9110 §5.6.2's token: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Splits `Name: value` at its first colon; both sides are trimmed and checked. */
export function parseHeaderLine(line: string): { name: string; value: string } {
  const colon = line.indexOf(":");
  if (colon < 0) throw new UsageError(`expected "Name: value", got no ":"`);
  const name = line.slice(0, colon).trim();
  const value = line.slice(colon + 1).trim();
  if (!TOKEN.test(name)) throw new UsageError(`invalid header name "${name}"`);
  // A CR or LF would start a header of the value's choosing.
  if (/[\r\n\0]/.test(value)) throw new UsageError(`the value of ${name} has a line break`);
  return { name, value };
}

/**
 * `headers` with `name` set to `value`. Names are case-insensitive, so it replaces a header of the
 * same name in any case, and takes the new spelling.
 */
export function withHeader(
  headers: Readonly<Record<string, string>> | undefined,
  name: string,
  value: string,
): Record<string, string> {
  const kept = Object.entries(headers ?? {}).filter(
    ([key]) => key.toLowerCase() !== name.toLowerCase(),
  );
  return { ...Object.fromEntries(kept), [name]: value };
}
