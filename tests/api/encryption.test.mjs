// Encryption at rest (issue 4), proven from outside: bytes on disk, files
// altered by hand, the keystore rotated and a person key destroyed while
// the server runs, an old database copy restored after a shred.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, initDataDir, runSlate, childEnv, makeTempDir, SLATE_BIN, waitFor, withTimeout, slateSql } from './lib/harness.mjs';
import { readyAdmin, call, signIn, signInAndChangePassword } from './lib/session.mjs';

let server;
let admin;
let production;
const secretFile = 'PERMIT-77123 for the quarry on Blackthorn Lane';
const people = {
  grip: 'juniper.grip@example.org',
  costume: 'marigold.costume@example.org',
  invitee: 'rosalind.invitee@example.org',
};

const sql = (q, opts) => slateSql(server.data, q, opts);
// The keystore is not page-encrypted (it holds wrapped keys only): SQLite reads it as it is.
const keystoreSql = (file, q) => spawnSync('sqlite3', [file, q], { encoding: 'utf8' }).stdout.trim();
const upload = (session, body, { name = 'quarry-permit.pdf', type = 'application/pdf', id = production } = {}) =>
  call(server, session, 'POST', `/api/v1/productions/${id}/attachments?name=${encodeURIComponent(name)}`,
    { body, headers: { 'content-type': type } });
const emails = async () => (await call(server, admin, 'GET', '/api/v1/admin/users')).json.users.map((u) => u.email);

async function person(email, pw) {
  const add = runSlate(['user', 'add', '--email', email, '--data', server.data, '--json']);
  assert.equal(add.code, 0, add.stderr);
  return signInAndChangePassword(server, pw, { email, oneTime: JSON.parse(add.stdout).password });
}

before(async () => {
  server = await startServer({ env: { SLATE_UPLOAD_MAX_BYTES: '300000' } });
  admin = await readyAdmin(server);
  production = (await call(server, admin, 'GET', '/api/v1/productions')).json.productions[0].id;
  await person(people.grip, 'grips carry the dolly track at dawn');
  await person(people.costume, 'the costume truck parks by the river');
  const inv = await call(server, admin, 'POST', `/api/v1/productions/${production}/invitations`, { body: { email: people.invitee, role: 'crew', department: 'Grip' } });
  assert.equal(inv.status, 201, inv.body);
  const up = await upload(admin, Buffer.from(secretFile));
  assert.equal(up.status, 201, up.body);
  server.attachment = up.json;
});
after(async () => { await server?.stop(); });

/** Every personal and confidential value of the demo production, as its production admin reads them. */
async function demoSecrets() {
  const P = (rest) => `/api/v1/productions/${production}${rest}`;
  const out = [];
  const people = (await call(server, admin, 'GET', P('/people?limit=500'))).json.people;
  assert.ok(people.length >= 70, `the demo production has its people (${people.length})`);
  for (const p of people) {
    for (const f of ['work_phone', 'work_email', 'personal_phone', 'personal_email', 'home_address', 'emergency_contact', 'date_of_birth', 'dietary', 'medical', 'id_numbers']) {
      assert.ok(f in p, `the admin reads ${f}`);
      if (p[f].length >= 6) out.push(p[f]);
    }
  }
  const locations = (await call(server, admin, 'GET', P('/locations'))).json.locations;
  assert.equal(locations.length, 6);
  for (const l of locations) out.push(l.address, l.access_notes, l.contact, String(l.latitude));
  const scenes = (await call(server, admin, 'GET', P('/scenes'))).json.scenes;
  assert.equal(scenes.length, 120);
  for (const sc of scenes) out.push(sc.synopsis);
  return out;
}

test('the database, its WAL and the uploads hold none of the personal strings', async () => {
  sql('PRAGMA wal_checkpoint(PASSIVE)', { write: true }); // whatever is still in the WAL stays there too: both are read
  const files = ['slate.db', 'slate.db-wal', 'keys.db', 'keys.db-wal']
    .map((f) => path.join(server.data, f)).filter(existsSync);
  const uploads = path.join(server.data, 'uploads');
  files.push(...readdirSync(uploads).map((f) => path.join(uploads, f)));
  // Names are not sealed as fields (the page encryption keeps them off the disk: dbcrypt.test.mjs); addresses, files and file names are.
  const needles = [...Object.values(people), 'PERMIT-77123', 'Blackthorn', 'quarry-permit', ...await demoSecrets()];
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const n of needles) {
      for (const form of [n, n.toLowerCase(), n.toUpperCase()]) {
        assert.equal(bytes.indexOf(Buffer.from(form)), -1, `${path.basename(f)} contains ${form}`);
        assert.equal(bytes.indexOf(Buffer.from(form, 'utf16le')), -1, `${path.basename(f)} contains ${form} (UTF-16)`);
      }
    }
  }
  assert.ok(files.some((f) => f.endsWith('slate.db')) && files.length >= 3);
  for (const [table, col] of [['person', 'private'], ['person', 'personal_contact'], ['location', 'site'], ['scene', 'synopsis'], ['app_user', 'email_sealed'], ['mfa_totp', 'secret'], ['invitation', 'email_sealed'], ['outbox', 'to_addr'], ['attachment', 'file_key']]) {
    assert.ok(Number(sql(`SELECT COUNT(*) FROM ${table}`)) > 0, `${table} has rows`);
    assert.equal(sql(`SELECT COUNT(*) FROM ${table} WHERE ${col} NOT LIKE 'sf1.%'`), '0', `${table}.${col} is sealed`);
  }
  // and yet Slate reads them back
  assert.ok((await emails()).includes(people.grip));
  assert.equal((await signIn(server, { email: people.costume, password: 'the costume truck parks by the river' })).res.status, 200);
});

test('the demo production exports whole: every table, and a calendar of its 25 real shoot days', async () => {
  const get = (q) => call(server, admin, 'GET', `/api/v1/productions/${production}/export?${q}`);
  const set = (await get('format=json')).json;
  assert.deepEqual([set.people.length >= 70, set.locations.length, set.days.length, set.scenes.length], [true, 6, 25, 120]);
  for (const d of set.days) assert.ok(!Number.isNaN(Date.parse(`${d.date}T12:00:00Z`)) && new Date(`${d.date}T12:00:00Z`).toISOString().startsWith(d.date), `a real date: ${d.date}`);
  const ics = await get('format=ics');
  assert.equal(ics.status, 200, ics.body);
  assert.equal(ics.body.match(/BEGIN:VEVENT/g).length, 25);
  const vcf = await get('format=vcf');
  assert.equal(vcf.body.match(/BEGIN:VCARD/g).length, set.people.length);
});

test('an upload comes back byte for byte; its stored name is random', async () => {
  const a = server.attachment;
  assert.equal(a.name, 'quarry-permit.pdf');
  assert.equal(a.size, Buffer.byteLength(secretFile));
  const got = await call(server, admin, 'GET', `/api/v1/productions/${production}/attachments/${a.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.raw.toString(), secretFile);
  assert.equal(got.headers['content-type'], 'application/pdf');
  assert.equal(got.headers['content-disposition'], "attachment; filename*=UTF-8''quarry-permit.pdf");
  const stored = readdirSync(path.join(server.data, 'uploads'));
  assert.equal(stored.length, 1);
  assert.match(stored[0], /^f_[a-z2-7]{26}\.sfe$/);
  const list = await call(server, admin, 'GET', `/api/v1/productions/${production}/attachments`);
  assert.deepEqual(list.json.attachments.map((x) => x.id), [a.id]);
  assert.equal(sql(`SELECT COUNT(*) FROM audit_event WHERE action = 'attachment.upload' AND object = '${a.id}'`), '1');
  assert.equal(sql(`SELECT COUNT(*) FROM audit_event WHERE action = 'attachment.download' AND object = '${a.id}'`), '1');
  // a larger file crosses chunk boundaries
  const big = Buffer.alloc(200_000, 7);
  big.write('call sheet 12', 150_000);
  const up = await upload(admin, big, { name: 'call sheet 12 – final.pdf' });
  assert.equal(up.status, 201, up.body);
  const back = await call(server, admin, 'GET', `/api/v1/productions/${production}/attachments/${up.json.id}`);
  assert.ok(back.raw.equals(big));
  assert.equal(back.headers['content-disposition'], "attachment; filename*=UTF-8''call%20sheet%2012%20%E2%80%93%20final.pdf");
});

test('a flipped byte in a stored file fails the download with a clear error and none of its bytes', async () => {
  const up = await upload(admin, Buffer.from('location release signed by the farm owner'), { name: 'release.pdf' });
  const stored = sql(`SELECT stored_name FROM attachment WHERE id = '${up.json.id}'`);
  const f = path.join(server.data, 'uploads', stored);
  const bytes = readFileSync(f);
  bytes[30] ^= 0x01;
  writeFileSync(f, bytes);
  const got = await call(server, admin, 'GET', `/api/v1/productions/${production}/attachments/${up.json.id}`);
  assert.equal(got.status, 500);
  assert.equal(got.headers['content-type'], 'application/problem+json');
  assert.match(got.json.detail, /integrity check/);
  assert.ok(!got.body.includes('farm owner'));
  // truncated by one record's worth: also refused
  writeFileSync(f, readFileSync(f).subarray(0, 24));
  assert.equal((await call(server, admin, 'GET', `/api/v1/productions/${production}/attachments/${up.json.id}`)).status, 500);
});

test('uploads are checked: type, name, size, role and production', async () => {
  const bad = async (res, status, re) => { assert.equal(res.status, status, res.body); assert.match(res.json.detail, re); };
  await bad(await upload(admin, Buffer.from('x'), { type: 'application/x-msdownload' }), 415, /Content-Type/);
  await bad(await upload(admin, Buffer.from('x'), { name: '' }), 400, /file name/);
  await bad(await upload(admin, Buffer.from('x'), { name: 'a/b.pdf' }), 400, /file name/);
  await bad(await upload(admin, Buffer.alloc(0)), 400, /empty/);
  await bad(await upload(admin, Buffer.alloc(300_001)), 413, /larger/);
  const grip = await signIn(server, { email: people.grip, password: 'grips carry the dolly track at dawn' });
  // not a member: the production does not exist for them
  await bad(await upload(grip, Buffer.from('x')), 404, /no such production/);
  assert.equal((await call(server, admin, 'POST', `/api/v1/productions/${production}/members`, { body: { email: people.grip, role: 'crew', department: 'Grip' } })).status, 201);
  await bad(await upload(grip, Buffer.from('x')), 403, /role/);
  assert.equal((await call(server, grip, 'GET', `/api/v1/productions/${production}/attachments/${server.attachment.id}`)).status, 403);
  const other = await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Other Show', timezone: 'Europe/London' } });
  assert.equal(other.status, 201, other.body);
  assert.equal((await call(server, admin, 'GET', `/api/v1/productions/${other.json.id}/attachments/${server.attachment.id}`)).status, 404);
});

test('a sealed value copied into another row does not open there', async () => {
  const [a, b] = sql("SELECT id FROM app_user WHERE is_instance_admin = 0 ORDER BY created_at LIMIT 2").split('\n');
  const original = sql(`SELECT email_sealed FROM app_user WHERE id = '${b}'`);
  sql(`UPDATE app_user SET email_sealed = (SELECT email_sealed FROM app_user WHERE id = '${a}') WHERE id = '${b}'`, { write: true });
  const after = await emails();
  assert.ok(after.includes('[unreadable]'));
  assert.equal(after.filter((e) => e === people.grip).length, 1, 'the copy does not read as the original');
  await waitFor(() => server.lines.some((l) => l.includes('a sealed field does not open')), { what: 'the damage logged' });
  sql(`UPDATE app_user SET email_sealed = '${original}' WHERE id = '${b}'`, { write: true });
  assert.ok(!(await emails()).includes('[unreadable]'));
});

test('keystore backups: a 0600 copy that opens with the master key; copies past keystore_backup_days are removed', () => {
  const dd = initDataDir();
  try {
    const dir = path.join(dd.data, 'keystore-backups');
    assert.equal(runSlate(['keys', 'backup', '--data', dd.data]).code, 0);
    const [first] = readdirSync(dir);
    assert.match(first, /^keys-\d{8}T\d{6}Z\.db$/);
    assert.equal(statSync(path.join(dir, first)).mode & 0o777, 0o600);
    // the copy is the keystore: same keys, and the master key opens it
    assert.equal(keystoreSql(path.join(dir, first), 'SELECT COUNT(*) FROM data_key'), keystoreSql(path.join(dd.data, 'keys.db'), 'SELECT COUNT(*) FROM data_key'));
    const copy = makeTempDir('slate-keycopy-');
    try {
      copyFileSync(path.join(dd.data, 'slate.db'), path.join(copy.dir, 'slate.db'));
      copyFileSync(path.join(dir, first), path.join(copy.dir, 'keys.db'));
      const st = runSlate(['keys', 'status', '--data', copy.dir, '--key-file', path.join(dd.data, 'master.key')]);
      assert.equal(st.code, 0, st.stderr);
    } finally {
      copy.cleanup();
    }
    const old = path.join(dir, 'keys-20200101T000000Z.db');
    const young = path.join(dir, `keys-${new Date(Date.now() - 2 * 86400_000).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z.db`);
    const other = path.join(dir, 'notes.txt');
    for (const f of [old, young, other]) writeFileSync(f, 'x');
    const r = runSlate(['keys', 'backup', '--data', dd.data], { env: { SLATE_KEYSTORE_BACKUP_DAYS: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 copies older than 1 days removed/);
    assert.ok(!existsSync(old) && !existsSync(young) && existsSync(other));
    const tooLong = runSlate(['keys', 'backup', '--data', dd.data], { env: { SLATE_KEYSTORE_BACKUP_DAYS: '31' } });
    assert.equal(tooLong.code, 1);
    assert.match(tooLong.stderr, /^slate: keys: SLATE_KEYSTORE_BACKUP_DAYS: backup_days must be a whole number from 1 to 30\n$/);
    // two copies within one second both land, and both are pruned by age later
    assert.equal(runSlate(['keys', 'backup', '--data', dd.data]).code, 0);
    assert.equal(runSlate(['keys', 'backup', '--data', dd.data]).code, 0);
  } finally {
    dd.cleanup();
  }
});

test('an interrupted rotation is finished by the next command; a stale KEY_FILE.new is replaced', () => {
  const dd = initDataDir();
  try {
    const key = path.join(dd.data, 'master.key');
    const old = readFileSync(key);
    // crashed after the keystore committed, before the rename: the new key only in master.key.new
    assert.equal(runSlate(['keys', 'rotate', '--data', dd.data]).code, 0);
    const rotated = readFileSync(key);
    writeFileSync(`${key}.new`, rotated, { mode: 0o600 });
    writeFileSync(key, old, { mode: 0o600 });
    const st = runSlate(['keys', 'status', '--data', dd.data]);
    assert.equal(st.code, 0, st.stderr);
    assert.ok(readFileSync(key).equals(rotated));
    assert.ok(!existsSync(`${key}.new`));
    // crashed before the keystore committed: a KEY_FILE.new that opens nothing
    writeFileSync(`${key}.new`, `${'cd'.repeat(32)}\n`, { mode: 0o600 });
    assert.equal(runSlate(['keys', 'rotate', '--data', dd.data]).code, 0);
    assert.ok(!existsSync(`${key}.new`));
    assert.equal(runSlate(['keys', 'status', '--data', dd.data]).code, 0);
  } finally {
    dd.cleanup();
  }
});

test('a wrong master key stops the server at start with one line, and writes nothing', () => {
  const dd = initDataDir();
  try {
    const wrong = path.join(dd.root, 'wrong.key');
    writeFileSync(wrong, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const hash = (f) => spawnSync('sha256sum', [path.join(dd.data, f)], { encoding: 'utf8' }).stdout.split(' ')[0];
    const before = [hash('slate.db'), hash('keys.db')];
    const r = runSlate(['serve', '--data', dd.data, '--key-file', wrong, '--listen', '127.0.0.1:0'], { timeout: 10_000 });
    assert.equal(r.code, 1);
    assert.deepEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^slate: serve: the master key does not open the keystore .*keys\.db/);
    assert.deepEqual([hash('slate.db'), hash('keys.db')], before);
    const missing = runSlate(['serve', '--data', dd.data, '--key-file', path.join(dd.root, 'none.key'), '--listen', '127.0.0.1:0']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^slate: serve: cannot open master key file/);
    const empty = runSlate(['serve', '--data', dd.data, '--key-stdin', '--listen', '127.0.0.1:0']);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^slate: serve: the master key on standard input is not 64 hex characters\n$/);
  } finally {
    dd.cleanup();
  }
});

test('the master key comes on standard input with --key-stdin', async () => {
  const dd = initDataDir();
  const key = readFileSync(path.join(dd.data, 'master.key'), 'utf8');
  rmSync(path.join(dd.data, 'master.key'));
  const proc = spawn(SLATE_BIN, ['serve', '--data', dd.data, '--key-stdin', '--listen', '127.0.0.1:0'],
    { env: childEnv({ SLATE_LOG_LEVEL: 'info' }), stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c) => { err += c; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  proc.stdin.end(key);
  try {
    await waitFor(() => err.includes('"listening"'), { what: () => `listening; stderr: ${err}` });
  } finally {
    proc.kill('SIGTERM');
    assert.deepEqual(await withTimeout(exited, 15_000), { code: 0, signal: null }, err);
    dd.cleanup();
  }
});

test('rotating the master key while serving: the server goes on, the old key opens nothing', async () => {
  const keyFile = path.join(server.data, 'master.key');
  const old = path.join(server.data, '..', 'old.key');
  copyFileSync(keyFile, old);
  const status = () => JSON.parse(runSlate(['keys', 'status', '--data', server.data, '--json']).stdout);
  const kek = status().master_key.id;
  const r = runSlate(['keys', 'rotate', '--data', server.data]);
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(readFileSync(keyFile, 'utf8'), readFileSync(old, 'utf8'));
  const after = status();
  assert.notEqual(after.master_key.id, kek);
  assert.ok(after.data_keys.length >= 5);
  assert.ok(!JSON.stringify(after).match(/[0-9a-f]{64}/), 'status shows no key material');
  // the running server reads with the new key: sign-in (blind index), a new account, a download
  assert.equal((await signIn(server, { email: people.costume, password: 'the costume truck parks by the river' })).res.status, 200);
  await person('after.rotation@example.org', 'a passphrase made after the rotation');
  const got = await call(server, admin, 'GET', `/api/v1/productions/${production}/attachments/${server.attachment.id}`);
  assert.equal(got.raw.toString(), secretFile);
  const stale = runSlate(['keys', 'status', '--data', server.data, '--key-file', old]);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /does not open the keystore/);
});

test('shredding a person erases them in the live database and in a copy taken before', async () => {
  const copyDb = path.join(server.data, '..', 'before-shred.db');
  sql(`VACUUM INTO '${copyDb}'`, { write: true }); // an encrypted copy, consistent while the server writes
  const shred = runSlate(['keys', 'shred-person', '--data', server.data, '--email', people.costume]);
  assert.equal(shred.code, 0, shred.stderr);
  let list = await emails();
  assert.ok(!list.includes(people.costume));
  assert.ok(list.includes('[erased]'));
  assert.ok(list.includes(people.grip));
  assert.equal(runSlate(['keys', 'shred-person', '--data', server.data, '--email', 'nobody@example.org']).code, 1);
  // restore the copy taken before the shred, with today's keystore
  const data = server.data;
  await server.terminate();
  for (const f of ['slate.db-wal', 'slate.db-shm']) rmSync(path.join(data, f), { force: true });
  copyFileSync(copyDb, path.join(data, 'slate.db'));
  // an older copy put back is refused until the operator accepts the restore (docs/SECURITY.md)
  const accepted = runSlate(['accept-restore', '--data', data]);
  assert.equal(accepted.code, 0, accepted.stderr);
  const again = await startServer({ dataDir: { data, cert: server.cert, cleanup: () => {} } });
  try {
    const s = await signIn(again, { email: people.grip, password: 'grips carry the dolly track at dawn' });
    assert.equal(s.res.status, 200, 'everyone else is intact');
    // the administrator's session is in the copy too
    list = (await call(again, admin, 'GET', '/api/v1/admin/users')).json.users.map((u) => u.email);
    assert.ok(list.includes('[erased]'));
    assert.ok(!list.includes(people.costume));
    assert.ok(list.includes(people.grip));
    const audit = sql("SELECT COUNT(*) FROM audit_event WHERE action = 'keys.shred_person'");
    assert.equal(audit, '0', 'the restored copy predates the shred');
  } finally {
    await again.stop();
  }
});
