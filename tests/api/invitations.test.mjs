// Invitations (issue 3): a production admin invites an email with a role and
// department; a single-use link valid 7 days creates the account or adds the
// membership.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, runSlate, assertProblem } from './lib/harness.mjs';
import { mailedToken } from './lib/mail.mjs';
import { signIn, call, readyAdmin, signInAndChangePassword } from './lib/session.mjs';

let server;
let admin;
let prod;

const accept = (body) => request(server, { method: 'POST', path: '/api/v1/invitations/accept', body });

const linkFor = (to) => mailedToken(server, to);

async function invite(email, role, department) {
  const r = await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/invitations`, { body: department ? { email, role, department } : { email, role } });
  assert.equal(r.status, 201, r.body);
  return r.json;
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Invited Show', timezone: 'Europe/Paris' } })).json;
});
after(async () => { await server?.stop(); });

test('an invitation to a new email creates the account, once, with a password the policy accepts', async () => {
  const inv = await invite('newcomer@example.org', 'crew', 'Grip');
  assert.equal(Date.parse(inv.expires_at) - Date.parse(inv.created_at), 7 * 86400e3);
  const pending = await call(server, admin, 'GET', `/api/v1/productions/${prod.id}/invitations`);
  assert.ok(pending.json.invitations.some((x) => x.id === inv.id));
  const token = await linkFor('newcomer@example.org');
  let r = await accept({ token });
  assertProblem(r, 400, 'no password');
  assert.equal(r.json.errors[0].pointer, '/password');
  assertProblem(await accept({ token, password: 'password1234' }), 400, 'a weak password');
  r = await accept({ token, password: 'dolly grip on the long crane day', display_name: 'New Comer' });
  assert.equal(r.status, 201, r.body);
  assert.deepEqual(r.json, { production_id: prod.id, role: 'crew', account: 'created' });
  assertProblem(await accept({ token, password: 'dolly grip on the long crane day' }), 400, 'the link again');
  const s = await signIn(server, { email: 'newcomer@example.org', password: 'dolly grip on the long crane day' });
  assert.equal(s.user.display_name, 'New Comer');
  const mine = await call(server, s, 'GET', '/api/v1/productions');
  assert.deepEqual(mine.json.productions.map((p) => [p.id, p.role]), [[prod.id, 'crew']]);
  const gone = await call(server, admin, 'GET', `/api/v1/productions/${prod.id}/invitations`);
  assert.ok(!gone.json.invitations.some((x) => x.id === inv.id), 'no longer pending');
});

test('an invitation to an existing account adds the membership without a password', async () => {
  const { password } = JSON.parse(runSlate(['user', 'add', '--email', 'veteran@example.org', '--data', server.data, '--json']).stdout);
  const s = await signInAndChangePassword(server, 'thirty years of night shoots behind me', { email: 'veteran@example.org', oneTime: password });
  await invite('Veteran@Example.org', 'department_head', 'Camera');
  const r = await accept({ token: await linkFor('Veteran@Example.org') });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.account, 'existing');
  const me = (await call(server, s, 'GET', `/api/v1/productions/${prod.id}/members`)).json.members;
  assert.ok(me.some((m) => m.email === 'veteran@example.org' && m.role === 'department_head' && m.department === 'Camera'));
});

test('bad invitations name the field; only production admins and producers invite', async () => {
  const post = (body, who = admin) => call(server, who, 'POST', `/api/v1/productions/${prod.id}/invitations`, { body });
  assert.equal((await post({ email: 'x@example.org', role: 'gaffer' })).json.errors[0].pointer, '/role');
  assert.equal((await post({ email: 'not-an-address', role: 'crew' })).json.errors[0].pointer, '/email');
  assert.equal((await post({ email: 'x@example.org', role: 'department_head' })).json.errors[0].pointer, '/department');
  const s = await signIn(server, { email: 'newcomer@example.org', password: 'dolly grip on the long crane day' });
  assertProblem(await post({ email: 'friend@example.org', role: 'crew' }, s), 403, 'crew inviting');
  assertProblem(await accept({ token: 'A'.repeat(43), password: 'whatever it may be today' }), 400, 'an unknown link');
});
