// The S3-compatible store's restore drill (issue 21; docs/OPERATIONS.md): with backup_dir and
// s3_endpoint set, the server's scheduled drill (`slate backup verify` as a child) drills both
// destinations, each up to its own position of the same sentinel commit; /metrics has the same
// drill gauges for each, labelled by destination, and `slate backup status --json` shows the
// store's block beside the directory's. With s3_endpoint and no backup_dir the store is the only
// destination: the server ships to it, takes its snapshots into it (written beside the database,
// put there, removed) and drills it. One store (s3rver behind a SigV4-checking front) for the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { SLATE_BIN, childEnv, initDataDir, makeTempDir, startServer, request, waitFor } from './lib/harness.mjs';
import { startS3, S3_KEY_ID, S3_SECRET, S3_REGION } from './lib/s3.mjs';
import { readyAdmin, call } from './lib/session.mjs';

const SLOW = /valgrind|asan|tsan/.test(SLATE_BIN) ? 20 : 1;

/** A slate command run without blocking the loop (the store answers from this process). */
function slate(args, env, timeout = 120_000 * SLOW) {
  return new Promise((resolve) => {
    execFile(SLATE_BIN, args, { env: childEnv(env), timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** /metrics' value of the line that starts with name (its labels included). */
async function metric(srv, name) {
  const r = await request(srv, { path: '/metrics', timeout: 10_000 * SLOW });
  const line = r.body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

let tmp, s3, credFile;

before(async () => {
  tmp = makeTempDir('slate-s3drill-');
  credFile = path.join(tmp.dir, 's3.cred');
  writeFileSync(credFile, `access_key_id=${S3_KEY_ID}\nsecret_access_key=${S3_SECRET}\n`, { mode: 0o600 });
  s3 = await startS3({ buckets: ['slate-backups'] });
});

after(async () => {
  await s3?.stop();
  tmp?.cleanup();
});

const s3Env = (prefix) => ({
  SLATE_BACKUP_SYNC_INTERVAL: '0.1',
  SLATE_BACKUP_S3_ENDPOINT: s3.endpoint,
  SLATE_BACKUP_S3_BUCKET: 'slate-backups',
  SLATE_BACKUP_S3_PREFIX: prefix,
  SLATE_BACKUP_S3_REGION: S3_REGION,
  SLATE_BACKUP_S3_CREDENTIALS_FILE: credFile,
});

test('the scheduled drill drills the S3 store too: its gauges in /metrics labelled s3, its block in status --json', async () => {
  const dd = initDataDir();
  const env = {
    ...s3Env('drill/two'),
    SLATE_BACKUP_DIR: path.join(dd.root, 'dest'),
    SLATE_BACKUP_SNAPSHOT_INTERVAL: '3600',
    SLATE_BACKUP_DRILL_INTERVAL: '3600',
  };
  const started = Math.floor(Date.now() / 1000);
  const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env });
  try {
    // the store is drilled after the directory, by the same child
    await waitFor(async () => (await metric(srv, 'slate_backup_last_drill_timestamp{destination="s3"}')) >= started - 1,
      { timeout: 60_000 * SLOW, interval: 100, what: 'the store\'s drill in /metrics' });
    // on a failure, the drills' log lines say why
    const why = () => srv.lines.filter((l) => /restore drill|snapshot/.test(l)).join('\n');
    for (const label of ['dir', 's3']) {
      assert.equal(await metric(srv, `slate_backup_last_drill_ok{destination="${label}"}`), 1, `${label}: ${why()}`);
      assert.equal(await metric(srv, `slate_backup_last_drill_sentinel{destination="${label}"}`), 1, `${label}: ${why()}`);
      const rto = await metric(srv, `slate_backup_last_drill_seconds{destination="${label}"}`);
      assert.ok(rto > 0 && rto < 60 * SLOW, `${label} drill seconds ${rto}`);
    }
    assert.equal((await request(srv, { path: '/readyz' })).status, 200);

    const st = await slate(['backup', 'status', '--data', dd.data, '--json'], env);
    assert.equal(st.code, 0, st.stderr);
    const s = JSON.parse(st.stdout);
    assert.equal(s.s3.destination, 's3://slate-backups/drill/two');
    assert.equal(s.s3.last_snapshot.name, s.last_snapshot.name);
    assert.equal(s.s3.last_drill.ok, true, s.s3.last_drill.reason);
    assert.equal(s.s3.last_drill.sentinel, true);
    assert.equal(s.s3.last_drill.snapshot, s.last_snapshot.name);
    assert.ok(s.s3.last_drill.position.generation >= 1 && s.s3.last_drill.position.frame >= 1, JSON.stringify(s.s3.last_drill));
    // the same commit: the same frame, each in its own numbering of generations
    assert.equal(s.s3.last_drill.position.frame, s.last_drill.position.frame);
    assert.ok(s.s3.wal.generation >= 1, JSON.stringify(s.s3.wal));
  } finally {
    await srv.stop();
    dd.cleanup();
  }
});

test('the S3 store as the only destination: the server ships, snapshots and drills to it, and a restore from it equals the live database', async () => {
  const dd = initDataDir();
  const key = path.join(dd.data, 'master.key');
  const env = { ...s3Env('only/prod'), SLATE_BACKUP_SNAPSHOT_INTERVAL: '3600', SLATE_BACKUP_DRILL_INTERVAL: '3600' };
  const started = Math.floor(Date.now() / 1000);
  const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env });
  try {
    // a snapshot at the start, then the scheduled drill of it
    await waitFor(async () => (await metric(srv, 'slate_backup_last_drill_timestamp{destination="s3"}')) >= started - 1,
      { timeout: 60_000 * SLOW, interval: 100, what: 'the store\'s drill in /metrics' });
    assert.equal(await metric(srv, 'slate_backup_last_drill_ok{destination="s3"}'), 1,
      srv.lines.filter((l) => /restore drill|snapshot/.test(l)).join('\n'));
    assert.equal(await metric(srv, 'slate_backup_last_drill_sentinel{destination="s3"}'), 1);
    assert.ok((await metric(srv, 'slate_backup_last_snapshot_timestamp')) >= started - 1);
    const m = (await request(srv, { path: '/metrics', timeout: 10_000 * SLOW })).body;
    assert.doesNotMatch(m, /destination="dir"/);
    assert.equal((await request(srv, { path: '/readyz' })).status, 200);
    assert.ok(!existsSync(path.join(dd.data, '.snapshot-staging')), readdirSync(dd.data).join());

    // writes are shipped to the store
    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    for (let i = 0; i < 3; i++) {
      const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: `Only S3 ${i}` } });
      assert.equal(r.status, 201, r.body);
    }
    const t = Date.now() / 1000;
    await waitFor(async () => (await metric(srv, 'slate_backup_last_shipped_timestamp{destination="s3"}')) >= t,
      { timeout: 30_000 * SLOW, interval: 50, what: 'the WAL shipped to the store' });

    // a snapshot and a drill by hand, beside the server
    const now = await slate(['backup', 'now', '--data', dd.data], env);
    assert.equal(now.code, 0, now.stderr);
    assert.match(now.stdout, /^Snapshot (\S+) \(\d+ bytes, position \d+, [\d.]+ s\):\nSnapshot \1 put in s3:\/\/slate-backups\/only\/prod; \d+ older than \d+ days removed there\.\n$/);
    const v = await slate(['backup', 'verify', '--data', dd.data], env);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^Restore drill from s3:\/\/slate-backups\/only\/prod of snapshot \S+: ok, restored and checked in [\d.]+ s; the sentinel and every table's live row count checked at generation \d+ frame \d+\.\n$/);
    const st = await slate(['backup', 'status', '--data', dd.data, '--json'], env);
    assert.equal(st.code, 0, st.stderr);
    const s = JSON.parse(st.stdout);
    assert.equal(s.destination, null);
    assert.equal(s.s3.destination, 's3://slate-backups/only/prod');
    assert.equal(s.s3.last_drill.ok, true);
    assert.equal(s.s3.last_drill.sentinel, true);

    // the latest state from the store equals the live rows
    const to = path.join(tmp.dir, 'only-latest');
    const r = await slate(['restore', '--from', 's3', '--to', to, '--key-file', key, '--latest'], env);
    assert.equal(r.code, 0, r.stderr);
    const q = 'SELECT name FROM department ORDER BY name, id';
    const live = await slate(['sql', q, '--data', dd.data], env);
    const restored = await slate(['sql', q, '--data', to, '--key-file', key], {});
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /Only S3 2/);
    assert.equal(restored.stdout, live.stdout);
    assert.ok(!existsSync(path.join(dd.data, '.snapshot-staging')));
  } finally {
    await srv.stop();
    dd.cleanup();
  }
});
