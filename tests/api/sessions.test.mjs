// Sessions, CSRF and the password change (issue 3): each promise proved from
// outside over real HTTPS against a real server and SQLite file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { SLATE_BIN, startServer, request, assertProblem, ADMIN_EMAIL, ADMIN_PASSWORD, slateSql } from './lib/harness.mjs';
import { signIn, call, cookieFrom, signInAndChangePassword, NEW_PASSWORD } from './lib/session.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function auditRows(srv) {
  const out = slateSql(srv.data, 'SELECT seq, actor, source, action, object, outcome, request_id FROM audit_event ORDER BY seq', { json: true });
  return out ? JSON.parse(out) : [];
}

test('the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict and carries 256 bits', async () => {
  const s = await signIn(server);
  const set = [].concat(s.res.headers['set-cookie']).find((v) => v.startsWith('__Host-slate_session='));
  assert.match(set, /; Path=\/;/);
  assert.match(set, /; Secure;/);
  assert.match(set, /; HttpOnly;/);
  assert.match(set, /; SameSite=Strict;/);
  assert.doesNotMatch(set, /Domain=/i);
  assert.equal(s.cookie.split('=')[1].length, 43, 'base64url of 32 bytes');
  assert.match(s.csrf, /^[A-Za-z0-9_-]{43}$/);
  const again = await signIn(server);
  assert.notEqual(again.cookie, s.cookie, 'a new token at every sign-in');
});

test('the one-time password admits only /me, the password change and sign-out', async () => {
  const s = await signIn(server);
  assert.equal(s.res.json.must_change_password, true);
  const me = await call(server, s, 'GET', '/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.user.email, ADMIN_EMAIL);
  assert.equal(me.json.csrf_token, s.csrf);
  assertProblem(await call(server, s, 'GET', '/api/v1/productions'), 403, 'productions before the change');
});

test('a weak or short new password is refused naming the field; a wrong current one is refused', async () => {
  const s = await signIn(server);
  for (const weak of ['short', 'passwordpassword', 'admin123admin123', '123456789012']) {
    const res = await call(server, s, 'POST', '/api/v1/me/password', { body: { current_password: ADMIN_PASSWORD, new_password: weak } });
    assertProblem(res, 400, `new password ${weak}`);
    assert.equal(res.json.errors[0].pointer, '/new_password');
  }
  const wrong = await call(server, s, 'POST', '/api/v1/me/password', { body: { current_password: 'not the password at all', new_password: NEW_PASSWORD } });
  assertProblem(wrong, 403, 'wrong current password');
});

test('a password change ends every other session and gives this one a new token', async () => {
  const other = await signIn(server);
  const mine = await signIn(server);
  const res = await call(server, mine, 'POST', '/api/v1/me/password', { body: { current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD } });
  assert.equal(res.status, 200, res.body);
  const renewed = { cookie: cookieFrom(res), csrf: res.json.csrf_token };
  assert.notEqual(renewed.cookie, mine.cookie);
  assertProblem(await call(server, other, 'GET', '/api/v1/me'), 401, 'the other session');
  assertProblem(await call(server, mine, 'GET', '/api/v1/me'), 401, 'the old token of this session');
  const me = await call(server, renewed, 'GET', '/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.must_change_password, false);
  assert.equal((await call(server, renewed, 'GET', '/api/v1/me/sessions')).status, 200);
  // the old password no longer signs in; the new one does
  const old = await request(server, { method: 'POST', path: '/api/v1/auth/login', body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  assertProblem(old, 401, 'the old password');
  await signIn(server, { password: NEW_PASSWORD });
});

test('replaying a signed-out cookie gets 401', async () => {
  const s = await signIn(server, { password: NEW_PASSWORD });
  const out = await call(server, s, 'POST', '/api/v1/auth/logout');
  assert.equal(out.status, 204);
  assert.match([].concat(out.headers['set-cookie']).join(), /Max-Age=0/);
  assertProblem(await call(server, s, 'GET', '/api/v1/me'), 401, 'replayed cookie');
});

test('a state change without the CSRF token, or from another site, is refused', async () => {
  const s = await signIn(server, { password: NEW_PASSWORD });
  assertProblem(await call(server, s, 'POST', '/api/v1/auth/logout', { headers: { 'x-csrf-token': '' } }), 403, 'no token');
  assertProblem(await call(server, s, 'POST', '/api/v1/auth/logout', { headers: { 'x-csrf-token': 'A'.repeat(43) } }), 403, 'wrong token');
  assertProblem(await call(server, s, 'POST', '/api/v1/auth/logout', { headers: { origin: 'https://evil.example' } }), 403, 'cross-site Origin');
  assertProblem(await call(server, s, 'POST', '/api/v1/auth/logout', { headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'Sec-Fetch-Site');
  assert.equal((await call(server, s, 'GET', '/api/v1/me')).status, 200, 'the session survived the forgeries');
  const login = await request(server, { method: 'POST', path: '/api/v1/auth/login', headers: { origin: 'https://evil.example' }, body: { email: ADMIN_EMAIL, password: NEW_PASSWORD } });
  assertProblem(login, 403, 'sign-in from another site');
});

test('a user lists their sessions, ends one, and signs out everywhere', async () => {
  const a = await signIn(server, { password: NEW_PASSWORD });
  const b = await signIn(server, { password: NEW_PASSWORD });
  const list = await call(server, a, 'GET', '/api/v1/me/sessions');
  assert.equal(list.status, 200);
  const current = list.json.sessions.filter((x) => x.current);
  assert.equal(current.length, 1);
  const others = list.json.sessions.filter((x) => !x.current);
  assert.ok(others.length >= 1);
  for (const x of list.json.sessions) assert.match(x.id, /^ses_[a-z2-7]{26}$/);
  // end b from a: b learns its own id from its list, where it is the current one
  const bid = (await call(server, b, 'GET', '/api/v1/me/sessions')).json.sessions.find((x) => x.current).id;
  assert.ok(others.some((x) => x.id === bid), "a sees b's session among its others");
  assert.equal((await call(server, a, 'DELETE', `/api/v1/me/sessions/${bid}`)).status, 204);
  assertProblem(await call(server, b, 'GET', '/api/v1/me'), 401, 'the ended session');
  assertProblem(await call(server, a, 'DELETE', `/api/v1/me/sessions/${bid}`), 404, 'ending it again');
  assertProblem(await call(server, a, 'DELETE', '/api/v1/me/sessions/ses_nosuchsession'), 404, 'no such session');
  const c = await signIn(server, { password: NEW_PASSWORD });
  assert.equal((await call(server, a, 'DELETE', '/api/v1/me/sessions')).status, 204);
  assertProblem(await call(server, a, 'GET', '/api/v1/me'), 401, 'this session after signing out everywhere');
  assertProblem(await call(server, c, 'GET', '/api/v1/me'), 401, 'another session after signing out everywhere');
});

test('authentication events are audited, hash-chained, and hold no secret', async () => {
  const rows = auditRows(server);
  const actions = new Set(rows.map((r) => `${r.action}:${r.outcome}`));
  for (const a of ['auth.login:success', 'auth.login:failure', 'auth.logout:success', 'auth.password_change:success',
    'auth.password_change:failure', 'auth.csrf:denied', 'auth.session_end:success', 'auth.logout_everywhere:success']) {
    assert.ok(actions.has(a), `audited: ${a}`);
  }
  assert.deepEqual(rows.map((r) => r.seq), rows.map((_, i) => i + 1));
  for (const r of rows) {
    assert.equal(r.source, '127.0.0.1');
    assert.match(r.request_id, /^[0-9a-f]{24}$/);
  }
  const all = JSON.stringify(rows);
  for (const secret of [ADMIN_PASSWORD, NEW_PASSWORD]) assert.ok(!all.includes(secret), 'no password in the audit log');
});

test('an idle session ends; an active one is kept alive without a write on every request', async (t) => {
  // 2 s idle; 8 s under valgrind and the sanitizers, where a sign-in and the request after it
  // can be seconds apart on a busy machine
  const idle = /valgrind|asan|tsan/.test(SLATE_BIN) ? 8 : 2;
  const srv = await startServer({ env: { SLATE_SESSION_IDLE: String(idle) } });
  t.after(() => srv.stop());
  const s = await signInAndChangePassword(srv);
  // active: a request every idle/5 s for 1.5 × idle keeps it alive past the idle limit
  for (let i = 0; i < 8; i++) {
    assert.equal((await call(srv, s, 'GET', '/api/v1/me')).status, 200, `active request ${i}`);
    await delay(idle * 200);
  }
  // idle: the clock runs out (this test is about time passing, so it waits for it)
  await delay(idle * 1000 + 300);
  assertProblem(await call(srv, s, 'GET', '/api/v1/me'), 401, `after ${idle} s idle`);
});

test('a session ends at its absolute lifetime however busy it is', async (t) => {
  const srv = await startServer({ env: { SLATE_SESSION_LIFETIME: '3' } });
  t.after(() => srv.stop());
  const s = await signInAndChangePassword(srv);
  const start = Date.now();
  let status = 200;
  while (Date.now() - start < 6000 && status === 200) {
    status = (await call(srv, s, 'GET', '/api/v1/me')).status;
    if (status === 200) await delay(250);
  }
  assert.equal(status, 401);
  const lived = (Date.now() - start) / 1000;
  assert.ok(lived >= 1.5 && lived < 4.5, `ended after ${lived} s of a 3 s lifetime`);
});
