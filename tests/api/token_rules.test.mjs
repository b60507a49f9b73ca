// API tokens obey every rule a session obeys, and end with the credentials
// they came from (issue 15 items 2 and 10): the second factor an account must
// have (its roles, or a production's require_mfa), a one-time password to
// change, a disabled account; a password change or reset, "sign out
// everywhere"; granting roles, inviting and require_mfa need a session; a
// lifetime bounded by api_token_max_days; and the last use is shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, request, runSlate, assertProblem, waitFor, slateSql } from './lib/harness.mjs';
import { call, readyAdmin, signInAndChangePassword, enrolTotp } from './lib/session.mjs';

let server;
let admin;
let prod;

const PASSWORD = 'a read-write sync for the production office';
const bearer = (token, method, p, body) => request(server, { method, path: p, body, headers: { authorization: `Bearer ${token}` } });
const production = (id = prod.id) => `/api/v1/productions/${id}`;

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Token Rules', timezone: 'UTC' } })).json;
});
after(async () => { await server?.stop(); });

/** A new account, member of `productionId` in `role`, signed in, with a token of `access`. */
async function memberWithToken(email, role, { productionId = prod.id, access = 'read_write' } = {}) {
  const add = runSlate(['user', 'add', '--email', email, '--data', server.data, '--json']);
  assert.equal(add.code, 0, add.stderr);
  const session = await signInAndChangePassword(server, PASSWORD, { email, oneTime: JSON.parse(add.stdout).password });
  const body = role === 'ad' ? { email, role, department: 'Direction/AD' } : { email, role };
  const m = await call(server, admin, 'POST', `${production(productionId)}/members`, { body });
  assert.equal(m.status, 201, m.body);
  const t = await call(server, session, 'POST', '/api/v1/me/tokens', { body: { name: 'sync', production_id: productionId, access } });
  assert.equal(t.status, 201, t.body);
  assert.equal((await bearer(t.json.token, 'GET', production(productionId))).status, 200, 'the token works to begin with');
  return { session, member: m.json, token: t.json };
}

test('a member promoted to producer without a second factor: their token is refused and cannot invite', async () => {
  const { session, member, token } = await memberWithToken('promoted@example.org', 'ad');
  const up = await call(server, admin, 'PATCH', `${production()}/members/${member.id}`, { body: { role: 'producer' } });
  assert.equal(up.status, 200, up.body);
  const read = await bearer(token.token, 'GET', production());
  assertProblem(read, 403, 'the token of a producer without a second factor');
  assert.match(read.json.detail, /second factor/);
  assertProblem(await bearer(token.token, 'POST', `${production()}/invitations`, { email: 'new-padmin@example.org', role: 'production_admin' }), 403, 'inviting with it');
  const invs = await call(server, admin, 'GET', `${production()}/invitations`);
  assert.ok(!invs.json.invitations.some((i) => i.email === 'new-padmin@example.org'), 'no invitation was made');
  // once the second factor is there, the token reads again (the rule, not a revocation)
  await enrolTotp(server, session);
  assert.equal((await bearer(token.token, 'GET', production())).status, 200);
});

test('a production that requires a second factor refuses the tokens of members without one', async () => {
  const strict = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Strict Show', timezone: 'UTC' } })).json;
  const { token } = await memberWithToken('crew-strict@example.org', 'crew', { productionId: strict.id, access: 'read' });
  assert.equal((await call(server, admin, 'PATCH', production(strict.id), { body: { require_mfa: true } })).status, 200);
  const r = await bearer(token.token, 'GET', `${production(strict.id)}/people`);
  assertProblem(r, 403, 'require_mfa and no second factor');
  assert.match(r.json.detail, /second factor/);
  assert.equal((await call(server, admin, 'PATCH', production(strict.id), { body: { require_mfa: false } })).status, 200);
  assert.equal((await bearer(token.token, 'GET', `${production(strict.id)}/people`)).status, 200, 'allowed again once not required');
});

test('the token of a disabled account, or of one that must change its password, is refused', async () => {
  const a = await memberWithToken('to-disable@example.org', 'crew', { access: 'read' });
  const off = runSlate(['user', 'disable', '--email', 'to-disable@example.org', '--data', server.data]);
  assert.equal(off.code, 0, off.stderr);
  assertProblem(await bearer(a.token.token, 'GET', production()), 401, 'a disabled account');
  const b = await memberWithToken('must-change@example.org', 'crew', { access: 'read' });
  // as after an administrator's reset to a one-time password
  slateSql(server.data, `UPDATE app_user SET must_change_password = 1 WHERE id = (SELECT user_id FROM api_token WHERE id = '${b.token.id}')`, { write: true });
  const r = await bearer(b.token.token, 'GET', production());
  assertProblem(r, 403, 'a one-time password to change');
  assert.match(r.json.detail, /one-time password/);
});

test("a password change ends the account's tokens", async () => {
  const { session, token } = await memberWithToken('changes-password@example.org', 'crew');
  const r = await call(server, session, 'POST', '/api/v1/me/password', { body: { current_password: PASSWORD, new_password: 'another passphrase for the second unit' } });
  assert.equal(r.status, 200, r.body);
  assertProblem(await bearer(token.token, 'GET', production()), 401, 'a token from before the change');
});

test("a password reset ends the account's tokens", async () => {
  const email = 'resets-password@example.org';
  const { token } = await memberWithToken(email, 'crew');
  assert.equal((await request(server, { method: 'POST', path: '/api/v1/auth/password-reset', body: { email } })).status, 202);
  const dir = path.join(server.data, 'mail');
  const link = await waitFor(() => {
    if (!existsSync(dir)) return null;
    for (const f of readdirSync(dir)) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      if (text.includes(`\r\nTo: ${email}\r\n`)) return text.match(/#token=([A-Za-z0-9_-]{43})/)[1];
    }
    return null;
  }, { what: 'the reset mail' });
  const done = await request(server, { method: 'POST', path: '/api/v1/auth/password-reset/complete', body: { token: link, new_password: 'a passphrase set from the reset link' } });
  assert.equal(done.status, 204, done.body);
  assertProblem(await bearer(token.token, 'GET', production()), 401, 'a token from before the reset');
});

test('"sign out everywhere" ends the account\'s tokens', async () => {
  const { session, token } = await memberWithToken('signs-out@example.org', 'crew');
  assert.equal((await call(server, session, 'DELETE', '/api/v1/me/sessions')).status, 204);
  assertProblem(await bearer(token.token, 'GET', production()), 401, 'a token after sign out everywhere');
});

test('granting roles, inviting and require_mfa are refused to a token, even a production admin\'s', async () => {
  const { member } = await memberWithToken('granted@example.org', 'crew');
  await call(server, admin, 'POST', `${production()}/members/${member.id}/revoke`);
  const t = (await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'admin sync', production_id: prod.id, access: 'read_write' } })).json;
  const before = { prod: (await call(server, admin, 'GET', production())).json, members: (await call(server, admin, 'GET', `${production()}/members`)).json };
  runSlate(['user', 'add', '--email', 'outsider@example.org', '--data', server.data, '--json']);
  const attempts = [
    ['PATCH', production(), { require_mfa: true }],
    ['POST', `${production()}/members`, { email: 'outsider@example.org', role: 'production_admin' }],
    ['PATCH', `${production()}/members/${member.id}`, { role: 'producer' }],
    ['POST', `${production()}/members/${member.id}/reinstate`, undefined],
    ['POST', `${production()}/invitations`, { email: 'invited-by-token@example.org', role: 'production_admin' }],
  ];
  for (const [method, p, body] of attempts) {
    const r = await bearer(t.token, method, p, body);
    assertProblem(r, 403, `${method} ${p} with a token`);
    assert.equal(r.json.detail, 'a signed-in session with a second factor is needed');
  }
  assert.deepEqual((await call(server, admin, 'GET', production())).json, before.prod, 'the production is unchanged');
  assert.deepEqual((await call(server, admin, 'GET', `${production()}/members`)).json, before.members, 'the members are unchanged');
  const invs = await call(server, admin, 'GET', `${production()}/invitations`);
  assert.ok(!invs.json.invitations.some((i) => i.email === 'invited-by-token@example.org'), 'no invitation was made');
  assert.equal((await bearer(t.token, 'GET', production())).status, 200, 'the token itself still reads');
});

test('a token lives at most api_token_max_days (90 unless configured); a longer one is refused', async () => {
  const mint = (days) => call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'long', production_id: prod.id, access: 'read', expires_in_days: days } });
  const long = await mint(91);
  assertProblem(long, 400, '91 days');
  assert.equal(long.json.errors[0].pointer, '/expires_in_days');
  const ok = await mint(90);
  assert.equal(ok.status, 201, ok.body);
  assert.equal(Date.parse(ok.json.expires_at) - Date.parse(ok.json.created_at), 90 * 86400e3);
});

test('a shorter configured maximum bounds the expiry and the default', async () => {
  const s = await startServer({ env: { SLATE_API_TOKEN_MAX_DAYS: '7' } });
  try {
    const a = await readyAdmin(s);
    const p = (await call(s, a, 'POST', '/api/v1/productions', { body: { name: 'Short', timezone: 'UTC' } })).json;
    const eight = await call(s, a, 'POST', '/api/v1/me/tokens', { body: { name: 'x', production_id: p.id, access: 'read', expires_in_days: 8 } });
    assertProblem(eight, 400, '8 days when 7 is the most');
    assert.equal(eight.json.errors[0].pointer, '/expires_in_days');
    const dflt = await call(s, a, 'POST', '/api/v1/me/tokens', { body: { name: 'x', production_id: p.id, access: 'read' } });
    assert.equal(dflt.status, 201, dflt.body);
    assert.equal(Date.parse(dflt.json.expires_at) - Date.parse(dflt.json.created_at), 7 * 86400e3);
  } finally {
    await s.stop();
  }
});

test('a token shows when it was last used', async () => {
  const t = (await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'used', production_id: prod.id, access: 'read' } })).json;
  assert.equal(t.last_used_at, null);
  const listed = async () => (await call(server, admin, 'GET', '/api/v1/me/tokens')).json.tokens.find((x) => x.id === t.id);
  assert.equal((await listed()).last_used_at, null, 'never used yet');
  const t0 = Math.floor(Date.now() / 1000);
  assert.equal((await bearer(t.token, 'GET', production())).status, 200);
  const t1 = Math.ceil(Date.now() / 1000);
  const used = Date.parse((await listed()).last_used_at) / 1000;
  assert.ok(used >= t0 - 1 && used <= t1 + 1, `last_used_at ${used} within [${t0}, ${t1}]`);
});
