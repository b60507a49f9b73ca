// Message files of the development mail transport hold live reset and
// invitation links (issue 15 item 17): the running server deletes each once
// it is older than SLATE_MAIL_FILE_MAX_AGE (default 7 days, the invitation
// lifetime), here shortened to 5 seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, initDataDir, rawTlsRequest, waitFor, ADMIN_EMAIL } from './lib/harness.mjs';

test('a message file is deleted by the running server once it is older than its links may live', async (t) => {
  const dd = initDataDir();
  const dir = path.join(dd.data, 'mail');
  fs.mkdirSync(dir, { mode: 0o700 });
  // left from earlier runs: an old message, a half-written one from a crash, and someone's notes
  const old = path.join(dir, '1700000000-m_old.eml');
  const crashed = path.join(dir, '.tmp-m_crashed');
  const notes = path.join(dir, 'notes.txt');
  for (const f of [old, crashed, notes]) {
    fs.writeFileSync(f, 'Subject: x\r\n\r\nhttps://localhost/reset-password#token=x\r\n', { mode: 0o600 });
    fs.utimesSync(f, 1_700_000_000, 1_700_000_000);
  }
  const server = await startServer({ dataDir: dd, env: { SLATE_MAIL_FILE_MAX_AGE: '5' } });
  t.after(async () => { await server.stop(); dd.cleanup(); });

  await waitFor(() => !fs.existsSync(old) && !fs.existsSync(crashed), { what: 'the old files removed at start' });
  assert.ok(fs.existsSync(notes), 'a file that is not a message is left alone');

  // a raw request: request() checks the answer against the OpenAPI document, the first time
  // compiling it, which blocks this process for seconds under load (longer than the file lives)
  const body = JSON.stringify({ email: ADMIN_EMAIL });
  const answer = rawTlsRequest(server, `POST /api/v1/auth/password-reset HTTP/1.1\r\nHost: localhost:${server.port}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`, { method: 'POST' });
  const eml = await waitFor(() => fs.readdirSync(dir).find((f) => /^\d+-.+\.eml$/.test(f)), { what: 'the reset message' });
  const created = Number(eml.split('-')[0]);
  assert.match(fs.readFileSync(path.join(dir, eml), 'utf8'), /reset-password#token=/);
  await waitFor(() => !fs.existsSync(path.join(dir, eml)), { timeout: 20_000, interval: 100, what: `${eml} removed` });
  assert.equal((await answer).status, 202);
  const gone = Date.now() / 1000;
  assert.ok(gone >= created + 5, `removed ${(gone - created).toFixed(1)} s after it was made, before its 5 s were up`);
  assert.ok(fs.existsSync(notes), 'a file that is not a message is still left alone');
  assert.ok(server.logs.some((o) => o.msg === 'old mail files removed'), 'the removal is logged');
});

test('each message file goes when its own links expire: a reset link after 30 minutes, an invitation after 7 days', async (t) => {
  const dd = initDataDir();
  const dir = path.join(dd.data, 'mail');
  fs.mkdirSync(dir, { mode: 0o700 });
  const now = Math.floor(Date.now() / 1000);
  const reset = 'Subject: Reset your Slate password\r\n\r\n  https://localhost/reset-password#token=AAAA\r\n';
  const invitation = 'Subject: You are invited\r\n\r\n  https://localhost/invitation#token=BBBB\r\n';
  const files = {
    resetOld: [`${now - 31 * 60}-m_r1.eml`, reset, false],
    resetYoung: [`${now - 25 * 60}-m_r2.eml`, reset, true],
    invitationWeeks: [`${now - 8 * 86400}-m_i1.eml`, invitation, false],
    invitationHour: [`${now - 31 * 60}-m_i2.eml`, invitation, true],
    both: [`${now - 31 * 60}-m_b.eml`, reset + invitation, true],
  };
  for (const [name, body] of Object.values(files)) fs.writeFileSync(path.join(dir, name), body, { mode: 0o600 });
  const server = await startServer({ dataDir: dd }); // the default: 7 days at most
  t.after(async () => { await server.stop(); dd.cleanup(); });
  // the line is logged once the sweep at start has finished
  const line = await server.waitForLog((o) => o.msg === 'old mail files removed', { what: 'the sweep at start' });
  assert.equal(line.files, 2);
  for (const [what, [name, , kept]] of Object.entries(files)) {
    assert.equal(fs.existsSync(path.join(dir, name)), kept, `${what}: ${name} ${kept ? 'kept' : 'removed'}`);
  }
});
