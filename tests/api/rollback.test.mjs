// Rollback of the database file (docs/SECURITY.md, "Rollback of the database file"): pages are
// sealed with their number but not a version, so the file's page 1 carries a commit counter (the
// seal epoch, src/store/pagecrypt.c) that every checkpoint raises and the keystore records. An
// older copy put back while Slate is stopped is refused by `slate serve` and every command, in one
// line naming the file; an unchanged database restarts; a restored keystore backup opens; and an
// operator who restored an older database on purpose accepts it with `slate accept-restore`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, initDataDir, runSlate, slateSql } from './lib/harness.mjs';
import { readyAdmin, call } from './lib/session.mjs';

const FILES = ['slate.db', 'slate.db-wal'];
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Copies the database file (and its WAL when there is one) of a stopped data directory. */
function copyOut(data, dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of FILES) if (existsSync(path.join(data, f))) copyFileSync(path.join(data, f), path.join(dir, f));
}

/** Puts a copy back as it was, as someone with write access to the disk would. */
function putBack(dir, data) {
  for (const f of [...FILES, 'slate.db-shm']) rmSync(path.join(data, f), { force: true });
  for (const f of FILES) if (existsSync(path.join(dir, f))) copyFileSync(path.join(dir, f), path.join(data, f));
}

/** Starts the server on dd, adds a department (a commit), and stops it cleanly. */
async function changeAndStop(dd, name) {
  const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
  try {
    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name } });
    assert.equal(r.status, 201, r.body);
  } finally {
    await srv.stop();
  }
}

const departments = (data, name) => slateSql(data, `SELECT COUNT(*) FROM department WHERE name = '${name}'`);

/** `slate serve` on data, to its exit (or killed after the timeout, when it does start). */
const serve = (data) => runSlate(['serve', '--data', data, '--listen', '127.0.0.1:0'], { timeout: 20_000 });

test('an older copy of the database file put back while Slate is stopped is refused by serve and by the CLI, in one line naming the file', async () => {
  const dd = initDataDir();
  try {
    const old = path.join(dd.root, 'old');
    copyOut(dd.data, old);
    await changeAndStop(dd, 'Second Unit Rollback');
    assert.equal(departments(dd.data, 'Second Unit Rollback'), '1');
    putBack(old, dd.data);

    const db = path.join(dd.data, 'slate.db');
    const line = new RegExp(`^slate: sql: ${esc(db)} was rolled back: an older copy of the file was put back \\(commit counter \\d+, the keystore recorded \\d+\\); if you restored it from a backup on purpose, run slate accept-restore\\n$`);
    const r = runSlate(['sql', 'SELECT COUNT(*) FROM department', '--data', dd.data]);
    assert.equal(r.code, 1, `slate sql opened a rolled-back database: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, line);

    const s = serve(dd.data);
    assert.equal(s.code, 1, `slate serve started on a rolled-back database (signal ${s.signal})`);
    assert.ok(s.stderr.split('\n').some((l) => l.startsWith(`slate: serve: ${db} was rolled back`)), s.stderr);
    assert.doesNotMatch(s.stderr, /"msg":"listening"/);
  } finally {
    dd.cleanup();
  }
});

test('page 1 alone put back from an older copy is refused as well', async () => {
  const dd = initDataDir();
  try {
    const old = path.join(dd.root, 'old');
    copyOut(dd.data, old);
    await changeAndStop(dd, 'Page One Unit');
    // the old page 1 over the new file: it still authenticates (same key, same page number)
    const cur = readFileSync(path.join(dd.data, 'slate.db'));
    readFileSync(path.join(old, 'slate.db')).copy(cur, 0, 0, 4096);
    writeFileSync(path.join(dd.data, 'slate.db'), cur);
    const r = runSlate(['sql', 'SELECT 1', '--data', dd.data]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /slate\.db was rolled back/);
  } finally {
    dd.cleanup();
  }
});

test('an unchanged database restarts, and a keystore restored from its backup opens the current database', async () => {
  const dd = initDataDir();
  try {
    await changeAndStop(dd, 'Restart Unit One');
    // a restart with nothing changed in between
    const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
    await srv.stop();
    assert.equal(departments(dd.data, 'Restart Unit One'), '1');

    // a keystore backup, more changes, then the backup put back over keys.db
    const b = runSlate(['keys', 'backup', '--data', dd.data]);
    assert.equal(b.code, 0, b.stderr);
    const dir = path.join(dd.data, 'keystore-backups');
    const backups = readdirSync(dir).filter((f) => /^keys-.*\.db$/.test(f));
    assert.equal(backups.length, 1, `the keystore backup: ${b.stdout}`);
    const found = path.join(dir, backups[0]);
    // a change made by a command, checkpointed when it closes the database
    const u = runSlate(['user', 'add', '--email', 'second.unit@example.org', '--data', dd.data]);
    assert.equal(u.code, 0, u.stderr);
    for (const f of ['keys.db-wal', 'keys.db-shm']) rmSync(path.join(dd.data, f), { force: true });
    copyFileSync(found, path.join(dd.data, 'keys.db'));
    assert.equal(slateSql(dd.data, 'SELECT COUNT(*) FROM app_user'), '2');
    const again = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
    await again.stop();
  } finally {
    dd.cleanup();
  }
});

test('slate accept-restore lets an operator open an older database restored on purpose, and audits it', async () => {
  const dd = initDataDir();
  try {
    const old = path.join(dd.root, 'old');
    copyOut(dd.data, old);
    await changeAndStop(dd, 'Accepted Restore Unit');
    putBack(old, dd.data);
    assert.equal(runSlate(['sql', 'SELECT 1', '--data', dd.data]).code, 1);

    const a = runSlate(['accept-restore', '--data', dd.data]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /slate\.db accepted as restored: commit counter \d+ \(the keystore had \d+\)/);
    assert.equal(departments(dd.data, 'Accepted Restore Unit'), '0', 'the restored copy is what opens');
    assert.equal(slateSql(dd.data, "SELECT COUNT(*) FROM audit_event WHERE action = 'db.accept_restore'"), '1');
    const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
    await srv.stop();
    // a second time: nothing older to accept
    const b = runSlate(['accept-restore', '--data', dd.data]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /was not older than the keystore's record/);
  } finally {
    dd.cleanup();
  }
});
