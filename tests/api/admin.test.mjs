// Instance administration (issue 3): an instance admin lists and ends the
// sessions of one account or of everyone, effective on the next request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSlate, assertProblem } from './lib/harness.mjs';
import { signIn, call, readyAdmin, signInAndChangePassword } from './lib/session.mjs';

let server;
let admin;
const pw = 'the rushes arrive at dawn by courier';

async function person(email) {
  const { password } = JSON.parse(runSlate(['user', 'add', '--email', email, '--data', server.data, '--json']).stdout);
  return signInAndChangePassword(server, pw, { email, oneTime: password });
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
});
after(async () => { await server?.stop(); });

test('only instance administrators reach the admin routes', async () => {
  const s = await person('runner@example.org');
  for (const [m, p] of [['GET', '/api/v1/admin/users'], ['GET', '/api/v1/admin/users/usr_x/sessions'],
    ['DELETE', '/api/v1/admin/users/usr_x/sessions'], ['DELETE', '/api/v1/admin/sessions']]) {
    assertProblem(await call(server, s, m, p), 403, `${m} ${p}`);
  }
});

test("an admin lists an account's sessions and ends them; the account's next request is refused", async () => {
  const a = await person('loader@example.org');
  const b = await signIn(server, { email: 'loader@example.org', password: pw });
  const users = (await call(server, admin, 'GET', '/api/v1/admin/users')).json.users;
  const loader = users.find((u) => u.email === 'loader@example.org');
  const list = await call(server, admin, 'GET', `/api/v1/admin/users/${loader.id}/sessions`);
  assert.equal(list.status, 200);
  assert.equal(list.json.sessions.length, 2);
  const end = await call(server, admin, 'DELETE', `/api/v1/admin/users/${loader.id}/sessions`);
  assert.equal(end.json.ended, 2);
  assertProblem(await call(server, a, 'GET', '/api/v1/me'), 401, 'first session');
  assertProblem(await call(server, b, 'GET', '/api/v1/me'), 401, 'second session');
  assertProblem(await call(server, admin, 'GET', '/api/v1/admin/users/usr_nosuchuser/sessions'), 404, 'no such account');
});

test("ending everyone's sessions keeps only the administrator's own", async () => {
  const x = await person('driver@example.org');
  const y = await signIn(server, { email: 'runner@example.org', password: pw });
  const r = await call(server, admin, 'DELETE', '/api/v1/admin/sessions');
  assert.equal(r.status, 200);
  assert.ok(r.json.ended >= 2);
  assertProblem(await call(server, x, 'GET', '/api/v1/me'), 401, 'driver');
  assertProblem(await call(server, y, 'GET', '/api/v1/me'), 401, 'runner');
  assert.equal((await call(server, admin, 'GET', '/api/v1/me')).status, 200, "the admin's own session");
});
