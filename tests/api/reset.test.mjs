// Password reset by a single-use emailed link valid 30 minutes (issue 3),
// through the notification outbox and its file transport.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, request, runSlate, assertProblem, waitFor, slateSql } from './lib/harness.mjs';
import { signIn, call, signInAndChangePassword } from './lib/session.mjs';

let server;
const email = 'continuity@example.org';
const first = 'script supervisor notes in the margin';
const second = 'a brand new passphrase for the reshoot';

const post = (p, body, headers = {}) => request(server, { method: 'POST', path: p, body, headers });
const mails = () => {
  const dir = path.join(server.data, 'mail');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => path.join(dir, f)) : [];
};
const sql = (q) => slateSql(server.data, q);

before(async () => {
  server = await startServer();
  const { password } = JSON.parse(runSlate(['user', 'add', '--email', email, '--name', 'Continuity', '--data', server.data, '--json']).stdout);
  await signInAndChangePassword(server, first, { email, oneTime: password });
});
after(async () => { await server?.stop(); });

test('asking for a link answers the same whether or not the account exists', async () => {
  const known = await post('/api/v1/auth/password-reset', { email });
  const unknown = await post('/api/v1/auth/password-reset', { email: 'nobody@example.org' });
  assert.equal(known.status, 202);
  assert.equal(unknown.status, 202);
  assert.equal(known.body, unknown.body);
  assertProblem(await post('/api/v1/auth/password-reset', { email }, { origin: 'https://evil.example' }), 403, 'from another site');
});

test('the link arrives as a message, and the outbox forgets its body once sent', async () => {
  const files = await waitFor(() => { const m = mails(); return m.length >= 1 ? m : null; }, { what: 'a message in DATA/mail' });
  const text = readFileSync(files[0], 'utf8');
  assert.match(text, /^From: Slate <slate@localhost>\r\nTo: continuity@example\.org\r\nSubject: Reset your Slate password\r\n/);
  assert.match(text, /Content-Type: text\/plain; charset=utf-8\r\n/);
  const token = text.match(/\/reset-password#token=([A-Za-z0-9_-]{43})/)[1];
  assert.equal(statSync(files[0]).mode & 0o777, 0o600);
  await waitFor(() => sql("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND body = ''") === '1', { what: 'the sent body wiped' });
  assert.equal(sql(`SELECT COUNT(*) FROM password_reset WHERE token_hash LIKE '%${token}%'`), '0', 'only a hash is stored');
  server.token = token;
});

test('a weak password keeps the link; a good one sets the password, ends every session, and spends the link', async () => {
  const before = await signIn(server, { email, password: first });
  const weak = await post('/api/v1/auth/password-reset/complete', { token: server.token, new_password: 'password1234' });
  assertProblem(weak, 400, 'weak password');
  assert.equal(weak.json.errors[0].pointer, '/new_password');
  const ok = await post('/api/v1/auth/password-reset/complete', { token: server.token, new_password: second });
  assert.equal(ok.status, 204, ok.body);
  assertProblem(await call(server, before, 'GET', '/api/v1/me'), 401, 'a session from before the reset');
  assertProblem(await post('/api/v1/auth/login', { email, password: first }), 401, 'the old password');
  assert.equal((await signIn(server, { email, password: second })).res.status, 200);
  assertProblem(await post('/api/v1/auth/password-reset/complete', { token: server.token, new_password: 'yet another passphrase to try' }), 400, 'the link again');
  assertProblem(await post('/api/v1/auth/password-reset/complete', { token: 'A'.repeat(43), new_password: second }), 400, 'an unknown link');
});

test('at most five links an hour per account', async () => {
  for (let i = 0; i < 6; i++) assert.equal((await post('/api/v1/auth/password-reset', { email })).status, 202);
  // the links are made off the response path: wait for the desk to have served all six
  await waitFor(() => sql("SELECT COUNT(*) FROM audit_event WHERE action = 'auth.password_reset_request' AND outcome = 'throttled'") === '2', { what: 'two throttled requests' });
  assert.equal(sql("SELECT COUNT(*) FROM password_reset"), '5');
});
