/**
 * The add form (its reading is form.ts). Errors are shown at the field they concern, from the
 * page's own checks or from the daemon's answer.
 */
import { useState } from "preact/hooks";
import { EMPTY_FIELDS, readForm, type AddRequest, type FieldErrors, type Fields } from "../form.js";
import { html } from "../html.js";

export type { AddRequest, FieldErrors } from "../form.js";

export function AddForm({ onAdd }: { onAdd: (r: AddRequest[]) => Promise<FieldErrors> }) {
  const [values, setValues] = useState<Record<Fields, string>>(EMPTY_FIELDS);
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
          setValues(EMPTY_FIELDS);
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
