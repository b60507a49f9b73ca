// A signed-in client for the API tests: the cookie, the CSRF token and the
// same-origin headers a browser on Slate's own pages would send.
import assert from 'node:assert/strict';
import { request, runSlate, SETUP_BIN, ADMIN_EMAIL, ADMIN_PASSWORD } from './harness.mjs';
import { totpCode } from './totp.mjs';

export { totpCode };

export const NEW_PASSWORD = 'a sturdy passphrase for the night shoot';

export function cookieFrom(res) {
  const set = [].concat(res.headers['set-cookie'] ?? []);
  const c = set.find((v) => v.startsWith('__Host-slate_session='));
  assert.ok(c, `a session cookie was set; got ${JSON.stringify(set)}`);
  return c.split(';')[0];
}

export async function signIn(server, { email = ADMIN_EMAIL, password = ADMIN_PASSWORD, totp } = {}) {
  const res = await request(server, {
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { origin: server.origin },
    body: totp === undefined ? { email, password } : { email, password, totp },
  });
  assert.equal(res.status, 200, `sign-in: ${res.body}`);
  return { cookie: cookieFrom(res), csrf: res.json.csrf_token, user: res.json.user, res };
}

/** A request as the signed-in browser would make it (cookie, CSRF token, Origin). */
export function call(server, session, method, path, { body, headers = {}, timeout } = {}) {
  const h = { cookie: session.cookie, origin: server.origin, ...headers };
  if (method !== 'GET' && method !== 'HEAD' && session.csrf && !('x-csrf-token' in h)) h['x-csrf-token'] = session.csrf;
  return request(server, { method, path, headers: h, body, timeout });
}

/** Signs in with a one-time password and replaces it; returns the new session. */
export async function signInAndChangePassword(server, password = NEW_PASSWORD, { email = ADMIN_EMAIL, oneTime = ADMIN_PASSWORD } = {}) {
  const first = await signIn(server, { email, password: oneTime });
  const res = await call(server, first, 'POST', '/api/v1/me/password', {
    body: { current_password: oneTime, new_password: password },
  });
  assert.equal(res.status, 200, `password change: ${res.body}`);
  return { cookie: cookieFrom(res), csrf: res.json.csrf_token };
}

/** Enrols a TOTP second factor for the session; returns {secret, recoveryCodes}. */
export async function enrolTotp(server, session) {
  const begin = await call(server, session, 'POST', '/api/v1/me/mfa/totp');
  assert.equal(begin.status, 200, `enrol: ${begin.body}`);
  const confirm = await call(server, session, 'POST', '/api/v1/me/mfa/totp/confirm', { body: { code: totpCode(begin.json.secret) } });
  assert.equal(confirm.status, 200, `confirm: ${confirm.body}`);
  return { secret: begin.json.secret, recoveryCodes: confirm.json.recovery_codes, begin: begin.json };
}

/** The first administrator, ready for work: password changed and MFA enrolled. */
export async function readyAdmin(server, password = NEW_PASSWORD) {
  const s = await signInAndChangePassword(server, password);
  const mfa = await enrolTotp(server, s);
  return { ...s, mfa };
}

/** A new account made with `slate user add`, signed in with its own password; returns the session. */
export async function newAccount(server, email, password) {
  const add = runSlate(['user', 'add', '--email', email, '--data', server.data, '--json'], { bin: SETUP_BIN });
  assert.equal(add.code, 0, add.stderr);
  return signInAndChangePassword(server, password, { email, oneTime: JSON.parse(add.stdout).password });
}
