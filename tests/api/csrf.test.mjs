// Forged requests (issue 15 items 11 and 19). A request riding on the session
// cookie that changes state must carry the session's CSRF token and show that
// it comes from Slate's own pages: an Origin equal to public_url (never
// compared with the Host the client sends), or without Origin a
// Sec-Fetch-Site: same-origin. Every unsafe method is checked, not only POST:
// each forgery on a DELETE, a PATCH and a PUT route is refused with 403 and
// changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem } from './lib/harness.mjs';
import { call, signIn, readyAdmin, newAccount } from './lib/session.mjs';

let server;
let admin;
let prod;
// an account with no role that needs a second factor: it signs in as often as a test likes
const VICTIM = 'victim@example.org';
const VICTIM_PASSWORD = 'a browser tab left open on the call sheet';

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Forgery Show', timezone: 'UTC' } })).json;
  await newAccount(server, VICTIM, VICTIM_PASSWORD);
});
after(async () => { await server?.stop(); });

/** A request with the session's cookie and exactly the headers given (no Origin unless given). */
const raw = (s, method, p, headers, body) => request(server, { method, path: p, body, headers: { cookie: s.cookie, ...headers } });

/** The forged variants of a request a signed-in victim's browser could be made to send. */
function forgeries(s) {
  const own = { origin: server.origin, 'x-csrf-token': s.csrf };
  return [
    ['no CSRF token', { origin: server.origin }],
    ['a wrong CSRF token', { origin: server.origin, 'x-csrf-token': 'A'.repeat(43) }],
    ['a cross-site Origin', { ...own, origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: cross-site', { ...own, 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { ...own, 'sec-fetch-site': 'same-site' }],
    ['no Origin (with a valid CSRF token)', { 'x-csrf-token': s.csrf }],
    ['an Origin matching the Host it sends, not public_url', { 'x-csrf-token': s.csrf, origin: 'https://evil.example', host: 'evil.example' }],
    ['Origin: null', { 'x-csrf-token': s.csrf, origin: 'null' }],
  ];
}

test('DELETE /api/v1/me/sessions: every forgery is refused and no session ends', async () => {
  const victim = await signIn(server, { email: VICTIM, password: VICTIM_PASSWORD });
  const count = async () => (await call(server, victim, 'GET', '/api/v1/me/sessions')).json.sessions.length;
  const n = await count();
  for (const [what, headers] of forgeries(victim)) {
    assertProblem(await raw(victim, 'DELETE', '/api/v1/me/sessions', headers), 403, what);
    assert.equal(await count(), n, `no session ended after ${what}`);
  }
});

test('PATCH /api/v1/productions/{id}: every forgery is refused and require_mfa stays as it was', async () => {
  const p = `/api/v1/productions/${prod.id}`;
  for (const [what, headers] of forgeries(admin)) {
    assertProblem(await raw(admin, 'PATCH', p, headers, { require_mfa: true }), 403, what);
    assert.equal((await call(server, admin, 'GET', p)).json.require_mfa, false, `unchanged after ${what}`);
  }
  const ok = await call(server, admin, 'PATCH', p, { body: { require_mfa: true } });
  assert.equal(ok.status, 200, `the genuine request: ${ok.body}`);
  await call(server, admin, 'PATCH', p, { body: { require_mfa: false } });
});

test('PUT .../sustainability/settings: every forgery is refused and the settings stay as they were', async () => {
  const p = `/api/v1/productions/${prod.id}/sustainability/settings`;
  const before = (await call(server, admin, 'GET', p)).json;
  for (const [what, headers] of forgeries(admin)) {
    assertProblem(await raw(admin, 'PUT', p, headers, { budget_kg: 1 }), 403, what);
    assert.deepEqual((await call(server, admin, 'GET', p)).json, before, `unchanged after ${what}`);
  }
  const ok = await call(server, admin, 'PUT', p, { body: { budget_kg: 1 } });
  assert.equal(ok.status, 200, `the genuine request: ${ok.body}`);
});

test('without Origin, Sec-Fetch-Site: same-origin and the CSRF token are accepted', async () => {
  const s = await signIn(server, { email: VICTIM, password: VICTIM_PASSWORD });
  // passes the CSRF check and reaches the handler, which finds no such session
  const r = await raw(s, 'DELETE', '/api/v1/me/sessions/ses_nosuchsessionxxxxxxxxxxxxx', { 'x-csrf-token': s.csrf, 'sec-fetch-site': 'same-origin' });
  assertProblem(r, 404, 'same-origin by Sec-Fetch-Site');
});

test('public routes refuse what a browser marks as another site, and accept a client without Origin', async () => {
  const login = (headers) => request(server, { method: 'POST', path: '/api/v1/auth/login', headers, body: { email: VICTIM, password: VICTIM_PASSWORD } });
  assertProblem(await login({ origin: 'https://evil.example', host: 'evil.example' }), 403, 'an Origin matching its own Host');
  assertProblem(await login({ origin: `https://localhost:${server.port}` }), 403, 'an Origin other than public_url');
  assertProblem(await login({ 'sec-fetch-site': 'cross-site' }), 403, 'Sec-Fetch-Site: cross-site');
  const reset = await request(server, { method: 'POST', path: '/api/v1/auth/password-reset', headers: { origin: 'https://evil.example', host: 'evil.example' }, body: { email: VICTIM } });
  assertProblem(reset, 403, 'a reset request from another site');
  // a script (no browser, so no Origin) may still sign in; it holds no ambient credential to abuse
  assert.equal((await login({})).status, 200);
  assert.equal((await login({ origin: server.origin })).status, 200);
});
