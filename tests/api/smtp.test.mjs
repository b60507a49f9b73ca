// The SMTP transport (issue 3): mail leaves through a relay over verified
// TLS only. A relay on loopback (lib/smtp-sink.mjs) takes the messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, request, runSlate, makeTempDir, initDataDir, waitFor, slateSql } from './lib/harness.mjs';
import { makeCert, startSink } from './lib/smtp-sink.mjs';

const email = 'gaffer@example.org';
const tmp = makeTempDir('slate-smtp-');
const cleanups = [];
let relayCert;
let strangerCert;
let passwordFile;

before(() => {
  relayCert = makeCert(tmp.dir, 'relay');
  strangerCert = makeCert(tmp.dir, 'stranger');
  passwordFile = path.join(tmp.dir, 'smtp-password');
  writeFileSync(passwordFile, 'relay-secret-1234\n', { mode: 0o600 });
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  tmp.cleanup();
});

/** A server whose mail goes to the relay at `port`, with one account that asks for a reset link. */
async function serverAskingForReset(port, extra = {}) {
  const server = await startServer({
    env: {
      SLATE_MAIL_TRANSPORT: 'smtp',
      SLATE_SMTP_URL: `smtp://127.0.0.1:${port}`,
      SLATE_SMTP_CA_FILE: relayCert.certFile,
      SLATE_SMTP_USER: 'slate',
      SLATE_SMTP_PASSWORD_FILE: passwordFile,
      SLATE_SMTP_TIMEOUT: '5',
      ...extra,
    },
  });
  cleanups.push(() => server.stop());
  assert.equal(runSlate(['user', 'add', '--email', email, '--data', server.data]).code, 0);
  const r = await request(server, { method: 'POST', path: '/api/v1/auth/password-reset', body: { email } });
  assert.equal(r.status, 202);
  return server;
}

const outbox = (server) => slateSql(server.data, 'SELECT attempts, sent_at IS NOT NULL, last_error FROM outbox');

test('a message goes through STARTTLS with authentication, and the outbox marks it sent', async () => {
  const sink = await startSink({ cert: relayCert });
  cleanups.push(() => sink.close());
  const server = await serverAskingForReset(sink.port);
  const [m] = await waitFor(() => (sink.messages.length ? sink.messages : null), { what: 'a message at the relay' });
  assert.equal(m.tls, true, 'the message was sent after STARTTLS');
  assert.deepEqual(m.auth, ['slate', 'relay-secret-1234']);
  assert.equal(m.from, '<slate@localhost>');
  assert.deepEqual(m.to, [`<${email}>`]);
  assert.match(m.data, /^From: Slate <slate@localhost>\r\nTo: gaffer@example\.org\r\nSubject: Reset your Slate password\r\n/);
  assert.match(m.data, /\/reset-password#token=[A-Za-z0-9_-]{43}/);
  await waitFor(() => /^0\|1\|$/.test(outbox(server)), { what: 'the outbox row marked sent' });
  const session = sink.sessions.find((s) => s.tls);
  assert.ok(session.lines.findIndex((l) => /^STARTTLS$/i.test(l)) < session.lines.findIndex((l) => /^AUTH/i.test(l)),
    'the password only crosses after TLS');
  assert.ok(!server.lines.join('\n').includes('relay-secret-1234'), 'the SMTP password is never logged');
});

test('a relay that does not offer STARTTLS gets nothing: no password, no message', async () => {
  const sink = await startSink({ cert: relayCert, starttls: false });
  cleanups.push(() => sink.close());
  const server = await serverAskingForReset(sink.port);
  await waitFor(() => /^[1-9]\|0\|.+/.test(outbox(server)), { what: 'a failed attempt in the outbox' });
  assert.equal(sink.messages.length, 0);
  for (const s of sink.sessions) assert.ok(!s.lines.some((l) => /^(AUTH|MAIL|RCPT|DATA)/i.test(l)), s.lines.join('|'));
  // the log line is written before the outbox row changes, but reaches this process through a pipe
  await waitFor(() => server.logs.some((l) => l.msg === 'mail not sent' && /SMTP/.test(l.error)), { what: 'the failure logged' });
});

test('a relay whose certificate is not trusted gets nothing', async () => {
  const sink = await startSink({ cert: strangerCert });
  cleanups.push(() => sink.close());
  const server = await serverAskingForReset(sink.port);
  await waitFor(() => /^[1-9]\|0\|.+/.test(outbox(server)), { what: 'a failed attempt in the outbox' });
  assert.equal(sink.messages.length, 0);
  for (const s of sink.sessions) assert.ok(!s.lines.some((l) => /^(AUTH|MAIL)/i.test(l)));
});

test('bad SMTP settings stop the server at start with one clear line', () => {
  const dd = initDataDir();
  cleanups.push(() => dd.cleanup());
  const serve = (env) => runSlate(['serve', '--data', dd.data, '--listen', '127.0.0.1:0'], {
    env: { SLATE_MAIL_TRANSPORT: 'smtp', SLATE_SMTP_URL: 'smtp://127.0.0.1:25', ...env },
    timeout: 10_000,
  });
  const open = path.join(tmp.dir, 'open-password');
  writeFileSync(open, 'relay-secret-1234\n');
  chmodSync(open, 0o644);
  for (const [env, msg] of [
    [{ SLATE_SMTP_URL: 'http://relay.example' }, /smtp_url must be an smtp:\/\/ or smtps:\/\/ URL/],
    [{ SLATE_MAIL_TRANSPORT: 'pigeon' }, /mail_transport must be file, smtp or none/],
    [{ SLATE_SMTP_PASSWORD_FILE: open }, /SMTP password file .* is readable by others/],
    [{ SLATE_SMTP_PASSWORD_FILE: path.join(tmp.dir, 'missing') }, /cannot open SMTP password file/],
  ]) {
    const r = serve(env);
    assert.notEqual(r.code, 0, JSON.stringify(env));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^slate: /);
    assert.match(lines[0], msg);
  }
});
