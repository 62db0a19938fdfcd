/** The login form, for when the page was opened without the secret in its fragment. */
import { useState } from "preact/hooks";
import { html } from "../html.js";

export function Login({ onSubmit, error }: { onSubmit: (secret: string) => void; error: string }) {
  const [secret, setSecret] = useState("");
  return html`<main class="login">
    <h1>parget</h1>
    <form
      onSubmit=${(e: Event) => {
        e.preventDefault();
        onSubmit(secret.trim());
      }}
    >
      <label for="secret">Daemon secret</label>
      <p class="hint" id="secret-hint">
        Open the URL <code>parget daemon</code> printed, or paste the secret from its secret file.
      </p>
      <input
        id="secret"
        type="password"
        autocomplete="current-password"
        aria-describedby="secret-hint secret-error"
        aria-invalid=${error !== ""}
        value=${secret}
        onInput=${(e: Event) => setSecret((e.target as HTMLInputElement).value)}
        required
      />
      <p id="secret-error" class="error" role="alert">${error}</p>
      <button type="submit">Log in</button>
    </form>
  </main>`;
}
