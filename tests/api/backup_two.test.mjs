// Two backup destinations (issue 21, docs/OPERATIONS.md): with backup_dir and s3_endpoint set, `slate
// serve` ships every WAL segment and puts every snapshot to each, independently (each its own
// HEAD); `slate restore --from s3` restores from the S3-compatible store with every check a
// directory restore makes. One server and one store (s3rver behind a SigV4-checking front) serve
// the whole file: the store answering 503 during writes leaves the directory shipping and /metrics
// and /readyz naming s3, and it catches up when it is back; a segment altered in the directory is
// refused there while S3 still restores; a wrong S3 secret fails S3 alone, in one log line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SLATE_BIN, childEnv, initDataDir, makeTempDir, runSlate, startServer, request, waitFor } from './lib/harness.mjs';
import { readyAdmin, call } from './lib/session.mjs';
import { startS3, S3_KEY_ID, S3_SECRET, S3_REGION } from './lib/s3.mjs';

const SLOW = /valgrind|asan|tsan/.test(SLATE_BIN) ? 20 : 1;

/** A slate command run without blocking the loop (the store answers from this process). */
function slate(args, env, timeout = 120_000 * SLOW) {
  return new Promise((resolve) => {
    execFile(SLATE_BIN, args, { env: childEnv(env), timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * The rows compared: department names, accounts and memberships (a logical dump). With the
 * server's environment: a process without backup_dir would checkpoint the live WAL behind the
 * shipper's back.
 */
function dump(data, keyFile) {
  const r = runSlate(['sql', 'SELECT name FROM department ORDER BY name, id; SELECT COUNT(*) FROM app_user; '
    + 'SELECT COUNT(*) FROM membership', '--data', data, ...(keyFile ? ['--key-file', keyFile] : [])], { env: { SLATE_BACKUP_DIR: dest }, timeout: 60_000 * SLOW });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** /metrics' value of the line that starts with name (a label included). */
async function metric(srv, name) {
  const r = await request(srv, { path: '/metrics', timeout: 10_000 * SLOW });
  const line = r.body.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** The server's log lines but the requests: for a failure's message. */
const notes = (s) => s.lines.filter((l) => !l.includes('"msg":"request"')).join('\n');

const shippedTo = (label) => `slate_backup_last_shipped_timestamp{destination="${label}"}`;

/** Waits until every commit made before now is in both destinations (the server says so). */
async function shippedBoth(srv) {
  const t = Date.now() / 1000;
  for (const label of ['dir', 's3']) {
    await waitFor(async () => (await metric(srv, shippedTo(label))) >= t,
      { timeout: 30_000 * SLOW, interval: 50, what: `the WAL shipped to ${label}` });
  }
}

let tmp, s3, credFile, dd, dest, key, srv, admin, prod, env;

before(async () => {
  tmp = makeTempDir('slate-two-');
  credFile = path.join(tmp.dir, 's3.cred');
  writeFileSync(credFile, `access_key_id=${S3_KEY_ID}\nsecret_access_key=${S3_SECRET}\n`, { mode: 0o600 });
  s3 = await startS3({ buckets: ['slate-backups'] });
  dd = initDataDir();
  dest = path.join(dd.root, 'dest');
  key = path.join(dd.data, 'master.key');
  env = {
    SLATE_BACKUP_DIR: dest,
    SLATE_BACKUP_SYNC_INTERVAL: '0.1',
    SLATE_BACKUP_DRILL_INTERVAL: '0',
    SLATE_BACKUP_READY_GRACE: '0',
    SLATE_BACKUP_S3_ENDPOINT: s3.endpoint,
    SLATE_BACKUP_S3_BUCKET: 'slate-backups',
    SLATE_BACKUP_S3_PREFIX: 'team/prod',
    SLATE_BACKUP_S3_REGION: S3_REGION,
    SLATE_BACKUP_S3_CREDENTIALS_FILE: credFile,
  };
  srv = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env });
  admin = await readyAdmin(srv);
  prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
});

after(async () => {
  await srv?.stop();
  await s3?.stop();
  dd?.cleanup();
  tmp?.cleanup();
});

async function addDept(name) {
  const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name } });
  assert.equal(r.status, 201, r.body);
}

const s3Puts = (re) => s3.counts.requests.filter((r) => r.startsWith('PUT ') && re.test(r));

/** A restore into a new directory under tmp: {code, stdout, stderr, to}. */
let restores = 0;
async function restore(from, extra) {
  const to = path.join(tmp.dir, `to-${++restores}`);
  const r = await slate(['restore', '--from', from, '--to', to, '--key-file', key, ...extra], env);
  return { ...r, to };
}

test('both destinations get every segment and snapshot; a restore from S3 to the latest and to an earlier instant equals the one from the directory', async () => {
  // the server's first snapshot, in both
  await waitFor(() => existsSync(path.join(dest, 'snapshots')) && readdirSync(path.join(dest, 'snapshots')).some((f) => f.endsWith('.json')),
    { timeout: 30_000 * SLOW, what: 'the first snapshot in the directory' });
  await waitFor(() => s3Puts(/^PUT \/slate-backups\/team\/prod\/snapshots\/\d{8}T\d{6}Z-\d+\.json$/).length > 0,
    { timeout: 30_000 * SLOW, what: 'the first snapshot in S3' });
  const name = readdirSync(path.join(dest, 'snapshots')).find((f) => f.endsWith('.json')).replace(/\.json$/, '');
  for (const ext of ['.db', '.keys.db', '.json']) {
    assert.equal(s3Puts(new RegExp(`/snapshots/${name}${ext.replace('.', '\\.')}$`)).length, 1, `${name}${ext} in S3`);
  }

  for (let i = 0; i < 3; i++) await addDept(`Early ${i}`);
  await shippedBoth(srv);
  const t1 = Date.now();
  const early = dump(dd.data);
  await waitFor(() => Date.now() > t1 + 5, { interval: 1 });
  for (let i = 0; i < 3; i++) await addDept(`Late ${i}`);
  await shippedBoth(srv);
  const late = dump(dd.data);

  // every segment in the directory went to S3 too (each its own numbering; here they agree)
  const dirSegs = readdirSync(path.join(dest, 'wal')).filter((g) => /^\d{10}$/.test(g))
    .flatMap((g) => readdirSync(path.join(dest, 'wal', g)).filter((f) => f.endsWith('.seg')).map((f) => `wal/${g}/${f}`));
  assert.ok(dirSegs.length >= 2, dirSegs.join(' '));
  for (const seg of dirSegs) assert.equal(s3Puts(new RegExp(`/team/prod/${seg}$`)).length, 1, `${seg} in S3`);
  assert.ok(s3Puts(/\/team\/prod\/wal\/HEAD$/).length >= dirSegs.length);

  const at = new Date(t1).toISOString();
  for (const [what, extra, want] of [['--at', ['--at', at], early], ['--latest', ['--latest'], late]]) {
    const fromS3 = await restore('s3', extra);
    assert.equal(fromS3.code, 0, `${what} from s3: ${fromS3.stderr}`);
    assert.match(fromS3.stdout, /^Restored snapshot /);
    const fromDir = await restore(dest, extra);
    assert.equal(fromDir.code, 0, `${what} from the directory: ${fromDir.stderr}`);
    assert.equal(dump(fromS3.to, key), want, `${what} ${at} from s3: ${fromS3.stdout}`);
    assert.equal(dump(fromDir.to, key), want, `${what} ${at} from the directory: ${fromDir.stdout}`);
  }
  // the scratch directories are gone
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.startsWith('.restore-fetch-')), []);

  // a drill from each destination, and the status of each
  const v = await slate(['backup', 'verify', '--data', dd.data], env);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^Restore drill of snapshot \S+: ok, .*\nRestore drill from s3:\/\/slate-backups\/team\/prod of snapshot \S+: ok, restored and checked in [\d.]+ s; the sentinel and every table's live row count checked at generation \d+ frame \d+\.\n$/);
  // the drills' audit events are shipped first (s3rver answers 500 to a read racing the put that
  // replaces wal/HEAD; Slate tries such a read again, the wait keeps the test off that path)
  await shippedBoth(srv);
  const st = await slate(['backup', 'status', '--data', dd.data], env);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /\ndestination +s3:\/\/slate-backups\/team\/prod\nwal shipped +generation \d+, frame \d+, last commit shipped \S+ .*\nlast snapshot +\d{8}T\d{6}Z-\d+\nlast drill +\S+, snapshot \S+, ok, /);
  // no scratch file is left behind: the serving shipper reads S3 objects through a scratch file
  // of its own every tick, so one may be there for a moment, but never for good
  const left = () => readdirSync(dd.data).filter((f) => f.startsWith('.drill-') || f.startsWith('.s3-') || f.startsWith('.backup-get-'));
  await waitFor(() => left().length === 0, { timeout: 30_000, what: () => `no scratch files left: ${left()}` });
});

test('the S3 store down during writes: the directory keeps shipping, /metrics and /readyz name s3; back, it catches up and restores every write', async () => {
  s3.setDown(true);
  try {
    for (let i = 0; i < 3; i++) await addDept(`While down ${i}`);
    const t = Date.now() / 1000;
    await waitFor(async () => (await metric(srv, shippedTo('dir'))) >= t,
      { timeout: 30_000 * SLOW, interval: 50, what: () => `the directory shipping while S3 is down; log:\n${notes(srv)}` });
    await waitFor(async () => (await metric(srv, 'slate_backup_ship_lag_seconds{destination="s3"}')) > 0.5,
      { timeout: 30_000 * SLOW, interval: 50, what: 'a lag for s3' });
    assert.equal(await metric(srv, 'slate_backup_ship_lag_seconds{destination="dir"}'), 0);
    assert.ok((await metric(srv, 'slate_backup_queue_bytes{destination="s3"}')) > 0);
    const r = await waitFor(async () => {
      const x = await request(srv, { path: '/readyz' });
      return x.status === 503 ? x : null;
    }, { timeout: 30_000 * SLOW, interval: 50, what: '/readyz to fail' });
    assert.match(r.json.detail, /backup destination s3 has failed/);
    const log = await srv.waitForLog((o) => o.msg === 'shipping the WAL to a backup destination failed');
    assert.equal(log.destination, 's3');
    assert.match(log.reason, /503/);
  } finally {
    s3.setDown(false);
  }
  await shippedBoth(srv);
  await waitFor(async () => (await request(srv, { path: '/readyz' })).status === 200,
    { timeout: 30_000 * SLOW, interval: 50, what: '/readyz ready again' });
  const live = dump(dd.data);
  assert.match(live, /While down 2/);
  const r = await restore('s3', ['--latest']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dump(r.to, key), live);
});

test('a segment altered in the directory: the restore from it refuses, naming the segment; the one from S3 still restores', async () => {
  await shippedBoth(srv);
  const live = dump(dd.data);
  const copy = path.join(tmp.dir, 'dest-altered');
  cpSync(dest, copy, { recursive: true });
  const segs = readdirSync(path.join(copy, 'wal')).filter((g) => /^\d{10}$/.test(g)).sort()
    .flatMap((g) => readdirSync(path.join(copy, 'wal', g)).filter((f) => f.endsWith('.seg')).sort().map((f) => `wal/${g}/${f}`));
  const seg = segs[segs.length - 1];
  const buf = readFileSync(path.join(copy, seg));
  buf[Math.floor(buf.length / 2)] ^= 0x01;
  writeFileSync(path.join(copy, seg), buf);
  const bad = await restore(copy, ['--latest']);
  assert.equal(bad.code, 1, bad.stdout);
  assert.equal(bad.stderr.split('\n').length, 2, bad.stderr);
  assert.ok(bad.stderr.includes(seg), `the error names ${seg}: ${bad.stderr}`);
  assert.ok(!existsSync(bad.to));
  const good = await restore('s3', ['--latest']);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(dump(good.to, key), live);
});

test('a wrong S3 secret: shipping to S3 fails in one log line without the secret, the directory ships', async () => {
  const wrongCred = path.join(tmp.dir, 'wrong.cred');
  const secret = 'wrong-secret-never-logged-0123456789';
  writeFileSync(wrongCred, `access_key_id=${S3_KEY_ID}\nsecret_access_key=${secret}\n`, { mode: 0o600 });
  const d2 = initDataDir();
  const dest2 = path.join(d2.root, 'dest');
  const srv2 = await startServer({ dataDir: { ...d2, cleanup: () => {} }, env: { ...env, SLATE_BACKUP_DIR: dest2, SLATE_BACKUP_S3_CREDENTIALS_FILE: wrongCred } });
  try {
    const a2 = await readyAdmin(srv2);
    const p2 = (await call(srv2, a2, 'GET', '/api/v1/productions')).json.productions[0];
    const r = await call(srv2, a2, 'POST', `/api/v1/productions/${p2.id}/departments`, { body: { name: 'Wrong secret' } });
    assert.equal(r.status, 201, r.body);
    const t = Date.now() / 1000;
    await waitFor(async () => (await metric(srv2, shippedTo('dir'))) >= t,
      { timeout: 30_000 * SLOW, interval: 50, what: 'the directory shipping' });
    // the snapshot at the start went to the directory alone
    await waitFor(() => existsSync(path.join(dest2, 'snapshots')) && readdirSync(path.join(dest2, 'snapshots')).some((f) => f.endsWith('.json')),
      { timeout: 30_000 * SLOW, what: 'the first snapshot in the directory' });
    const log = await srv2.waitForLog((o) => o.msg === 'shipping the WAL to a backup destination failed');
    assert.equal(log.destination, 's3');
    assert.match(log.reason, /403|SignatureDoesNotMatch/);
    await waitFor(async () => (await metric(srv2, 'slate_backup_ship_lag_seconds{destination="s3"}')) > 0,
      { timeout: 30_000 * SLOW, interval: 50, what: 'a lag for s3' });
    // one line for the failure (not one a tick), and the secret nowhere
    assert.equal(srv2.logs.filter((o) => o.msg === 'shipping the WAL to a backup destination failed').length, 1);
    assert.ok(!srv2.stderrText().includes(secret));
  } finally {
    await srv2.stop();
  }
  // the directory restores what was written
  const r = await slate(['restore', '--from', dest2, '--to', path.join(tmp.dir, 'to-wrong'), '--key-file', path.join(d2.data, 'master.key'), '--latest'], {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(dump(path.join(tmp.dir, 'to-wrong'), path.join(d2.data, 'master.key')), /Wrong secret/);
  d2.cleanup();
});
