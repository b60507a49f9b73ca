// Instance administration of accounts over the API (issue 19): an instance
// administrator adds an account exactly as `slate user add` does (one-time
// password shown once, to be changed at first sign-in), disables one (it
// cannot sign in, and its open session and API tokens end at once) and
// enables it again; nobody else can, an administrator cannot disable
// themselves, and every change is audited with the administrator as actor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSlate, slateSql, assertProblem, request } from './lib/harness.mjs';
import { signIn, call, readyAdmin, newAccount, signInAndChangePassword } from './lib/session.mjs';

let server;
let admin;
let adminId;
const USERS = '/api/v1/admin/users';

const events = (action, object) => JSON.parse(slateSql(server.data,
  `SELECT actor, action, object, outcome FROM audit_event WHERE action = '${action}' AND object = '${object}' ORDER BY seq`, { json: true }) || '[]');
const accounts = async () => (await call(server, admin, 'GET', USERS)).json.users;

async function add(body, session = admin) {
  return call(server, session, 'POST', USERS, { body });
}

async function login(email, password) {
  return request(server, { method: 'POST', path: '/api/v1/auth/login', headers: { origin: server.origin }, body: { email, password } });
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  adminId = (await call(server, admin, 'GET', '/api/v1/me')).json.user.id;
});
after(async () => { await server?.stop(); });

test('an added account signs in with its one-time password and must change it', async () => {
  const r = await add({ email: 'Gaffer@Example.org', display_name: 'Grace Gaffer' });
  assert.equal(r.status, 201, r.body);
  assert.match(r.json.id, /^usr_[a-z2-7]{26}$/);
  assert.equal(r.json.email, 'Gaffer@Example.org');
  assert.equal(r.json.display_name, 'Grace Gaffer');
  assert.equal(r.json.instance_admin, false);
  assert.equal(r.json.password.length, 20);
  const s = await signIn(server, { email: 'gaffer@example.org', password: r.json.password });
  assert.equal(s.res.json.must_change_password, true, 'the one-time password must be changed');
  assert.equal(s.user.display_name, 'Grace Gaffer');
  const listed = (await accounts()).find((u) => u.id === r.json.id);
  assert.deepEqual({ ...listed }, { id: r.json.id, email: 'Gaffer@Example.org', display_name: 'Grace Gaffer', instance_admin: false, disabled: false, must_change_password: true });
  await signInAndChangePassword(server, 'a long and lovely passphrase for the lamps', { email: 'gaffer@example.org', oneTime: r.json.password });
  assert.deepEqual(events('user.add', r.json.id), [{ actor: adminId, action: 'user.add', object: r.json.id, outcome: 'success' }]);
  assert.ok(!slateSql(server.data, 'SELECT password_hash FROM app_user').includes(r.json.password), 'only a hash is stored');
});

test('the API answers as `slate user add --json` does, by the same rules', async () => {
  const cli = JSON.parse(runSlate(['user', 'add', '--email', 'best.boy@example.org', '--data', server.data, '--json']).stdout);
  const api = await add({ email: 'key.grip@example.org' });
  assert.equal(api.status, 201, api.body);
  assert.deepEqual(Object.keys(api.json).sort(), Object.keys(cli).sort());
  assert.equal(api.json.display_name, 'key.grip', "no display name: the email's part before '@', as the shell");
  assert.equal(cli.display_name, 'best.boy');
  const a = await add({ email: 'second.admin@example.org', instance_admin: true });
  assert.equal(a.status, 201, a.body);
  assert.equal(a.json.instance_admin, true);
  assert.equal((await accounts()).find((u) => u.id === a.json.id).instance_admin, true);
  assert.deepEqual(events('user.add_admin', a.json.id), [{ actor: adminId, action: 'user.add_admin', object: a.json.id, outcome: 'success' }]);
  assert.deepEqual(events('user.add', a.json.id), []);
});

test('a taken or malformed email is refused naming /email, and nothing is added', async () => {
  const before = (await accounts()).length;
  const dup = await add({ email: 'GAFFER@example.org' });
  assertProblem(dup, 409, 'an email in use, case-insensitively');
  assert.deepEqual(dup.json.errors.map((e) => e.pointer), ['/email']);
  for (const body of [{ email: 'not an address' }, { email: 'nobody' }, {}, { email: 42 }]) {
    const bad = await add(body);
    assertProblem(bad, 400, JSON.stringify(body));
    assert.ok(bad.json.errors.some((e) => e.pointer === '/email'), `${JSON.stringify(body)} names /email: ${bad.body}`);
  }
  assertProblem(await add({ email: 'blank@example.org', display_name: '  ' }), 400, 'a blank display name');
  assertProblem(await add({ email: 'flag@example.org', instance_admin: 'yes' }), 400, 'instance_admin is a boolean');
  assert.equal((await accounts()).length, before);
});

test('someone who is not an instance administrator cannot add, disable or enable an account', async () => {
  const other = await newAccount(server, 'producer@example.org', 'the unit base is by the river bend');
  const target = (await accounts()).find((u) => u.email === 'Gaffer@Example.org');
  const r = await add({ email: 'sneaky@example.org', instance_admin: true }, other);
  assertProblem(r, 403, 'add');
  assert.ok(!(await accounts()).some((u) => u.email === 'sneaky@example.org'), 'nothing created');
  assertProblem(await call(server, other, 'POST', `${USERS}/${target.id}/disable`), 403, 'disable');
  assertProblem(await call(server, other, 'POST', `${USERS}/${target.id}/enable`), 403, 'enable');
  assert.equal((await accounts()).find((u) => u.id === target.id).disabled, false);
  // a session write like any other: no CSRF token, no account
  const noCsrf = await call(server, { cookie: admin.cookie }, 'POST', USERS, { body: { email: 'forged@example.org' } });
  assertProblem(noCsrf, 403, 'without the CSRF token');
  assert.ok(!(await accounts()).some((u) => u.email === 'forged@example.org'), 'nothing created by a forged request');
  // an API token, even the administrator's own read-write one, reaches only its production's routes
  const prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Token Reach', timezone: 'UTC' } })).json;
  const tok = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'ops', production_id: prod.id, access: 'read_write' } });
  assert.equal(tok.status, 201, tok.body);
  const byToken = await request(server, { method: 'POST', path: USERS, headers: { authorization: `Bearer ${tok.json.token}` }, body: { email: 'via.token@example.org' } });
  assert.ok(byToken.status === 401 || byToken.status === 403, `a token is refused: ${byToken.status} ${byToken.body}`);
  assert.ok(!(await accounts()).some((u) => u.email === 'via.token@example.org'), 'nothing created by a token');
});

test("a disabled account's open session is refused on its next request and it cannot sign in; enabling lets it sign in again", async () => {
  const pw = 'the camera track runs along the quay';
  const r = await add({ email: 'dolly@example.org' });
  const s = await signInAndChangePassword(server, pw, { email: 'dolly@example.org', oneTime: r.json.password });
  assert.equal((await call(server, s, 'GET', '/api/v1/me')).status, 200);
  // an API token of the account, for a production it belongs to
  const prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Disabled Dolly', timezone: 'UTC' } })).json;
  assert.equal((await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/members`, { body: { email: 'dolly@example.org', role: 'crew', department: 'Grip' } })).status, 201);
  const tok = await call(server, s, 'POST', '/api/v1/me/tokens', { body: { name: 'sync', production_id: prod.id, access: 'read' } });
  assert.equal(tok.status, 201, tok.body);
  const byToken = () => request(server, { path: `/api/v1/productions/${prod.id}/people`, headers: { authorization: `Bearer ${tok.json.token}` } });
  assert.equal((await byToken()).status, 200);

  const d = await call(server, admin, 'POST', `${USERS}/${r.json.id}/disable`);
  assert.equal(d.status, 200, d.body);
  assert.equal(d.json.disabled, true);
  assertProblem(await call(server, s, 'GET', '/api/v1/me'), 401, 'the open session, on its next request');
  assertProblem(await login('dolly@example.org', pw), 401, 'sign-in while disabled');
  assertProblem(await byToken(), 401, 'the API token');
  assert.equal((await accounts()).find((u) => u.id === r.json.id).disabled, true);
  assert.equal((await call(server, admin, 'POST', `${USERS}/${r.json.id}/disable`)).status, 200, 'again: harmless');
  assert.deepEqual(events('user.disable', r.json.id), [{ actor: adminId, action: 'user.disable', object: r.json.id, outcome: 'success' }], 'one event, for the change');

  const en = await call(server, admin, 'POST', `${USERS}/${r.json.id}/enable`);
  assert.equal(en.status, 200, en.body);
  assert.equal(en.json.disabled, false);
  assert.equal((await login('dolly@example.org', pw)).status, 200, 'sign-in after enabling');
  assertProblem(await call(server, s, 'GET', '/api/v1/me'), 401, 'the old session stays ended');
  assertProblem(await byToken(), 401, 'the old API token stays ended');
  assert.deepEqual(events('user.enable', r.json.id), [{ actor: adminId, action: 'user.enable', object: r.json.id, outcome: 'success' }]);
  assertProblem(await call(server, admin, 'POST', `${USERS}/usr_nosuchaccountnosuchaccount/disable`), 404, 'no such account');
  assertProblem(await call(server, admin, 'POST', `${USERS}/usr_nosuchaccountnosuchaccount/enable`), 404, 'no such account');
});

test('an administrator cannot disable their own account', async () => {
  const r = await call(server, admin, 'POST', `${USERS}/${adminId}/disable`);
  assertProblem(r, 403, 'self-disable');
  assert.equal((await call(server, admin, 'GET', '/api/v1/me')).status, 200, 'still signed in');
  assert.equal((await accounts()).find((u) => u.id === adminId).disabled, false);
  assert.deepEqual(events('user.disable', adminId), [{ actor: adminId, action: 'user.disable', object: adminId, outcome: 'denied' }]);
});
