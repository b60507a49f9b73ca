// The bound on the queue of a failing destination (issue 21, backup/ship.c): while backup_dir
// fails the WAL is the queue and grows; past backup_max_queue_bytes the server gives the
// destination's continuity up rather than fill the disk — it checkpoints anyway (the WAL stops
// growing), says so in one error line and in /metrics, and when the destination is back writes a
// BREAK marker where frames were lost and a fresh snapshot, so a restore reaches the writes made
// after it and never walks across the gap.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SLATE_BIN, initDataDir, runSlate, startServer, request, waitFor } from './lib/harness.mjs';
import { readyAdmin, call } from './lib/session.mjs';

const SLOW = /valgrind|asan|tsan/.test(SLATE_BIN) ? 20 : 1;
const dd = initDataDir();
after(() => dd.cleanup());
const dest = path.join(dd.root, 'dest');
const env = {
  SLATE_BACKUP_DIR: dest,
  SLATE_BACKUP_SYNC_INTERVAL: '0.2',
  SLATE_BACKUP_DRILL_INTERVAL: '0',
  SLATE_BACKUP_MAX_QUEUE_BYTES: String(1024 * 1024), // the least it may be
};

async function metric(srv, name) {
  const r = await request(srv, { path: '/metrics', timeout: 10_000 * SLOW });
  const line = r.body.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

const snapshots = () => readdirSync(path.join(dest, 'snapshots')).filter((f) => /^\d{8}T\d{6}Z-\d+\.json$/.test(f)).sort();
const breaks = () => readdirSync(path.join(dest, 'wal')).filter((g) => existsSync(path.join(dest, 'wal', g, 'BREAK')));

test('past backup_max_queue_bytes a failing destination is given up: the WAL stops growing; back, it gets a BREAK and a fresh snapshot, and a restore reaches the later writes', async () => {
  const srv = await startServer({ dataDir: dd, env });
  try {
    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    const addDept = async (name) => {
      const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name } });
      assert.equal(r.status, 201, r.body);
    };
    await waitFor(() => existsSync(path.join(dest, 'snapshots')) && snapshots().length > 0,
      { timeout: 60_000 * SLOW, what: 'the first snapshot' });
    const before = snapshots();
    await addDept('Before the failure');

    // the destination fails: its wal directory becomes a file
    renameSync(path.join(dest, 'wal'), path.join(dest, 'wal.away'));
    writeFileSync(path.join(dest, 'wal'), 'not a directory');
    // over 1 MiB of WAL from a shell beside the server (it does not checkpoint behind the shipper)
    const wal = path.join(dd.data, 'slate.db-wal');
    const fill = () => {
      const r = runSlate(['sql', 'CREATE TABLE IF NOT EXISTS filler(b BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) '
        + 'INSERT INTO filler SELECT randomblob(3000) FROM n; DELETE FROM filler', '--write', '--data', dd.data], { env, timeout: 120_000 * SLOW });
      assert.equal(r.code, 0, r.stderr);
    };
    fill();
    await srv.waitForLog((o) => o.msg && o.msg.startsWith('the WAL outgrew backup_max_queue_bytes'),
      { timeout: 60_000 * SLOW, what: 'the give-up line' });
    // given up: the WAL is backfilled anyway and starts over; the same writes again do not make
    // it grow (kept for the destination, it would grow by their 1.8 MB)
    const high = statSync(wal).size;
    await waitFor(async () => (await metric(srv, 'slate_backup_queue_bytes')) !== undefined, { what: 'the metrics' });
    fill();
    assert.ok(statSync(wal).size <= high + 256 * 1024, `the WAL grew from ${high} to ${statSync(wal).size} bytes after the give-up`);
    for (let i = 0; i < 5; i++) await addDept(`While given up ${i}`);

    // the destination is back: a BREAK where the frames were lost, then a fresh snapshot
    rmSync(path.join(dest, 'wal'));
    renameSync(path.join(dest, 'wal.away'), path.join(dest, 'wal'));
    await waitFor(() => breaks().length > 0, { timeout: 60_000 * SLOW, what: 'a BREAK marker' });
    await waitFor(() => snapshots().length > before.length, { timeout: 120_000 * SLOW, what: 'a fresh snapshot' });
    await addDept('After the destination came back');
    const t = Date.now() / 1000;
    await waitFor(async () => (await metric(srv, 'slate_backup_last_shipped_timestamp')) >= t,
      { timeout: 60_000 * SLOW, interval: 50, what: 'the WAL shipped again' });
    assert.equal(await metric(srv, 'slate_backup_queue_bytes'), 0);
  } finally {
    await srv.stop();
  }

  // the latest restore holds every write, the ones from before the gap through the fresh snapshot
  const to = path.join(dd.root, 'restored');
  const r = runSlate(['restore', '--from', dest, '--to', to, '--latest', '--key-file', path.join(dd.data, 'master.key')], { timeout: 120_000 * SLOW });
  assert.equal(r.code, 0, r.stderr);
  const names = runSlate(['sql', "SELECT name FROM department WHERE name LIKE 'Before%' OR name LIKE 'While%' OR name LIKE 'After%' ORDER BY name",
    '--data', to, '--key-file', path.join(dd.data, 'master.key')], { timeout: 60_000 * SLOW });
  assert.equal(names.code, 0, names.stderr);
  assert.deepEqual(names.stdout.trim().split('\n'), ['After the destination came back', 'Before the failure',
    'While given up 0', 'While given up 1', 'While given up 2', 'While given up 3', 'While given up 4']);
});
