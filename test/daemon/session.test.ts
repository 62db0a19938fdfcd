/** The web interface's session cookie: signed with the secret, expiring, revocable. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SESSION_MAX_AGE_S,
  issueSession,
  readCookie,
  revokeSession,
  sessionValid,
} from "../../src/daemon/session.js";

const now = Date.UTC(2026, 0, 1);

test("a session is valid for its secret, until it expires or is revoked", () => {
  const value = issueSession("secret-a", now);
  assert.equal(sessionValid("secret-a", value, now), true);
  assert.equal(sessionValid("secret-a", value, now + (SESSION_MAX_AGE_S - 1) * 1000), true);
  assert.equal(sessionValid("secret-a", value, now + SESSION_MAX_AGE_S * 1000), false);
  assert.equal(sessionValid("secret-b", value, now), false, "a new secret voids it");
  const [issued, nonce, signature] = value.split(".");
  assert.equal(sessionValid("secret-a", `${Number(issued) + 1}.${nonce}.${signature}`, now), false);
  assert.equal(sessionValid("secret-a", `${issued}.${nonce}.${signature}x`, now), false);
  assert.equal(sessionValid("secret-a", "secret-a", now), false);
  assert.equal(sessionValid("secret-a", undefined, now), false);
  revokeSession(value);
  assert.equal(sessionValid("secret-a", value, now), false);
  assert.equal(sessionValid("secret-a", issueSession("secret-a", now), now), true);
});

test("the cookie is read by its exact name", () => {
  const header = "a=1; parget_session_6800=v.a.l; parget_session_68000=other";
  assert.equal(readCookie(header, "parget_session_6800"), "v.a.l");
  assert.equal(readCookie(header, "parget_session_680"), undefined);
  assert.equal(readCookie(undefined, "a"), undefined);
});
