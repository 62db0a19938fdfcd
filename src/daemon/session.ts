/**
 * The web interface's login: the secret, given once, becomes an HttpOnly, SameSite=Strict
 * cookie, so page scripts never keep it and it never travels in a URL. The cookie is signed with
 * the secret (HMAC-SHA256 over its issue time and a nonce), so it survives a daemon restart
 * without a session store, and changes of secret void it. Logout revokes its nonce.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a login lasts. */
export const SESSION_MAX_AGE_S = 7 * 24 * 3600;

/** One name per port: two daemons on one machine (different secrets) keep their own logins. */
export function cookieName(port: number): string {
  return `parget_session_${port}`;
}

function sign(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(`parget-ui-session:${payload}`).digest("base64url");
}

/** A new session value: `issuedSeconds.nonce.signature`. */
export function issueSession(secret: string, nowMs: number): string {
  const payload = `${Math.floor(nowMs / 1000)}.${randomBytes(16).toString("base64url")}`;
  return `${payload}.${sign(secret, payload)}`;
}

/** The nonces of sessions logged out (in memory: a restart forgets them, the secret does not). */
const revoked = new Set<string>();

export function revokeSession(value: string): void {
  const nonce = value.split(".")[1];
  if (nonce !== undefined) revoked.add(nonce);
}

export function sessionValid(secret: string, value: string | undefined, nowMs: number): boolean {
  if (value === undefined) return false;
  const parts = value.split(".");
  if (parts.length !== 3) return false;
  const [issued, nonce, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(secret, `${issued}.${nonce}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const age = nowMs / 1000 - Number(issued);
  return age >= -60 && age < SESSION_MAX_AGE_S && !revoked.has(nonce);
}

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
