/**
 * The server's own reason for refusing a request, read from a bounded part of its error body:
 * S3's and GCS's XML (`<Code>AccessDenied</Code><Message>Request has expired</Message>`), the
 * common JSON error shapes, or a plain text's first line. The body is the server's text, so what
 * comes out is one printable line, capped, with any URL in it redacted.
 */
import { redactText } from "./secrets.js";

/** The most of an error body worth reading: enough for any reason, little for a huge page. */
export const MAX_REASON_BODY = 8 * 1024;
const MAX_REASON_LENGTH = 200;

/** Whether a body of this type may say why in words: text (not an HTML page), XML, JSON. */
export function mayExplain(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (type === "text/html") return false;
  return type.startsWith("text/") || /[/+](xml|json)$/.test(type);
}

/** The reason in an error body, or undefined when it gives none. */
export function serverReason(body: string): string | undefined {
  const text = body.replace(/^\uFEFF/, "").trim();
  const raw = text.startsWith("{")
    ? fromJson(text)
    : text.startsWith("<")
      ? fromXml(text)
      : text.split(/\r?\n/, 1)[0];
  const line = raw === undefined ? "" : printableLine(raw);
  return line === "" ? undefined : line;
}

/** S3, GCS and Azure: `<Error><Code>…</Code><Message>…</Message>` and a detail element. */
function fromXml(xml: string): string | undefined {
  const element = (name: string): string | undefined => {
    const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
    const value = match && decodeEntities(match[1]!).trim();
    return value || undefined;
  };
  const code = element("Code");
  // Azure's Message goes on with RequestId and Time lines.
  const message = element("Message")?.split(/\r?\n/, 1)[0];
  const detail = element("Details") ?? element("AuthenticationErrorDetail");
  const said = [code, message].filter((part) => part !== undefined).join(": ");
  if (!said) return detail;
  return detail ? `${said} (${detail})` : said;
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return text.replace(/&(#x[\da-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] !== "#") return named[name.toLowerCase()] ?? entity;
    const code =
      name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

type Json = Record<string, unknown>;
const str = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value : undefined;
const obj = (value: unknown): Json | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
const joined = (name: string | undefined, message: string | undefined): string | undefined =>
  name && message ? `${name}: ${message}` : (message ?? name);

/**
 * Google APIs (`{"error": {"status"|"errors"[0].reason, "message"}}`), OAuth (`error`,
 * `error_description`), registries (`errors[0].code/message`), RFC 9457 problems (`title`,
 * `detail`), and a plain `{"code", "message"}`.
 */
function fromJson(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Cut at the read limit, or not JSON after all: its first line may still say something.
    return text.split(/\r?\n/, 1)[0];
  }
  const body = obj(parsed);
  if (!body) return undefined;
  const error = obj(body["error"]);
  if (error) {
    const first = obj(Array.isArray(error["errors"]) ? error["errors"][0] : undefined);
    return joined(str(error["status"]) ?? str(first?.["reason"]), str(error["message"]));
  }
  if (str(body["error"])) return joined(str(body["error"]), str(body["error_description"]));
  const first = obj(Array.isArray(body["errors"]) ? body["errors"][0] : undefined);
  if (first) return joined(str(first["code"]), str(first["message"]));
  if (str(body["detail"]) || str(body["title"])) {
    return joined(str(body["title"]), str(body["detail"]));
  }
  return joined(str(body["code"]), str(body["message"]));
}

/**
 * One line a terminal shows as it is: control and invisible formatting characters (escape
 * sequences, bidirectional overrides) become spaces, URLs are redacted, and the length is capped.
 */
function printableLine(text: string): string {
  const line = redactText(
    text
      .replace(/[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu, " ")
      .replace(/\s+/g, " ")
      .trim(),
  );
  const chars = [...line];
  return chars.length > MAX_REASON_LENGTH
    ? `${chars.slice(0, MAX_REASON_LENGTH - 1).join("")}…`
    : line;
}
