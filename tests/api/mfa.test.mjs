// The second factor (issue 3): TOTP enrolment with an otpauth URI and a QR
// code, codes accepted ±1 step and never twice, single-use recovery codes,
// MFA required for instance admins and producers and, on request, for a
// whole production.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSlate, assertProblem, ADMIN_EMAIL } from './lib/harness.mjs';
import { signIn, call, signInAndChangePassword, enrolTotp, totpCode, NEW_PASSWORD } from './lib/session.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function ordinaryUser(email) {
  const add = runSlate(['user', 'add', '--email', email, '--data', server.data, '--json']);
  const { password } = JSON.parse(add.stdout);
  const pw = `the ${email.split('@')[0].length} lights are out on the stage`;
  const s = await signInAndChangePassword(server, pw, { email, oneTime: password });
  return { s, pw };
}

test('an instance admin must set up a second factor before anything else', async () => {
  const s = await signInAndChangePassword(server);
  const me = await call(server, s, 'GET', '/api/v1/me');
  assert.deepEqual(me.json.mfa, { enrolled: false, required: true });
  const r = await call(server, s, 'GET', '/api/v1/productions');
  assertProblem(r, 403, 'before enrolment');
  assert.match(r.json.detail, /second factor/);
});

test('enrolment gives a secret, an otpauth URI and a QR code, and is confirmed by a code', async () => {
  const s = await signIn(server, { password: NEW_PASSWORD });
  const begin = await call(server, s, 'POST', '/api/v1/me/mfa/totp');
  assert.equal(begin.status, 200);
  assert.match(begin.json.secret, /^[A-Z2-7]{32}$/);
  assert.equal(begin.json.otpauth_uri,
    `otpauth://totp/Slate:admin%40localhost?secret=${begin.json.secret}&issuer=Slate&algorithm=SHA1&digits=6&period=30`);
  assert.match(begin.json.qr_svg, /^<svg[^>]*>.*<path /s);
  const wrong = await call(server, s, 'POST', '/api/v1/me/mfa/totp/confirm', { body: { code: '000000' === totpCode(begin.json.secret) ? '111111' : '000000' } });
  assertProblem(wrong, 400, 'a wrong code');
  assert.equal(wrong.json.errors[0].pointer, '/code');
  const ok = await call(server, s, 'POST', '/api/v1/me/mfa/totp/confirm', { body: { code: totpCode(begin.json.secret) } });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.recovery_codes.length, 10);
  assert.equal(new Set(ok.json.recovery_codes).size, 10);
  for (const c of ok.json.recovery_codes) assert.match(c, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  assertProblem(await call(server, s, 'POST', '/api/v1/me/mfa/totp'), 409, 'enrolling twice');
  assert.equal((await call(server, s, 'GET', '/api/v1/productions')).status, 200, 'after enrolment');
  server.totp = { secret: begin.json.secret, recovery: ok.json.recovery_codes };
});

test('sign-in then needs a code; a code is never accepted twice', async () => {
  const { secret } = server.totp;
  const none = await request401({});
  assert.equal(none.json.errors[0].pointer, '/totp');
  await request401({ totp: '123456' === totpCode(secret) ? '654321' : '123456' });
  // the enrolment used the current step: the next step's code (±1 allowed) signs in once
  const next = totpCode(secret, Date.now(), 1);
  const ok = await signIn(server, { password: NEW_PASSWORD, totp: next });
  assert.equal(ok.res.status, 200);
  await request401({ totp: next }, 'the same code again');
  await request401({ totp: totpCode(secret) }, 'an earlier step');
});

async function request401(extra, what = 'sign-in') {
  const res = await call(server, { cookie: '' }, 'POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: NEW_PASSWORD, ...extra } });
  assertProblem(res, 401, what);
  return res;
}

test('a recovery code signs in once, in any case and with or without dashes', async () => {
  const [first, second] = server.totp.recovery;
  const ok = await signIn(server, { password: NEW_PASSWORD, totp: first.toLowerCase().replaceAll('-', ' ') });
  assert.equal(ok.res.status, 200);
  await request401({ totp: first }, 'the same recovery code');
  assert.equal((await signIn(server, { password: NEW_PASSWORD, totp: second })).res.status, 200);
});

test('an instance admin cannot remove the second factor; an ordinary user can', async () => {
  const admin = await signIn(server, { password: NEW_PASSWORD, totp: server.totp.recovery[2] });
  assertProblem(await call(server, admin, 'POST', '/api/v1/me/mfa/totp/disable', { body: { code: server.totp.recovery[3] } }), 403, 'admin disabling');
  const { s, pw } = await ordinaryUser('dolly@example.org');
  const { secret, recoveryCodes } = await enrolTotp(server, s);
  assertProblem(await call(server, s, 'POST', '/api/v1/me/mfa/totp/disable', { body: { code: 'AAAA-BBBB-CCCC-DDDD' } }), 403, 'a wrong code');
  assert.equal((await call(server, s, 'POST', '/api/v1/me/mfa/totp/disable', { body: { code: recoveryCodes[0] } })).status, 204);
  const back = await signIn(server, { email: 'dolly@example.org', password: pw });
  assert.equal(back.res.status, 200, 'no code needed any more');
  assert.ok(secret);
});

test('a production can require a second factor of every member', async () => {
  const admin = await signIn(server, { password: NEW_PASSWORD, totp: server.totp.recovery[4] });
  const prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Secure Show', timezone: 'UTC' } })).json;
  const { s } = await ordinaryUser('sparks@example.org');
  assert.equal((await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/members`, { body: { email: 'sparks@example.org', role: 'crew', department: 'Electric' } })).status, 201);
  assert.equal((await call(server, s, 'GET', `/api/v1/productions/${prod.id}`)).status, 200);
  const on = await call(server, admin, 'PATCH', `/api/v1/productions/${prod.id}`, { body: { require_mfa: true } });
  assert.equal(on.json.require_mfa, true);
  assertProblem(await call(server, s, 'GET', `/api/v1/productions/${prod.id}`), 403, 'crew without a second factor');
  await enrolTotp(server, s);
  assert.equal((await call(server, s, 'GET', `/api/v1/productions/${prod.id}`)).status, 200, 'after enrolment');
  assertProblem(await call(server, s, 'PATCH', `/api/v1/productions/${prod.id}`, { body: { require_mfa: false } }), 403, 'crew changing the rule');
});
