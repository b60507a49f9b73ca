// Closing an account, and deleting it for good (issue 22; backup/erasure.c, docs/SECURITY.md
// "Account closure and deletion"). The person closes their own account with their password
// (and second factor): sign-in stops at once, every session and API token ends, and a mail
// says when everything about them will be deleted. Within the grace period, signing in with the
// right password says the account is closed (and nothing to a wrong password), and signing in
// with "reopen": true opens it again. An account an administrator closed is reopened only by an
// administrator. The last producer of a production cannot close. After the grace period the
// deletion job (`slate purge`, the same job the server runs) deletes the account and its person
// records and destroys their keys; its deletion log, kept beside the database and copied to the
// backups, is replayed by `slate restore`, so a restore from before the deletion does not bring
// the person back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertProblem, initDataDir, request, runSlate, slateSql, startServer, waitFor } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';

const PASS = 'a long passphrase for the last day of the shoot';
let server;
let admin;
let prod;
let dd;

async function ok(p, status = 200) {
  const r = await p;
  assert.equal(r.status, status, r.body);
  return r.json;
}

const login = (body) => request(server, { method: 'POST', path: '/api/v1/auth/login', headers: { origin: server.origin }, body });

/** The newest mail to `to` with this subject, as text. */
function mailTo(srv, to, subject) {
  const dir = path.join(srv.data, 'mail');
  return waitFor(() => {
    if (!fs.existsSync(dir)) return null;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.eml')).sort().reverse()) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      if (text.includes(`\r\nTo: ${to}\r\n`) && text.includes(`Subject: ${subject}`)) return text;
    }
    return null;
  }, { timeout: 20_000, what: `the mail "${subject}" to ${to}` });
}

/** A crew account with a person record (phone, address) in prod; returns {session, person}. */
async function crew(email, phone) {
  const session = await newAccount(server, email, PASS);
  await ok(call(server, admin, 'POST', `/api/v1/productions/${prod.id}/members`, { body: { email, role: 'crew', department: 'Grip' } }), 201);
  const person = await ok(call(server, admin, 'POST', `/api/v1/productions/${prod.id}/people`, {
    body: { name: `Grip ${email.split('@')[0]}`, kind: 'crew', department: 'Grip', account_email: email, personal_phone: phone, home_address: '1 Quay Street' },
  }), 201);
  return { session, person };
}

before(async () => {
  dd = initDataDir();
  // the default grace (30 days) for closing and reopening; the deletion test restarts the
  // server with a grace of 0, so that what it closes is due at once
  server = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env: { SLATE_BACKUP_DIR: path.join(dd.root, 'dest') } });
  admin = await readyAdmin(server);
  prod = await ok(call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Harbour Lights', timezone: 'Europe/London' } }), 201);
});
after(async () => {
  await server?.stop();
  dd?.cleanup();
});

test('closing needs the password (and the code); closed, the sessions and tokens die at once, a mail gives the date, and only the right password learns that it is closed', async () => {
  const { session } = await crew('close@harbour.example', '+44 7700 900001');
  const token = await ok(call(server, session, 'POST', '/api/v1/me/tokens', { body: { name: 'sync', production_id: prod.id, access: 'read' } }), 201);
  const mfa = await enrolTotp(server, session);

  // an API token never closes an account, even with the password
  const viaToken = await request(server, { method: 'POST', path: '/api/v1/me/close', headers: { authorization: `Bearer ${token.token}` }, body: { password: PASS } });
  assertProblem(viaToken, 403);
  // a session alone is not enough: the password, then the code
  let r = await call(server, session, 'POST', '/api/v1/me/close', { body: { password: 'not the password at all' } });
  assertProblem(r, 403);
  assert.equal(r.json.errors[0].pointer, '/password');
  r = await call(server, session, 'POST', '/api/v1/me/close', { body: { password: PASS } });
  assertProblem(r, 403);
  assert.equal(r.json.errors[0].pointer, '/totp');
  assert.equal((await call(server, session, 'GET', '/api/v1/me')).status, 200, 'still open');

  // (a recovery code: the enrolment just used this window's code, which never counts twice)
  r = await call(server, session, 'POST', '/api/v1/me/close', { body: { password: PASS, totp: mfa.recoveryCodes[0] } });
  assert.equal(r.status, 200, r.body);
  assert.match(r.json.deletion_due, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok([].concat(r.headers['set-cookie']).some((c) => /__Host-slate_session=;/.test(c)), 'the cookie is cleared');
  assert.equal((await call(server, session, 'GET', '/api/v1/me')).status, 401, 'the session died');
  const byToken = await request(server, { path: `/api/v1/productions/${prod.id}/people`, headers: { authorization: `Bearer ${token.token}` } });
  assert.equal(byToken.status, 401, 'the API token died');

  const mail = await mailTo(server, 'close@harbour.example', 'Your Slate account is closed');
  assert.match(mail, new RegExp(`On ${r.json.deletion_due.slice(0, 10)} \\(${r.json.deletion_due}\\) Slate deletes your account`));
  assert.match(mail, /sign-in and\s+confirm/);

  // a wrong password: the same 401 as an unknown account (no oracle of the closure)
  const wrong = await login({ email: 'close@harbour.example', password: 'not the password at all' });
  const unknown = await login({ email: 'nobody@harbour.example', password: 'not the password at all' });
  assertProblem(wrong, 401);
  assert.equal(wrong.json.detail, unknown.json.detail);
  // the right password without the code: the code is asked for first
  assertProblem(await login({ email: 'close@harbour.example', password: PASS }), 401);
  // the right password and code: closed, and when it will be deleted
  const closed = await login({ email: 'close@harbour.example', password: PASS, totp: mfa.recoveryCodes[1] });
  assertProblem(closed, 409);
  assert.equal(closed.json.deletion_due, r.json.deletion_due);
  assert.match(closed.json.detail, /reopen/);
});

test('within the grace period the person reopens by signing in and confirming; their memberships and record are as they were', async () => {
  const { session, person } = await crew('reopen@harbour.example', '+44 7700 900002');
  const before = Date.now();
  const r = await ok(call(server, session, 'POST', '/api/v1/me/close', { body: { password: PASS } }));
  const due = Date.parse(r.deletion_due);
  assert.ok(Math.abs(due - before - 30 * 86400_000) < 120_000, `due in 30 days: ${r.deletion_due}`);

  const again = await login({ email: 'reopen@harbour.example', password: PASS, reopen: true });
  assert.equal(again.status, 200, again.body);
  const s = { cookie: [].concat(again.headers['set-cookie']).find((c) => c.startsWith('__Host-slate_session=')).split(';')[0], csrf: again.json.csrf_token };
  assert.equal((await call(server, s, 'GET', `/api/v1/productions/${prod.id}`)).status, 200, 'still a member');
  const record = await ok(call(server, admin, 'GET', `/api/v1/productions/${prod.id}/people/${person.id}`));
  assert.equal(record.personal_phone, '+44 7700 900002');
  // reopened: nothing due any more
  const purge = runSlate(['purge', '--data', server.data, '--dry-run']);
  assert.equal(purge.code, 0, purge.stderr);
  assert.doesNotMatch(purge.stdout, /would be deleted/);
  const events = slateSql(server.data, "SELECT action FROM audit_event WHERE action IN ('account.close', 'account.reopen') ORDER BY seq");
  assert.match(events, /account\.close\naccount\.close\naccount\.reopen/);
});

test('an administrator closes an account: its person cannot reopen it, an administrator can; not their own; not another role', async () => {
  const { session } = await crew('byadmin@harbour.example', '+44 7700 900003');
  const me = await ok(call(server, session, 'GET', '/api/v1/me'));
  assertProblem(await call(server, session, 'POST', `/api/v1/admin/users/${me.user.id}/close`), 403);
  const self = await ok(call(server, admin, 'GET', '/api/v1/me'));
  assertProblem(await call(server, admin, 'POST', `/api/v1/admin/users/${self.user.id}/close`), 403);

  const closed = await ok(call(server, admin, 'POST', `/api/v1/admin/users/${me.user.id}/close`));
  assert.equal(closed.id, me.user.id);
  assert.ok(closed.deletion_due > closed.closed_at);
  assert.equal((await call(server, session, 'GET', '/api/v1/me')).status, 401);
  assertProblem(await call(server, admin, 'POST', `/api/v1/admin/users/${me.user.id}/close`), 409);
  // its person gets the plain 401 even with the right password and reopen
  assertProblem(await login({ email: 'byadmin@harbour.example', password: PASS, reopen: true }), 401);
  const mail = await mailTo(server, 'byadmin@harbour.example', 'Your Slate account is closed');
  assert.match(mail, /ask them to\s+reopen it/);

  await ok(call(server, admin, 'POST', `/api/v1/admin/users/${me.user.id}/reopen`));
  assert.equal((await login({ email: 'byadmin@harbour.example', password: PASS })).status, 200);
  assertProblem(await call(server, admin, 'POST', `/api/v1/admin/users/${me.user.id}/reopen`), 409);
});

test('the last producer of a production cannot close their account: the answer names the production to hand over', async () => {
  const lead = await newAccount(server, 'lead@harbour.example', PASS);
  const leadMfa = await enrolTotp(server, lead); // a producer's role needs a second factor
  const own = await ok(call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Solo Pictures', timezone: 'Europe/London' } }), 201);
  await ok(call(server, admin, 'POST', `/api/v1/productions/${own.id}/members`, { body: { email: 'lead@harbour.example', role: 'producer' } }), 201);
  // the administrator who made it leaves it: the producer is its only leader
  const members = await ok(call(server, admin, 'GET', `/api/v1/productions/${own.id}/members`));
  const mine = members.members.find((m) => m.email === 'admin@localhost');
  if (mine) await ok(call(server, admin, 'POST', `/api/v1/productions/${own.id}/members/${mine.id}/revoke`));
  const r = await call(server, lead, 'POST', '/api/v1/me/close', { body: { password: PASS, totp: leadMfa.recoveryCodes[0] } });
  assertProblem(r, 409);
  assert.deepEqual(r.json.held_by.map((h) => [h.kind, h.id, h.name]), [['production', own.id, 'Solo Pictures']]);
  assert.equal((await call(server, lead, 'GET', '/api/v1/me')).status, 200, 'still open');
  const cli = runSlate(['user', 'close', '--data', server.data, '--email', 'lead@harbour.example']);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /last production admin or producer of Solo Pictures/);
});

test('after the grace period the job deletes the account and its person records; a restore from before replays the deletion log; a forged log line is refused', async () => {
  // grace 0 again: closed is due at once
  await server.stop();
  server = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env: { SLATE_DELETION_GRACE_DAYS: '0', SLATE_BACKUP_DIR: path.join(dd.root, 'dest') } });
  const adm = admin; // sessions live in the database: the administrator's outlives the restart
  const { session, person } = await crew('gone@harbour.example', '+44 7700 900099');
  const me = await ok(call(server, session, 'GET', '/api/v1/me'));
  const dest = path.join(dd.root, 'dest');
  const key = path.join(dd.data, 'master.key');
  const env = { SLATE_BACKUP_DIR: dest, SLATE_DELETION_GRACE_DAYS: '0' };
  const snap = runSlate(['backup', 'now', '--data', server.data], { env, timeout: 120_000 });
  assert.equal(snap.code, 0, snap.stderr);
  const beforeName = /^Snapshot (\S+) written/.exec(snap.stdout)[1];

  await ok(call(server, session, 'POST', '/api/v1/me/close', { body: { password: PASS } }));
  // the dry run says what would go, by id, and changes nothing
  let r = runSlate(['purge', '--data', server.data, '--dry-run'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`account ${me.user.id} \\(closed .*\\) would be deleted with 1 person record`));
  assert.doesNotMatch(r.stdout, /gone@harbour|900099/);
  assert.equal((await ok(call(server, adm, 'GET', `/api/v1/productions/${prod.id}/people/${person.id}`))).personal_phone, '+44 7700 900099');

  r = runSlate(['purge', '--data', server.data], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Deleted 1 account\(s\) and 1 person record\(s\)/m);
  assertProblem(await call(server, adm, 'GET', `/api/v1/productions/${prod.id}/people/${person.id}`), 404);
  assertProblem(await login({ email: 'gone@harbour.example', password: PASS, reopen: true }), 401);
  assert.equal(slateSql(server.data, `SELECT count(*) FROM app_user WHERE id = '${me.user.id}'`), '0');
  const ev = JSON.parse(slateSql(server.data, "SELECT actor, object FROM audit_event WHERE action = 'account.delete'", { json: true }));
  assert.deepEqual(ev, [{ actor: 'slate', object: me.user.id }]);
  // the log names ids only, and its copy is at the destination
  const log = fs.readFileSync(path.join(server.data, 'deletions.log'), 'utf8');
  assert.match(log, new RegExp(`^1 \\d+ account ${me.user.id} ${person.id} [0-9a-f]{64}\\n$`));
  assert.equal(fs.statSync(path.join(server.data, 'deletions.log')).mode & 0o777, 0o600);
  assert.deepEqual(fs.readFileSync(path.join(dest, 'deletions.log'), 'utf8'), log);

  // a restore of the snapshot from before: the log replays, the person does not come back
  const to = path.join(dd.root, 'restored');
  r = runSlate(['restore', '--from', dest, '--to', to, '--key-file', key, '--snapshot', beforeName], { timeout: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Replayed the deletion log: 1 of its 1 deletions were done again/);
  const sqlIn = (data, q) => {
    const x = runSlate(['sql', q, '--data', data, '--key-file', key], { timeout: 120_000 });
    assert.equal(x.code, 0, x.stderr);
    return x.stdout.trim();
  };
  assert.equal(sqlIn(to, `SELECT count(*) FROM person WHERE id = '${person.id}'`), '0');
  assert.equal(sqlIn(to, `SELECT count(*) FROM app_user WHERE id = '${me.user.id}'`), '0');
  const keys = JSON.parse(runSlate(['keys', 'status', '--data', to, '--key-file', key, '--json']).stdout);
  const keyOf = (id) => keys.data_keys.find((k) => k.id === id);
  assert.ok(keyOf(person.id)?.destroyed_at, 'the person key is destroyed in the restored keystore');

  // the same restore without the log: the person would be back (what the log is for)
  const bare = path.join(dd.root, 'bare-dest');
  fs.cpSync(dest, bare, { recursive: true });
  fs.rmSync(path.join(bare, 'deletions.log'));
  const back = path.join(dd.root, 'back');
  r = runSlate(['restore', '--from', bare, '--to', back, '--key-file', key, '--snapshot', beforeName], { timeout: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sqlIn(back, `SELECT count(*) FROM person WHERE id = '${person.id}'`), '1');
  // ... and slate purge with the log put back deletes them again
  fs.copyFileSync(path.join(server.data, 'deletions.log'), path.join(back, 'deletions.log'));
  r = runSlate(['purge', '--data', back, '--key-file', key]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`account ${me.user.id} was deleted on line 1 of deletions.log and was here again`));
  assert.equal(sqlIn(back, `SELECT count(*) FROM person WHERE id = '${person.id}'`), '0');

  // a line added by someone without the master key does not authenticate: purge and serve refuse
  fs.appendFileSync(path.join(back, 'deletions.log'), `1 1764900000 person ${person.id} prd_x ${'0'.repeat(64)}\n`);
  r = runSlate(['purge', '--data', back, '--key-file', key]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /deletions\.log line 2 does not authenticate/);
});

test('a person record a producer removes is in the deletion log at once, by id', async () => {
  const adm = admin;
  const p = await ok(call(server, adm, 'POST', `/api/v1/productions/${prod.id}/people`, { body: { name: 'Day Player', kind: 'cast', personal_phone: '+44 7700 900777' } }), 201);
  assert.equal((await call(server, adm, 'DELETE', `/api/v1/productions/${prod.id}/people/${p.id}`)).status, 204);
  const log = fs.readFileSync(path.join(server.data, 'deletions.log'), 'utf8');
  assert.match(log, new RegExp(`\\n1 \\d+ person ${p.id} ${prod.id} [0-9a-f]{64}\\n$`));
  assert.doesNotMatch(log, /Day Player|900777/);
});

test('the server runs the deletion job itself: a closed account past its grace period goes at the next pass, and the log\'s copy at the destination follows', async () => {
  await server.stop();
  const dest = path.join(dd.root, 'dest');
  server = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env: { SLATE_DELETION_GRACE_DAYS: '0', SLATE_BACKUP_DIR: dest, SLATE_RETENTION_INTERVAL: '1' } });
  const { session, person } = await crew('selfserve@harbour.example', '+44 7700 900555');
  const me = await ok(call(server, session, 'GET', '/api/v1/me'));
  await ok(call(server, session, 'POST', '/api/v1/me/close', { body: { password: PASS } }));
  await waitFor(async () => (await call(server, admin, 'GET', `/api/v1/productions/${prod.id}/people/${person.id}`)).status === 404,
    { timeout: 60_000, interval: 100, what: 'the closed account\'s person record deleted by the server' });
  await waitFor(() => fs.existsSync(path.join(dest, 'deletions.log')) && fs.readFileSync(path.join(dest, 'deletions.log'), 'utf8').includes(` account ${me.user.id} `),
    { timeout: 60_000, interval: 100, what: 'the deletion log copied to the destination' });
  const m = await request(server, { path: '/metrics' });
  assert.match(m.body, /^slate_deletion_last_run_ok 1$/m);
  assert.ok(Number(/^slate_deletion_last_run_timestamp (\d+)$/m.exec(m.body)[1]) > 0);
  assert.equal(slateSql(server.data, `SELECT count(*) FROM audit_event WHERE action = 'account.delete' AND object = '${me.user.id}' AND actor = 'slate'`), '1');
});
