// `slate user add|list|disable` (issue 3): accounts from the shell, one clear
// line and a non-zero exit on bad input, and a disabled account's session
// refused on its very next request to a running server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSlate, assertProblem } from './lib/harness.mjs';
import { signIn, call } from './lib/session.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const user = (...args) => runSlate(['user', ...args, '--data', server.data]);

function oneLine(r, code) {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^slate: user: /);
}

test('an added account signs in with its one-time password and must change it', async () => {
  const r = user('add', '--email', 'Ada@Example.org', '--name', 'Ada Lovelace', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.match(out.id, /^usr_[a-z2-7]{26}$/);
  assert.equal(out.instance_admin, false);
  assert.equal(out.password.length, 20);
  const s = await signIn(server, { email: 'ada@example.org', password: out.password });
  assert.equal(s.user.display_name, 'Ada Lovelace');
  assert.equal(s.res.json.must_change_password, true);
});

test('bad input is one line and a non-zero exit', () => {
  oneLine(user('add', '--email', 'ADA@example.org'), 1); // exists, case-insensitively
  oneLine(user('add', '--email', 'not an address'), 2);
  oneLine(user('add'), 2);
  oneLine(user('disable', '--email', 'nobody@example.org'), 1);
  oneLine(user('add', '--email', 'weak@example.org', '--nonsense'), 2);
  oneLine(runSlate(['user', 'frobnicate', '--data', server.data]), 2);
  oneLine(runSlate(['user', 'list', '--data', '/nonexistent/slate']), 1);
  const weak = runSlate(['user', 'add', '--email', 'weak@example.org', '--data', server.data], { env: { SLATE_USER_PASSWORD: 'password1234' } });
  oneLine(weak, 1);
});

test('list shows every account with its status', () => {
  const r = user('list', '--json');
  assert.equal(r.code, 0, r.stderr);
  const all = JSON.parse(r.stdout);
  const emails = all.map((u) => u.email);
  assert.ok(emails.includes('admin@localhost'));
  assert.ok(emails.includes('Ada@Example.org'));
  assert.ok(!emails.includes('weak@example.org'), 'refused accounts were not created');
  assert.equal(all.find((u) => u.email === 'admin@localhost').instance_admin, true);
  const text = user('list');
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^EMAIL\s+NAME\s+ROLE\s+STATUS/);
});

test("a disabled account's session is refused on its next request, and it cannot sign in", async () => {
  const r = user('add', '--email', 'grip@example.org', '--json');
  const pw = JSON.parse(r.stdout).password;
  const s = await signIn(server, { email: 'grip@example.org', password: pw });
  assert.equal((await call(server, s, 'GET', '/api/v1/me')).status, 200);
  const d = user('disable', '--email', 'grip@example.org');
  assert.equal(d.code, 0, d.stderr);
  assertProblem(await call(server, s, 'GET', '/api/v1/me'), 401, 'the next request');
  const again = await call(server, { cookie: '' }, 'POST', '/api/v1/auth/login', { body: { email: 'grip@example.org', password: pw } });
  assertProblem(again, 401, 'sign-in after disable');
  assert.equal(user('disable', '--email', 'grip@example.org').code, 0, 'disabling twice is harmless');
  const listed = JSON.parse(user('list', '--json').stdout).find((u) => u.email === 'grip@example.org');
  assert.equal(listed.disabled, true);
});
