/**
 * The add form's reading, pure: its values as addUri calls, or the errors found, per field; and
 * which field a daemon's error message is about. One download per line; a line may carry its own
 * options after the URL (`https://host/f.iso out=f.iso checksum=sha-256=...`), which override the
 * form's.
 */
import { parseRate } from "./model.js";

export type Fields = "uris" | "out" | "dir" | "checksum" | "header" | "split" | "limit";
export type FieldErrors = Partial<Record<Fields, string>>;

/** The add form with nothing typed in it. */
export const EMPTY_FIELDS: Readonly<Record<Fields, string>> = {
  uris: "",
  out: "",
  dir: "",
  checksum: "",
  header: "",
  split: "",
  limit: "",
};

export interface AddRequest {
  uris: string[];
  options: Record<string, string | string[]>;
}

const LINE_OPTION: Record<string, Fields> = {
  out: "out",
  dir: "dir",
  checksum: "checksum",
  split: "split",
  "max-download-limit": "limit",
};

/** The form's values as addUri calls, or the errors found, per field. */
export function readForm(v: Record<Fields, string>): {
  requests: AddRequest[];
  errors: FieldErrors;
} {
  const errors: FieldErrors = {};
  const base: Record<string, string | string[]> = {};
  if (v.out.trim() !== "") {
    if (v.out.includes("/") || v.out.includes("\\"))
      errors.out = "a file name, without a directory";
    else base.out = v.out.trim();
  }
  if (v.dir.trim() !== "") base.dir = v.dir.trim();
  if (v.checksum.trim() !== "") {
    if (!/^[a-z0-9-]+=[0-9a-f]+$/i.test(v.checksum.trim())) {
      errors.checksum = "as ALGORITHM=HEX, for example sha-256=9f86d0…";
    } else base.checksum = v.checksum.trim();
  }
  const headers = v.header
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const badHeader = headers.find((l) => !/^[!#$%&'*+.^_`|~0-9a-z-]+:\s*\S/i.test(l));
  if (badHeader !== undefined) errors.header = `"${badHeader}" is not "Name: value"`;
  else if (headers.length > 0) base.header = headers;
  if (v.split.trim() !== "") {
    const n = Number(v.split);
    if (!Number.isInteger(n) || n < 1 || n > 64) errors.split = "a whole number from 1 to 64";
    else base.split = String(n);
  }
  if (v.limit.trim() !== "") {
    const rate = parseRate(v.limit);
    if (rate === undefined) errors.limit = "a speed such as 500K or 2M (bytes per second)";
    else base["max-download-limit"] = String(rate);
  }
  const lines = v.uris
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) errors.uris = "at least one http:// or https:// URL";
  const requests: AddRequest[] = [];
  for (const line of lines) {
    const uris: string[] = [];
    const options = { ...base };
    for (const token of line.split(/\s+/)) {
      const eq = token.indexOf("=");
      if (/^https?:\/\//i.test(token)) {
        try {
          new URL(token);
          uris.push(token);
        } catch {
          errors.uris = `"${token}" is not a URL`;
        }
      } else if (eq > 0 && LINE_OPTION[token.slice(0, eq)] !== undefined) {
        options[token.slice(0, eq)] = token.slice(eq + 1);
      } else {
        errors.uris = `"${token}" is neither an http(s) URL nor an option (out=, dir=, checksum=, split=, max-download-limit=)`;
      }
    }
    if (uris.length === 0 && errors.uris === undefined)
      errors.uris = `no URL on the line "${line}"`;
    if (lines.length > 1 && base.out !== undefined && options.out === base.out) {
      errors.out = "one name cannot serve several lines: give out= on each line instead";
    }
    requests.push({ uris, options });
  }
  return { requests, errors };
}

/** Which field the daemon's error message is about, by the option it names. */
export function fieldOfMessage(message: string): Fields {
  const named = /^([a-z-]+):/.exec(message)?.[1];
  const byName: Record<string, Fields> = {
    out: "out",
    dir: "dir",
    checksum: "checksum",
    header: "header",
    split: "split",
    "max-connection-per-server": "split",
    "max-download-limit": "limit",
  };
  if (named !== undefined && byName[named] !== undefined) return byName[named];
  const m = message.toLowerCase();
  if (/\bchecksum|digest/.test(m)) return "checksum";
  if (/\bheader/.test(m)) return "header";
  if (/\bout\b|file name/.test(m)) return "out";
  if (/\bdir\b|root|directory/.test(m)) return "dir";
  if (/split|connection/.test(m)) return "split";
  if (/limit|speed/.test(m)) return "limit";
  return "uris";
}
