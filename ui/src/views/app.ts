/**
 * The page's top: logs in (the secret from the URL fragment once, or typed), then shows the
 * dashboard; back to the login on logout or when the daemon no longer takes the session.
 */
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { logIn, logOut, loggedIn, takeFragmentSecret } from "../session.js";
import { Dashboard } from "./dashboard.js";
import { Login } from "./login.js";

export function App() {
  const [auth, setAuth] = useState<"checking" | "login" | "in">("checking");
  const [loginError, setLoginError] = useState("");
  useEffect(() => {
    void (async () => {
      const secret = takeFragmentSecret();
      if (secret !== undefined) {
        if ((await logIn(secret)) === undefined) return setAuth("in");
        setLoginError("The secret in the link was refused; the daemon may have a new one.");
        return setAuth("login");
      }
      setAuth((await loggedIn()) ? "in" : "login");
    })();
  }, []);
  if (auth === "checking") return html`<p class="loading" role="status">Connecting…</p>`;
  if (auth === "login") {
    return html`<${Login}
      error=${loginError}
      onSubmit=${async (secret: string) => {
        const refused = await logIn(secret);
        setLoginError(refused ?? "");
        if (refused === undefined) setAuth("in");
      }}
    />`;
  }
  return html`<${Dashboard}
    onLogout=${async () => {
      await logOut();
      setLoginError("");
      setAuth("login");
    }}
    onUnauthorized=${() => {
      setLoginError("The session ended (the daemon's secret changed?). Log in again.");
      setAuth("login");
    }}
  />`;
}
