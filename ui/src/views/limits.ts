/** The daemon's global settings: the total speed limit and how many downloads run at once. */
import { useEffect, useState } from "preact/hooks";
import { bytes, parseRate } from "../model.js";
import { html } from "../html.js";

export function Limits(props: {
  limit: number;
  concurrency: number;
  onChange: (options: Record<string, string>) => Promise<string | undefined>;
}) {
  const [limit, setLimit] = useState("");
  const [concurrency, setConcurrency] = useState(String(props.concurrency));
  const [error, setError] = useState<{ limit?: string; concurrency?: string }>({});
  useEffect(() => setConcurrency(String(props.concurrency)), [props.concurrency]);
  return html`<section class="panel" aria-labelledby="limits-title">
    <h2 id="limits-title">Limits</h2>
    <form
      class="grid"
      onSubmit=${async (e: Event) => {
        e.preventDefault();
        const options: Record<string, string> = {};
        const found: { limit?: string; concurrency?: string } = {};
        if (limit.trim() !== "") {
          const rate = limit.trim() === "0" ? 0 : parseRate(limit);
          if (rate === undefined) found.limit = "a speed such as 5M (bytes per second), 0 for none";
          else options["max-overall-download-limit"] = String(rate);
        }
        const n = Number(concurrency);
        if (!Number.isInteger(n) || n < 1) found.concurrency = "a whole number, 1 or more";
        else options["max-concurrent-downloads"] = String(n);
        setError(found);
        if (Object.keys(found).length > 0) return;
        const refused = await props.onChange(options);
        if (refused !== undefined)
          setError(/limit|speed/i.test(refused) ? { limit: refused } : { concurrency: refused });
        else setLimit("");
      }}
    >
      <div class="field">
        <label for="global-limit">Total speed limit</label>
        <input
          id="global-limit"
          placeholder=${props.limit > 0 ? `${bytes(props.limit)}/s now` : "none now"}
          value=${limit}
          aria-invalid=${error.limit !== undefined}
          aria-describedby="global-limit-error"
          onInput=${(e: Event) => setLimit((e.target as HTMLInputElement).value)}
        />
        <small id="global-limit-error" class="error" role="alert">${error.limit ?? ""}</small>
      </div>
      <div class="field">
        <label for="concurrency">Downloads at once</label>
        <input
          id="concurrency"
          type="number"
          min="1"
          value=${concurrency}
          aria-invalid=${error.concurrency !== undefined}
          aria-describedby="concurrency-error"
          onInput=${(e: Event) => setConcurrency((e.target as HTMLInputElement).value)}
        />
        <small id="concurrency-error" class="error" role="alert">${error.concurrency ?? ""}</small>
      </div>
      <div class="field"><button type="submit">Apply</button></div>
    </form>
  </section>`;
}
