// Backups, first part of issue 21 (docs/OPERATIONS.md): `slate backup now` writes a snapshot of the
// encrypted database, sealed page by page, and a keystore copy into backup_dir; `slate restore`
// rebuilds a data directory from one, checking it against its manifest, and refuses a wrong master
// key, a non-empty target and an altered, truncated or deleted snapshot, leaving nothing behind;
// retention removes old snapshots; and a keystore copy taken after a person was shredded reads them
// as erased in a restore of an older snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { SLATE_BIN, childEnv, initDataDir, runSlate, slateSql, startServer, request } from './lib/harness.mjs';
import { readyAdmin, call, signIn, NEW_PASSWORD } from './lib/session.mjs';

/** `slate backup now` into dest: the snapshot's NAME. */
function backupNow(data, dest, env = {}) {
  const r = runSlate(['backup', 'now', '--data', data], { env: { SLATE_BACKUP_DIR: dest, ...env } });
  assert.equal(r.code, 0, r.stderr);
  const m = /^Snapshot (\d{8}T\d{6}Z-\d+(?:-\d)?) written to /.exec(r.stdout);
  assert.ok(m, r.stdout);
  return m[1];
}

const restore = (dest, to, keyFile, extra = []) =>
  runSlate(['restore', '--from', dest, '--to', to, '--key-file', keyFile, ...extra], { timeout: 60_000 });

/** `slate sql` on a directory whose master key lives elsewhere. */
function sqlWith(data, keyFile, q, json = false) {
  const r = runSlate(['sql', q, '--data', data, '--key-file', keyFile, ...(json ? ['--json'] : [])], { timeout: 120_000 });
  assert.equal(r.code, 0, `${q}\n${r.stderr}`);
  return r.stdout;
}

const tablesOf = (dest, name) => Object.keys(JSON.parse(readFileSync(path.join(dest, 'snapshots', `${name}.json`), 'utf8')).tables);

/** Every row of every table but the audit log, sorted: a logical dump (one `slate sql` run). */
function dump(data, keyFile, tables) {
  const names = tables.filter((t) => t !== 'audit_event');
  // each row tagged with its table (an empty table prints no line)
  const text = sqlWith(data, keyFile, names.map((t) => `SELECT '${t}' AS _table, * FROM "${t}";`).join(' '), true);
  const out = {};
  for (const line of text.trim().split('\n').filter(Boolean)) {
    const rows = JSON.parse(line);
    out[rows[0]._table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return out;
}

test('a snapshot taken beside a running server restores into a new directory that starts and answers the same data', async () => {
  const dd = initDataDir();
  const dest = path.join(dd.root, 'dest');
  const to = path.join(dd.root, 'restored');
  const key = path.join(dd.data, 'master.key');
  let srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
  let restored;
  try {
    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: 'Backup Unit' } });
    assert.equal(r.status, 201, r.body);
    const name = backupNow(dd.data, dest);
    const before = (await call(srv, admin, 'GET', `/api/v1/productions/${prod.id}/departments`)).json;
    await srv.stop();
    srv = null;

    // the copy is sealed: no page of it is plaintext, and its first bytes are not SQLite's
    const bytes = readFileSync(path.join(dest, 'snapshots', `${name}.db`));
    assert.notEqual(bytes.subarray(0, 15).toString('latin1'), 'SQLite format 3');
    assert.ok(!bytes.includes(Buffer.from('Backup Unit')), 'a department name is in the snapshot in the clear');

    const out = restore(dest, to, key, ['--latest']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^Restored snapshot ${name} \\(created \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z, \\d+ bytes, position \\d+, \\d+ audit events, keystore ${name}\\) into .* in [\\d.]+ s\\.\\n$`));
    assert.deepEqual(readdirSync(to).sort(), ['keys.db', 'slate.db']);

    // the same rows in every table; the live audit log only has the snapshot's own event more
    const tables = tablesOf(dest, name);
    assert.ok(tables.includes('department') && tables.includes('person') && tables.includes('call'));
    const restoredRows = dump(to, key, tables);
    assert.ok(restoredRows.call.length > 100 && restoredRows.department.some((r) => r.includes('Backup Unit')));
    assert.deepEqual(restoredRows, dump(dd.data, key, tables));
    const auditTo = sqlWith(to, key, 'SELECT seq, hash FROM audit_event ORDER BY seq');
    assert.ok(sqlWith(dd.data, key, 'SELECT seq, hash FROM audit_event ORDER BY seq').startsWith(auditTo));

    // it starts without accept-restore, and answers as the server did
    restored = await startServer({
      dataDir: { data: to, cert: dd.cert, init: dd.init, cleanup: () => {} },
      env: {
        SLATE_MASTER_KEY_FILE: key,
        SLATE_TLS_CERT: path.join(dd.data, 'tls', 'cert.pem'),
        SLATE_TLS_KEY: path.join(dd.data, 'tls', 'key.pem'),
      },
    });
    // the administrator's changed password and second factor came back with the database
    const s2 = await signIn(restored, { password: NEW_PASSWORD, totp: admin.mfa.recoveryCodes[0] });
    const after = (await call(restored, s2, 'GET', `/api/v1/productions/${prod.id}/departments`)).json;
    assert.deepEqual(after, before);
  } finally {
    if (srv) await srv.kill();
    if (restored) await restored.stop();
    dd.cleanup();
  }
});

test('writes during snapshots are neither lost nor held up', async () => {
  const dd = initDataDir();
  const dest = path.join(dd.root, 'dest');
  const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
  try {
    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    // what a write costs here without a snapshot (valgrind or a sanitizer makes it slower)
    let baseline = 0;
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: `Before ${i}` } });
      assert.equal(r.status, 201, r.body);
      baseline = Math.max(baseline, performance.now() - t0);
    }
    let snapshotsDone = false;
    const snapshots = (async () => {
      for (let i = 0; i < 4; i++) {
        const code = await new Promise((resolve) => {
          const p = spawn(SLATE_BIN, ['backup', 'now', '--data', dd.data], {
            env: childEnv({ SLATE_BACKUP_DIR: dest }), stdio: 'ignore',
          });
          p.on('exit', resolve);
        });
        assert.equal(code, 0);
      }
      snapshotsDone = true;
    })();
    const latencies = [];
    let acked = 0;
    for (let i = 0; !snapshotsDone || i < 20; i++) {
      const t0 = performance.now();
      const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: `During ${i}` } });
      latencies.push(performance.now() - t0);
      assert.equal(r.status, 201, r.body);
      acked++;
    }
    await snapshots;
    assert.equal(readdirSync(path.join(dest, 'snapshots')).filter((f) => f.endsWith('.json')).length, 4);
    assert.equal(slateSql(dd.data, "SELECT COUNT(*) FROM department WHERE name LIKE 'During %'"), String(acked));
    const worst = Math.max(...latencies);
    assert.ok(worst < 2000 + 3 * baseline, `a write waited ${worst.toFixed(0)} ms during a snapshot (${baseline.toFixed(0)} ms without)`);
    // every snapshot restores
    for (const f of readdirSync(path.join(dest, 'snapshots')).filter((x) => x.endsWith('.json'))) {
      const to = path.join(dd.root, `r-${f}`);
      const out = restore(dest, to, path.join(dd.data, 'master.key'), ['--snapshot', f.replace(/\.json$/, '')]);
      assert.equal(out.code, 0, out.stderr);
    }
  } finally {
    await srv.stop();
    dd.cleanup();
  }
});

test('an altered, truncated or deleted snapshot is refused, naming it, and nothing is left in the target', () => {
  const dd = initDataDir();
  try {
    const dest = path.join(dd.root, 'dest');
    const key = path.join(dd.data, 'master.key');
    const name = backupNow(dd.data, dest);
    const cases = {
      altered: (d) => {
        const f = path.join(d, 'snapshots', `${name}.db`);
        const b = readFileSync(f);
        b[5 * 4096 + 100] ^= 0x01;
        writeFileSync(f, b);
      },
      truncated: (d) => {
        const f = path.join(d, 'snapshots', `${name}.db`);
        truncateSync(f, Math.floor(readFileSync(f).length / 2));
      },
      deleted: (d) => rmSync(path.join(d, 'snapshots', `${name}.db`)),
      // someone who alters a page and writes the matching SHA-256 into the manifest still fails the page seals
      'altered with its manifest': (d) => {
        const f = path.join(d, 'snapshots', `${name}.db`);
        const b = readFileSync(f);
        b[5 * 4096 + 100] ^= 0x01;
        writeFileSync(f, b);
        const mf = path.join(d, 'snapshots', `${name}.json`);
        const m = JSON.parse(readFileSync(mf, 'utf8'));
        m.sha256 = createHash('sha256').update(b).digest('hex');
        writeFileSync(mf, JSON.stringify(m));
      },
    };
    for (const [what, spoil] of Object.entries(cases)) {
      const d = path.join(dd.root, `dest-${what.replace(/ /g, '-')}`);
      cpSync(dest, d, { recursive: true });
      spoil(d);
      const to = path.join(dd.root, `to-${what.replace(/ /g, '-')}`);
      const r = restore(d, to, key);
      assert.equal(r.code, 1, `${what}: restored (${r.stdout})`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^slate: restore: .*${name}.*\\n$`), `${what}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').length, 2, `${what}: one line`);
      assert.ok(!existsSync(to), `${what}: the target was left behind`);
    }
    // the drill says the same
    const d = path.join(dd.root, 'dest-altered');
    const v = runSlate(['backup', 'verify', '--data', dd.data], { env: { SLATE_BACKUP_DIR: d } });
    assert.equal(v.code, 1);
    assert.match(v.stderr, new RegExp(`^slate: backup: restore drill of snapshot ${name} failed: snapshot ${name}\\.db does not match its manifest`));
  } finally {
    dd.cleanup();
  }
});

test('a wrong master key is refused and nothing is written; a non-empty target is refused and left as it was', () => {
  const dd = initDataDir();
  try {
    const dest = path.join(dd.root, 'dest');
    const name = backupNow(dd.data, dest);
    const wrong = path.join(dd.root, 'wrong.key');
    writeFileSync(wrong, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const to = path.join(dd.root, 'to');
    let r = restore(dest, to, wrong);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `slate: restore: the master key in ${wrong} does not open keystore copy ${name}.keys.db: nothing was restored\n`);
    assert.ok(!existsSync(to), 'the target was made');
    // an empty directory given stays, and stays empty
    mkdirSync(to);
    r = restore(dest, to, wrong);
    assert.equal(r.code, 1);
    assert.deepEqual(readdirSync(to), []);

    writeFileSync(path.join(to, 'notes.txt'), 'keep me');
    r = restore(dest, to, path.join(dd.data, 'master.key'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `slate: restore: ${to} is not empty: a restore never writes beside other files\n`);
    assert.deepEqual(readdirSync(to), ['notes.txt']);
    assert.equal(readFileSync(path.join(to, 'notes.txt'), 'utf8'), 'keep me');
  } finally {
    dd.cleanup();
  }
});

test('retention removes snapshots and keystore copies older than backup_retention_days, never more than 30', () => {
  const dd = initDataDir();
  try {
    const dest = path.join(dd.root, 'dest');
    const name = backupNow(dd.data, dest);
    const stamp = (daysAgo) => new Date(Date.now() - daysAgo * 86400_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const snap = path.join(dest, 'snapshots');
    const old = `${stamp(40)}-1`;
    const recent = `${stamp(10)}-1`;
    for (const n of [old, recent]) for (const ext of ['.db', '.keys.db', '.json']) copyFileSync(path.join(snap, `${name}${ext}`), path.join(snap, `${n}${ext}`));
    const r = runSlate(['backup', 'now', '--data', dd.data], { env: { SLATE_BACKUP_DIR: dest, SLATE_BACKUP_RETENTION_DAYS: '30' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /; 1 older than 30 days removed\.\n$/);
    const left = readdirSync(snap);
    assert.ok(!left.some((f) => f.startsWith(old)), `an old snapshot is left: ${left}`);
    for (const ext of ['.db', '.keys.db', '.json']) assert.ok(left.includes(`${recent}${ext}`), `${recent}${ext} was removed`);

    const longer = runSlate(['backup', 'now', '--data', dd.data], { env: { SLATE_BACKUP_DIR: dest, SLATE_BACKUP_RETENTION_DAYS: '31' } });
    assert.notEqual(longer.code, 0);
    assert.match(longer.stderr, /retention_days must be a whole number from 1 to 30/);
  } finally {
    dd.cleanup();
  }
});

test('a person shredded after a snapshot reads [erased] in a restore of it that uses a keystore copy taken after the shredding', () => {
  const dd = initDataDir();
  try {
    const dest = path.join(dd.root, 'dest');
    const key = path.join(dd.data, 'master.key');
    const add = runSlate(['user', 'add', '--data', dd.data, '--email', 'grip@example.com', '--name', 'Gaffer Grip']);
    assert.equal(add.code, 0, add.stderr);
    const before = backupNow(dd.data, dest);
    const shred = runSlate(['keys', 'shred-person', '--data', dd.data, '--email', 'grip@example.com']);
    assert.equal(shred.code, 0, shred.stderr);
    const after = backupNow(dd.data, dest);
    assert.notEqual(after, before);
    const emails = (data) => {
      const r = runSlate(['user', 'list', '--data', data, '--json'], { env: { SLATE_MASTER_KEY_FILE: key } });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };

    // with the keystore copy of its own day the person is still there: that copy holds their key
    const own = path.join(dd.root, 'own');
    assert.equal(restore(dest, own, key, ['--snapshot', before]).code, 0);
    assert.match(emails(own), /grip@example\.com/);

    // with a copy taken after the shredding the key is gone, so are the person's sealed fields
    const later = path.join(dd.root, 'later');
    const r = restore(dest, later, key, ['--snapshot', before, '--keystore', 'latest']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Restored snapshot ${before} .*keystore ${after}\\)`));
    assert.doesNotMatch(emails(later), /grip@example\.com/);
    assert.match(emails(later), /\[erased\]/);
  } finally {
    dd.cleanup();
  }
});

test('a drill removes its scratch directory, and one a killed drill left behind once it is a day old', () => {
  const dd = initDataDir();
  try {
    const dest = path.join(dd.root, 'dest');
    backupNow(dd.data, dest);
    const old = path.join(dd.data, '.drill-killed');
    const young = path.join(dd.data, '.drill-running');
    for (const d of [old, young]) {
      mkdirSync(d);
      writeFileSync(path.join(d, 'slate.db'), 'x');
    }
    const dayAndABit = (Date.now() - 25 * 3600_000) / 1000;
    utimesSync(old, dayAndABit, dayAndABit);
    const r = runSlate(['backup', 'verify', '--data', dd.data], { env: { SLATE_BACKUP_DIR: dest } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Restore drill of snapshot \S+: ok, restored and checked in [\d.]+ s; the sentinel and every table's live row count checked at generation \d+ frame \d+\.\n$/);
    assert.deepEqual(readdirSync(dd.data).filter((f) => f.startsWith('.drill-')), ['.drill-running']);
  } finally {
    dd.cleanup();
  }
});
