/** Remove or clear a download: asked in its row whether its file goes too, the safe choice first. */
import { useEffect, useRef } from "preact/hooks";
import { html } from "../html.js";
import type { Download } from "../model.js";
import type { Action } from "./list.js";

export function RemoveConfirm({
  d,
  asking,
  onChoice,
}: {
  d: Download;
  asking: "remove" | "forget";
  onChoice: (action: Action | undefined) => void;
}) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const what = d.status === "complete" ? "the file" : "its partial data";
  const question =
    asking === "remove" ? `Remove ${d.name} from the queue.` : `Clear ${d.name} from the list.`;
  return html`<div
    class="confirm"
    role="group"
    aria-label=${question}
    onKeyDown=${(e: KeyboardEvent) => e.key === "Escape" && onChoice(undefined)}
  >
    <span>${question} Keep ${what} on disk, or delete it?</span>
    <button type="button" ref=${first} data-choice="keep" onClick=${() => onChoice(asking)}>
      Keep file
    </button>
    <button
      type="button"
      class="danger"
      data-choice="delete"
      onClick=${() => onChoice(asking === "remove" ? "remove-data" : "forget-data")}
    >
      Delete file
    </button>
    <button type="button" data-choice="cancel" onClick=${() => onChoice(undefined)}>Cancel</button>
  </div>`;
}
