// `slate member` (issue 3): the same membership rules as the API, from the
// shell, with one clear line and a non-zero exit on bad input, and effects
// on a running server's very next request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSlate, assertProblem, ADMIN_EMAIL } from './lib/harness.mjs';
import { call, signInAndChangePassword } from './lib/session.mjs';

let server;
let demo;
const member = (...args) => runSlate(['member', ...args, '--data', server.data]);

function oneLine(r, code, pattern) {
  assert.equal(r.code, code, `exit code; stdout: ${r.stdout} stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^slate: member: /);
  if (pattern) assert.match(lines[0], pattern);
}

before(async () => {
  server = await startServer();
  const list = member('list');
  assert.equal(list.code, 0, list.stderr);
  demo = list.stdout.split('\n').find((l) => l.includes('Northern Lights')).split(/\s+/)[0];
  assert.match(demo, /^prd_/);
});
after(async () => { await server?.stop(); });

test('a member added from the shell can use the production; the list shows them', async () => {
  const add = runSlate(['user', 'add', '--email', 'best.boy@example.org', '--data', server.data, '--json']);
  const { password } = JSON.parse(add.stdout);
  const r = member('add', '--production', demo, '--email', 'best.boy@example.org', '--role', 'crew', '--department', 'Electric');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /best\.boy@example\.org is crew in Electric/);
  const s = await signInAndChangePassword(server, 'sparks fly over the gantry tonight', { email: 'best.boy@example.org', oneTime: password });
  assert.equal((await call(server, s, 'GET', `/api/v1/productions/${demo}`)).status, 200);
  const list = JSON.parse(member('list', '--production', demo, '--json').stdout);
  const me = list.find((m) => m.email === 'best.boy@example.org');
  assert.deepEqual([me.role, me.department, me.revoked], ['crew', 'Electric', false]);
  assert.ok(list.some((m) => m.email === ADMIN_EMAIL && m.role === 'production_admin'));
  server.bestBoy = s;
});

test('bad input is one line and a non-zero exit', () => {
  oneLine(member('add', '--production', demo, '--email', 'best.boy@example.org', '--role', 'gaffer'), 2, /role/);
  oneLine(member('set-role', '--production', demo, '--email', 'best.boy@example.org', '--role', 'department_head', '--department', ''), 2, /department/);
  oneLine(member('set-role', '--production', demo, '--email', 'best.boy@example.org', '--role', 'crew', '--department', 'Janitorial'), 2, /department/);
  oneLine(member('add', '--production', demo, '--email', 'best.boy@example.org', '--role', 'crew'), 1, /already a member/);
  oneLine(member('add', '--production', demo, '--email', 'nobody@example.org', '--role', 'crew'), 1, /no account/);
  oneLine(member('revoke', '--production', 'prd_nosuchproductionxxxxxxxxxx', '--email', 'best.boy@example.org'), 1, /no such member/);
  oneLine(member('list', '--production', 'prd_nosuchproductionxxxxxxxxxx'), 1, /no production/);
  oneLine(member('revoke', '--production', demo, '--email', ADMIN_EMAIL), 1, /at least one production admin or producer/);
  oneLine(member('add', '--production', demo), 2);
  oneLine(member('promote'), 2);
});

test("a role change from the shell applies on the member's next request", async () => {
  const s = server.bestBoy;
  const before = await call(server, s, 'GET', `/api/v1/productions/${demo}/members`);
  assert.equal(before.json.members.length, 1, 'crew sees only themselves');
  const r = member('set-role', '--production', demo, '--email', 'best.boy@example.org', '--role', 'ad');
  assert.equal(r.code, 0, r.stderr);
  const after = await call(server, s, 'GET', `/api/v1/productions/${demo}/members`);
  assert.ok(after.json.members.length >= 2, 'an AD sees everyone');
});

test("a revoke from the shell ends the member's sessions on their next request; reinstate brings access back", async () => {
  const r = member('revoke', '--production', demo, '--email', 'best.boy@example.org');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sessions have ended/);
  assertProblem(await call(server, server.bestBoy, 'GET', `/api/v1/productions/${demo}`), 401, 'after revoke');
  assert.equal(member('reinstate', '--production', demo, '--email', 'best.boy@example.org').code, 0);
  const list = JSON.parse(member('list', '--production', demo, '--json').stdout);
  assert.equal(list.find((m) => m.email === 'best.boy@example.org').revoked, false);
});
