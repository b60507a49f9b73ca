// Backups inside `slate serve` (docs/OPERATIONS.md): with backup_dir set the server takes a
// snapshot on its schedule and runs a restore drill (the newest snapshot restored into a scratch
// directory and checked); each is in the audit log, the drill's outcome and duration in /metrics,
// and /readyz answers 503 while the last drill or snapshot failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initDataDir, runSlate, slateSql, startServer, request, waitFor } from './lib/harness.mjs';

/** The value of a metric (the directory's drill lines carry destination="dir"), or undefined. */
async function metric(srv, name) {
  const r = await request(srv, { path: '/metrics' });
  assert.equal(r.status, 200);
  const m = new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(r.body);
  return m ? Number(m[1]) : undefined;
}

const backupEvents = (data) => slateSql(data, "SELECT action || ' ' || object || ' ' || outcome FROM audit_event WHERE action LIKE 'backup.%' ORDER BY seq");

test('the server takes a snapshot and runs a restore drill on its schedule, recorded in the audit log and in /metrics', async () => {
  const dd = initDataDir();
  const dest = path.join(dd.root, 'dest');
  const started = Math.floor(Date.now() / 1000);
  const srv = await startServer({
    dataDir: { ...dd, cleanup: () => {} },
    env: { SLATE_BACKUP_DIR: dest, SLATE_BACKUP_SNAPSHOT_INTERVAL: '3600', SLATE_BACKUP_DRILL_INTERVAL: '3600' },
  });
  try {
    await waitFor(async () => (await metric(srv, 'slate_backup_last_drill_timestamp{destination="dir"}')) > 0, { timeout: 30_000, what: 'a drill in /metrics' });
    assert.ok((await metric(srv, 'slate_backup_last_snapshot_timestamp')) >= started - 1);
    assert.ok((await metric(srv, 'slate_backup_last_drill_timestamp{destination="dir"}')) >= started - 1);
    assert.equal(await metric(srv, 'slate_backup_last_drill_ok{destination="dir"}'), 1);
    assert.equal(await metric(srv, 'slate_backup_last_drill_sentinel{destination="dir"}'), 1);
    const rto = await metric(srv, 'slate_backup_last_drill_seconds{destination="dir"}');
    assert.ok(rto > 0 && rto < 30, `drill seconds ${rto}`);

    const names = readdirSync(path.join(dest, 'snapshots')).filter((f) => f.endsWith('.json'));
    assert.equal(names.length, 1, names.join());
    const name = names[0].replace(/\.json$/, '');
    await waitFor(() => backupEvents(dd.data).includes('backup.drill'), { what: 'the drill in the audit log' });
    assert.deepEqual(backupEvents(dd.data).split('\n'), [`backup.snapshot ${name} success`, `backup.drill ${name} success`]);
    const drill = JSON.parse(readFileSync(path.join(dest, 'last-drill.json'), 'utf8'));
    assert.equal(drill.snapshot, name);
    assert.equal(drill.ok, true);
    // the scratch directory is gone
    assert.deepEqual(readdirSync(dd.data).filter((f) => f.startsWith('.drill-')), []);

    const ready = await request(srv, { path: '/readyz' });
    assert.equal(ready.status, 200, ready.body);

    const st = runSlate(['backup', 'status', '--data', dd.data, '--json'], { env: { SLATE_BACKUP_DIR: dest } });
    assert.equal(st.code, 0, st.stderr);
    const s = JSON.parse(st.stdout);
    assert.equal(s.destination, dest);
    assert.equal(s.last_snapshot.name, name);
    assert.equal(s.last_drill.ok, true);
    assert.equal(s.last_drill.snapshot, name);
  } finally {
    await srv.stop();
    dd.cleanup();
  }
});

test('/readyz reports a failed restore drill, and /metrics and the audit log say so', async () => {
  const dd = initDataDir();
  const dest = path.join(dd.root, 'dest');
  const now = runSlate(['backup', 'now', '--data', dd.data], { env: { SLATE_BACKUP_DIR: dest } });
  assert.equal(now.code, 0, now.stderr);
  const name = /^Snapshot (\S+) written/.exec(now.stdout)[1];
  // one bit of the stored snapshot flips
  const f = path.join(dest, 'snapshots', `${name}.db`);
  const b = readFileSync(f);
  b[3 * 4096 + 7] ^= 0x80;
  writeFileSync(f, b);

  const srv = await startServer({
    dataDir: { ...dd, cleanup: () => {} },
    env: { SLATE_BACKUP_DIR: dest, SLATE_BACKUP_SNAPSHOT_INTERVAL: '0', SLATE_BACKUP_DRILL_INTERVAL: '3600' },
  });
  try {
    const r = await waitFor(async () => {
      const x = await request(srv, { path: '/readyz' });
      return x.status === 503 ? x : null;
    }, { timeout: 30_000, what: '/readyz to fail' });
    assert.equal(r.json.detail, 'the last restore drill failed');
    assert.equal(await metric(srv, 'slate_backup_last_drill_ok{destination="dir"}'), 0);
    assert.ok((await metric(srv, 'slate_backup_last_drill_timestamp{destination="dir"}')) > 0);
    await waitFor(() => backupEvents(dd.data).includes('backup.drill'), { what: 'the drill in the audit log' });
    assert.match(backupEvents(dd.data), new RegExp(`backup\\.drill ${name} failure`));
    const log = await srv.waitForLog((o) => o.msg === 'restore drill');
    assert.equal(log.ok, 0);
    assert.match(log.reason, new RegExp(`snapshot ${name}\\.db does not match its manifest`));

    // the status says the same
    const st = runSlate(['backup', 'status', '--data', dd.data], { env: { SLATE_BACKUP_DIR: dest } });
    assert.match(st.stdout, new RegExp(`^last drill +\\S+, snapshot ${name}, FAILED, [\\d.]+ s: snapshot ${name}\\.db does not match its manifest`, 'm'));
  } finally {
    await srv.stop();
    dd.cleanup();
  }
});

test('/readyz reports a snapshot that failed', async () => {
  const dd = initDataDir();
  // the destination cannot be made: a file stands where its parent should be
  const blocker = path.join(dd.root, 'not-a-dir');
  writeFileSync(blocker, 'x');
  const srv = await startServer({
    dataDir: { ...dd, cleanup: () => {} },
    env: { SLATE_BACKUP_DIR: path.join(blocker, 'dest'), SLATE_BACKUP_SNAPSHOT_INTERVAL: '3600', SLATE_BACKUP_DRILL_INTERVAL: '0' },
  });
  try {
    const r = await waitFor(async () => {
      const x = await request(srv, { path: '/readyz' });
      return x.status === 503 ? x : null;
    }, { timeout: 30_000, what: '/readyz to fail' });
    assert.equal(r.json.detail, 'the last backup snapshot failed');
    assert.equal(await metric(srv, 'slate_backup_last_snapshot_timestamp'), 0);
    const log = await srv.waitForLog((o) => o.msg === 'backup snapshot failed');
    assert.match(log.reason, /cannot create/);
    assert.ok(!existsSync(path.join(blocker, 'dest')));
  } finally {
    await srv.stop();
    dd.cleanup();
  }
});

test('without backup_dir the server takes no snapshot and /metrics has no backup lines', async () => {
  const srv = await startServer();
  try {
    const r = await request(srv, { path: '/metrics' });
    assert.doesNotMatch(r.body, /slate_backup_/);
    assert.equal((await request(srv, { path: '/readyz' })).status, 200);
  } finally {
    await srv.stop();
  }
});
