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

/** A fresh account signed in with `password`; returns its session. */
async function account(addr, password) {
  const { password: oneTime } = JSON.parse(runSlate(['user', 'add', '--email', addr, '--data', server.data, '--json']).stdout);
  return signInAndChangePassword(server, password, { email: addr, oneTime });
}

/** Waits for `n` reset links mailed to `addr`; returns their tokens. */
function linksTo(addr, n) {
  return waitFor(() => {
    const found = mails().map((f) => readFileSync(f, 'utf8')).filter((t) => t.includes(`\r\nTo: ${addr}\r\n`))
      .map((t) => t.match(/\/reset-password#token=([A-Za-z0-9_-]{43})/)[1]);
    return found.length >= n ? found : null;
  }, { what: `${n} reset links to ${addr}` });
}

test('using one reset link ends every other outstanding link of the account', async () => {
  const addr = 'two-links@example.org';
  await account(addr, first);
  assert.equal((await post('/api/v1/auth/password-reset', { email: addr })).status, 202);
  assert.equal((await post('/api/v1/auth/password-reset', { email: addr })).status, 202);
  const [a, b] = await linksTo(addr, 2);
  assert.notEqual(a, b);
  assert.equal((await post('/api/v1/auth/password-reset/complete', { token: a, new_password: second })).status, 204);
  assertProblem(await post('/api/v1/auth/password-reset/complete', { token: b, new_password: 'a third passphrase nobody asked for' }), 400, 'the other link');
  assertProblem(await post('/api/v1/auth/login', { email: addr, password: 'a third passphrase nobody asked for' }, { origin: server.origin }), 401, 'the password the other link tried');
});

test('changing the password ends the outstanding reset links', async () => {
  const addr = 'changes-then-link@example.org';
  const s = await account(addr, first);
  assert.equal((await post('/api/v1/auth/password-reset', { email: addr })).status, 202);
  const [link] = await linksTo(addr, 1);
  const changed = await call(server, s, 'POST', '/api/v1/me/password', { body: { current_password: first, new_password: second } });
  assert.equal(changed.status, 200, changed.body);
  assertProblem(await post('/api/v1/auth/password-reset/complete', { token: link, new_password: 'a passphrase from an old link' }), 400, 'a link from before the change');
  assert.equal((await signIn(server, { email: addr, password: second })).res.status, 200, 'the changed password stands');
});

test('asking for a link answers byte for byte the same, whoever the address belongs to', async () => {
  const addr = 'same-answer@example.org';
  await account(addr, first);
  runSlate(['user', 'add', '--email', 'disabled-answer@example.org', '--data', server.data, '--json']);
  assert.equal(runSlate(['user', 'disable', '--email', 'disabled-answer@example.org', '--data', server.data]).code, 0);
  const shape = (r) => {
    const h = { ...r.headers };
    delete h.date;
    delete h['x-request-id'];
    return { status: r.status, headers: h, body: r.body };
  };
  const known = shape(await post('/api/v1/auth/password-reset', { email: addr }));
  const unknown = shape(await post('/api/v1/auth/password-reset', { email: 'nobody-here@example.org' }));
  const disabled = shape(await post('/api/v1/auth/password-reset', { email: 'disabled-answer@example.org' }));
  assert.equal(known.status, 202);
  assert.deepEqual(unknown, known, 'no account');
  assert.deepEqual(disabled, known, 'a disabled account');
  // and the link for the real account is made all the same, after the answer
  await linksTo(addr, 1);
});
