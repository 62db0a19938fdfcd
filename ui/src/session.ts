/**
 * The page's login, over the daemon's /session endpoint: the secret is traded once for an
 * HttpOnly session cookie the page's scripts never see; the WebSocket then carries the cookie.
 */

async function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
}

/** The secret from `#token=...`, removed from the address bar (and history) at once. */
export function takeFragmentSecret(): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, "", location.pathname);
  return decodeURIComponent(match[1]!);
}

/** Whether the session cookie is still good. */
export async function loggedIn(): Promise<boolean> {
  const r = await fetch("/session", { credentials: "same-origin" });
  return r.ok;
}

/** Trades the secret for the cookie; undefined when it worked, else why not, in words. */
export async function logIn(secret: string): Promise<string | undefined> {
  const r = await postJson("/session", { secret });
  if (r.ok) return undefined;
  if (r.status === 401) return "That is not the daemon's secret.";
  if (r.status === 429) return "Too many wrong secrets at once; wait a moment and try again.";
  return `Login failed (${r.status}).`;
}

export async function logOut(): Promise<void> {
  await postJson("/session/logout", {});
}
