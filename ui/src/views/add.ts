/**
 * The add form. One download per line; a line may carry its own options after the URL
 * (`https://host/f.iso out=f.iso checksum=sha-256=...`), which override the form's. Errors are
 * shown at the field they concern, from the page's own checks or from the daemon's answer.
 */
import { useState } from "preact/hooks";
import { parseRate } from "../model.js";
import { html } from "../html.js";

export type Fields = "uris" | "out" | "dir" | "checksum" | "header" | "split" | "limit";
export type FieldErrors = Partial<Record<Fields, string>>;

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

const EMPTY: Record<Fields, string> = {
  uris: "",
  out: "",
  dir: "",
  checksum: "",
  header: "",
  split: "",
  limit: "",
};

export function AddForm({ onAdd }: { onAdd: (r: AddRequest[]) => Promise<FieldErrors> }) {
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState("");
  const field = (name: Fields, label: string, hint: string, multiline = false) => {
    const id = `add-${name}`;
    const props = {
      id,
      name,
      value: values[name],
      "aria-invalid": errors[name] !== undefined,
      "aria-describedby": `${id}-hint ${id}-error`,
      onInput: (e: Event) => setValues({ ...values, [name]: (e.target as HTMLInputElement).value }),
    };
    return html`<div class=${`field field-${name}`}>
      <label for=${id}>${label}</label>
      ${multiline ? html`<textarea rows="3" ...${props}></textarea>` : html`<input ...${props} />`}
      <small id=${`${id}-hint`} class="hint">${hint}</small>
      <small id=${`${id}-error`} class="error" role="alert">${errors[name] ?? ""}</small>
    </div>`;
  };
  return html`<section class="panel" aria-labelledby="add-title">
    <h2 id="add-title">Add downloads</h2>
    <form
      class="add"
      novalidate
      onSubmit=${async (e: Event) => {
        e.preventDefault();
        setAdded("");
        const { requests, errors: found } = readForm(values);
        setErrors(found);
        if (Object.keys(found).length > 0) return;
        setBusy(true);
        const refused = await onAdd(requests);
        setBusy(false);
        setErrors(refused);
        if (Object.keys(refused).length === 0) {
          setValues(EMPTY);
          setAdded(`${requests.length} added`);
        }
      }}
    >
      ${field("uris", "URLs", "One download per line; options may follow a URL: out=name dir=sub checksum=sha-256=…", true)}
      <div class="grid">
        ${field("out", "Output name", "The file's name (default: from the server)")}
        ${field("dir", "Directory", "Inside the download root")}
        ${field("checksum", "Checksum", "ALGORITHM=HEX, e.g. sha-256=…")}
        ${field("split", "Connections", "1 to 64")}
        ${field("limit", "Speed limit", "e.g. 2M; empty for none")}
      </div>
      ${field("header", "Headers", "One per line, Name: value", true)}
      <div class="row">
        <button type="submit" disabled=${busy}>Add</button>
        <span role="status" class="ok">${added}</span>
      </div>
    </form>
  </section>`;
}
