// Continuous WAL shipping and restore to any second (issue 21, backup/ship.c; docs/OPERATIONS.md):
// `slate serve` with backup_dir ships every commit's sealed WAL frames to backup_dir/wal; `slate
// restore --at TIME | --latest` rebuilds the database as it was at that instant from the newest
// snapshot before it plus the segments; a destination that fails catches up when it is back; a server
// killed again and again loses no acknowledged write; an altered, truncated, missing or reordered
// segment is refused, naming it, and nothing is left in the target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { randomFillSync } from 'node:crypto';
import { SLATE_BIN, initDataDir, runSlate, startServer, request, waitFor } from './lib/harness.mjs';
import { readyAdmin, call } from './lib/session.mjs';

const VALGRIND = /valgrind/.test(SLATE_BIN);
// kills in the crash test: 20 in the release lane, 3 under valgrind (a start costs seconds there)
const KILLS = Number(process.env.SHIP_KILLS || (VALGRIND ? 3 : 20));
const SLOW = VALGRIND || /asan|tsan/.test(SLATE_BIN) ? 20 : 1;

const envFor = (dest) => ({
  SLATE_BACKUP_DIR: dest,
  SLATE_BACKUP_SYNC_INTERVAL: '0.2',
  SLATE_BACKUP_DRILL_INTERVAL: '0',
});

function cli(args, env, timeout = 60_000 * SLOW) {
  const r = runSlate(args, { env, timeout });
  assert.equal(r.code, 0, `slate ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** The rows this file compares: department names and the accounts (a logical dump). */
function dump(data, env, keyFile) {
  const extra = keyFile ? ['--key-file', keyFile] : [];
  return cli(['sql', 'SELECT name FROM department ORDER BY name, id; SELECT COUNT(*) FROM app_user; '
    + 'SELECT COUNT(*) FROM membership', '--data', data, ...extra], env);
}

const restore = (dest, to, keyFile, extra) =>
  runSlate(['restore', '--from', dest, '--to', to, '--key-file', keyFile, ...extra], { timeout: 120_000 * SLOW });

/** /metrics' value of a line that starts with name. */
async function metric(srv, name) {
  const r = await request(srv, { path: '/metrics', timeout: 10_000 * SLOW });
  const line = r.body.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Waits until every commit made before now is in the destination (the server says so). */
async function shipped(srv) {
  const t = Date.now() / 1000;
  await waitFor(async () => (await metric(srv, 'slate_backup_last_shipped_timestamp')) >= t,
    { timeout: 30_000 * SLOW, interval: 50, what: 'the WAL shipped' });
}

const segments = (dest) => readdirSync(path.join(dest, 'wal')).filter((g) => /^\d{10}$/.test(g)).sort()
  .flatMap((g) => readdirSync(path.join(dest, 'wal', g)).filter((f) => f.endsWith('.seg')).sort().map((f) => `wal/${g}/${f}`));

let kept = null; // {dest, key}: a destination with several generations, for the fault cases

test('a restore to three earlier instants and to the latest equals the live database as it was then, CLI writes and a destination that was down included', async () => {
  const dd = initDataDir();
  const dest = path.join(dd.root, 'dest');
  const key = path.join(dd.data, 'master.key');
  const env = envFor(dest);
  const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env });
  try {
    // the server takes a snapshot at its start (none exists), the base of what follows
    await waitFor(() => existsSync(path.join(dest, 'snapshots')) && readdirSync(path.join(dest, 'snapshots')).some((f) => f.endsWith('.json')),
      { timeout: 30_000 * SLOW, what: 'the first snapshot' });
    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    const addDept = async (name) => {
      const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name } });
      assert.equal(r.status, 201, r.body);
    };
    const instants = [];
    for (let g = 0; g < 4; g++) {
      for (let i = 0; i < 3; i++) await addDept(`Group ${g} dept ${i}`);
      if (g === 1) {
        cli(['user', 'add', '--data', dd.data, '--email', 'cli-writer@example.org'], env);
        // and from a shell without the service's backup settings: the data directory's
        // backup.lock tells the command not to checkpoint behind the shipper (its writes
        // fill the WAL past SQLite's automatic checkpoint of 1000 pages)
        cli(['sql', 'CREATE TABLE cli_filler(b BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) '
          + 'INSERT INTO cli_filler SELECT randomblob(3000) FROM n; DROP TABLE cli_filler', '--write', '--data', dd.data], {});
        cli(['user', 'add', '--data', dd.data, '--email', 'cli-no-settings@example.org'], {});
      }
      if (g === 2) {
        // the destination fails: its wal directory becomes a file; writes go on
        renameSync(path.join(dest, 'wal'), path.join(dest, 'wal.away'));
        writeFileSync(path.join(dest, 'wal'), 'not a directory');
        for (let i = 3; i < 6; i++) await addDept(`Group ${g} dept ${i}`);
        await waitFor(async () => (await metric(srv, 'slate_backup_queue_bytes')) > 0,
          { timeout: 30_000 * SLOW, interval: 50, what: 'a queue while the destination is down' });
        rmSync(path.join(dest, 'wal'));
        renameSync(path.join(dest, 'wal.away'), path.join(dest, 'wal'));
        const status = runSlate(['backup', 'status', '--data', dd.data], { env });
        assert.equal(status.code, 0, status.stderr);
        assert.match(status.stdout, /^wal shipped +generation \d+, frame \d+, last commit shipped \d{4}-[\d-]+T[\d:]+Z/m);
      }
      await shipped(srv);
      // a commit made by another process is stamped when the shipper saw it: it is shipped by now
      const t = Date.now();
      instants.push({ t, rows: dump(dd.data, env) });
      // the next group commits after this instant
      await waitFor(() => Date.now() > t + 5, { interval: 1 });
    }
    assert.equal(await metric(srv, 'slate_backup_queue_bytes'), 0);
    assert.ok((await metric(srv, 'slate_backup_ship_lag_seconds')) < 5 * SLOW);
    const live = dump(dd.data, env);
    assert.match(live, /Group 3 dept 2/);

    // the latest: everything, restored beside the running server
    let to = path.join(dd.root, 'latest');
    let r = restore(dest, to, key, ['--latest']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Restored snapshot .*\nReplayed \d+ transactions from \d+ segments \(\d+ WAL generations\): time reached \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ ms\), \d+ bytes, [\d.]+ s in all\.\n$/);
    assert.equal(dump(to, {}, key), live);
    assert.deepEqual(readdirSync(to).sort(), ['keys.db', 'slate.db']);

    // three earlier instants: after group 0, after group 1 (the CLI's account), after group 2 (the outage)
    for (const [i, { t, rows }] of instants.slice(0, 3).entries()) {
      to = path.join(dd.root, `at-${i}`);
      const at = i === 1 ? new Date(t).toISOString() : (t / 1000).toFixed(3);
      r = restore(dest, to, key, ['--at', at]);
      assert.equal(r.code, 0, r.stderr);
      const reached = Number(/\((\d+) ms\)/.exec(r.stdout)[1]);
      assert.ok(reached <= t, `time reached ${reached} is after ${t}`);
      assert.equal(dump(to, {}, key), rows, `at instant ${i}`);
    }
    assert.notEqual(instants[1].rows, instants[0].rows);
    assert.ok(!instants[0].rows.includes('Group 1'), 'instant 0 saw group 1');

    // a bad time is one clear line
    r = restore(dest, path.join(dd.root, 'bad'), key, ['--at', 'yesterday']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^slate: restore: --at 'yesterday' is not a time: .*\n$/);
    assert.ok(!existsSync(path.join(dd.root, 'bad')));
    // a time before the first snapshot: nothing to restore, nothing written
    r = restore(dest, path.join(dd.root, 'early'), key, ['--at', '2001-01-01T00:00:00Z']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds no snapshot taken at or before that time/);
    assert.ok(!existsSync(path.join(dd.root, 'early')));
    // a wrong master key: refused, nothing written
    const wrong = path.join(dd.root, 'wrong.key');
    writeFileSync(wrong, readFileSync(key).map((b, i) => (i === 3 ? b ^ 1 : b)), { mode: 0o600 });
    r = restore(dest, path.join(dd.root, 'wrongkey'), wrong, ['--latest']);
    assert.equal(r.code, 1, r.stdout);
    assert.ok(!existsSync(path.join(dd.root, 'wrongkey')));

    // the segments are sealed frames: no department name in the clear
    for (const s of segments(dest)) assert.ok(!readFileSync(path.join(dest, s)).includes(Buffer.from('Group 1 dept')), s);
    assert.ok(segments(dest).length >= 4);
    kept = { dest, key, root: dd.root, live };
  } finally {
    await srv.stop();
  }
});

test('a segment deleted, truncated, altered or two swapped: the restore refuses, naming the segment, and leaves nothing', () => {
  assert.ok(kept, 'the round trip left a destination');
  const { dest, key, root, live } = kept;
  const segs = segments(dest);
  const [a, b] = segs.slice(-2);
  const genOf = (seg) => seg.split('/').slice(0, 2).join('/');
  const cases = {
    // one in the middle: the next segment's chain names the gap
    deleted: { spoil: (d) => rmSync(path.join(d, a)), names: b },
    // the last one: wal/HEAD names what is missing
    'deleted last': { spoil: (d) => rmSync(path.join(d, b)), names: genOf(b) },
    truncated: { spoil: (d) => truncateSync(path.join(d, b), readFileSync(path.join(d, b)).length - 100), names: b },
    altered: {
      spoil: (d) => {
        const buf = readFileSync(path.join(d, b));
        buf[Math.floor(buf.length / 2)] ^= 0x01;
        writeFileSync(path.join(d, b), buf);
      },
      names: b,
    },
    swapped: {
      spoil: (d) => {
        const x = readFileSync(path.join(d, a));
        writeFileSync(path.join(d, a), readFileSync(path.join(d, b)));
        writeFileSync(path.join(d, b), x);
      },
      names: a,
    },
  };
  for (const [what, { spoil, names }] of Object.entries(cases)) {
    const d = path.join(root, `dest-${what.replace(' ', '-')}`);
    cpSync(dest, d, { recursive: true });
    spoil(d);
    const to = path.join(root, `to-${what.replace(' ', '-')}`);
    const r = restore(d, to, key, ['--latest']);
    assert.equal(r.code, 1, `${what}: restored (${r.stdout})`);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith('slate: restore: ') && r.stderr.endsWith('\n') && r.stderr.split('\n').length === 2, `${what}: ${r.stderr}`);
    assert.ok(r.stderr.includes(names), `${what}: the error does not name ${names}: ${r.stderr}`);
    assert.ok(!existsSync(to), `${what}: ${to} was left`);
  }
  // the untouched destination still restores
  const to = path.join(root, 'to-intact');
  const r = restore(dest, to, key, ['--latest']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dump(to, {}, key), live);
  rmSync(root, { recursive: true, force: true });
});

test(`a server killed ${KILLS} times during a stream of writes resumes shipping each time, and a restore reaches every acknowledged write`, async () => {
  const dd = initDataDir();
  const dest = path.join(dd.root, 'dest');
  const key = path.join(dd.data, 'master.key');
  const env = envFor(dest);
  const acked = [];
  let admin = null;
  let prodId = null;
  try {
    for (let k = 0; k <= KILLS; k++) {
      if (k === KILLS) {
        // what a shipper killed while it wrote a generation's first segment leaves: a directory
        // with a temporary file only; the next shipper uses the number again
        const last = Math.max(...readdirSync(path.join(dest, 'wal')).filter((g) => /^\d{10}$/.test(g)).map(Number));
        const empty = path.join(dest, 'wal', String(last + 1).padStart(10, '0'));
        mkdirSync(empty);
        writeFileSync(path.join(empty, '0000000001-0000000009.seg.tmp-1'), 'torn');
      }
      const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env, startTimeout: 30_000 * SLOW });
      try {
        if (admin === null) {
          admin = await readyAdmin(srv);
          prodId = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0].id;
        }
        if (k === KILLS) {
          await shipped(srv);
          break;
        }
        // a stream of writes; the kill lands while one may be in flight
        let stop = false;
        const writer = (async () => {
          for (let i = 0; !stop; i++) {
            const name = `Kill ${k} write ${i}`;
            const r = await call(srv, admin, 'POST', `/api/v1/productions/${prodId}/departments`, { body: { name } }).catch(() => null);
            if (r && r.status === 201) acked.push(name);
            else break;
          }
        })();
        await waitFor(() => acked.some((n) => n.startsWith(`Kill ${k} `)), { timeout: 30_000 * SLOW, what: 'a write acknowledged' });
        await new Promise((res) => setTimeout(res, 30 + (k * 37) % 200));
        stop = true;
        await srv.kill();
        await writer;
      } finally {
        await srv.stop();
      }
    }
    const to = path.join(dd.root, 'restored');
    const r = restore(dest, to, key, ['--latest']);
    assert.equal(r.code, 0, r.stderr);
    const names = new Set(cli(['sql', 'SELECT name FROM department', '--data', to, '--key-file', key], {}).split('\n'));
    const lost = acked.filter((n) => !names.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes are not in the restore`);
    assert.ok(acked.length >= KILLS);
  } finally {
    if (process.env.SHIP_KEEP) console.log(`kept ${dd.root}`);
    else dd.cleanup();
  }
});

test('a commit frame a killed process left torn (header written, page not) is not shipped: a restore replays what SQLite kept, and the frames written over it follow', () => {
  const dd = initDataDir();
  try {
    const dest = path.join(dd.root, 'dest');
    const key = path.join(dd.data, 'master.key');
    const env = envFor(dest);
    const sql = (q) => cli(['sql', q, '--write', '--data', dd.data], env);
    const rows = (data, extra = []) => cli(['sql', 'SELECT v FROM torn ORDER BY v; SELECT COUNT(*) FROM audit_event', '--data', data, ...extra], env);
    cli(['backup', 'now', '--data', dd.data], env);
    sql("CREATE TABLE torn(v TEXT); INSERT INTO torn VALUES ('one')");
    sql("INSERT INTO torn VALUES ('two')");
    const audits = Number(rows(dd.data).trim().split('\n').at(-1));
    // the WAL's last commit frame (the salts those of its header; the second command's audit event):
    // its page becomes what a process killed between the frame's two writes leaves, other bytes
    const wal = path.join(dd.data, 'slate.db-wal');
    const FRAME = 24 + 4096;
    const buf = readFileSync(wal);
    let last = -1;
    for (let off = 32; off + FRAME <= buf.length; off += FRAME) {
      if (buf.readUInt32BE(off + 8) !== buf.readUInt32BE(16) || buf.readUInt32BE(off + 12) !== buf.readUInt32BE(20)) break;
      if (buf.readUInt32BE(off + 4) !== 0) last = off;
    }
    assert.ok(last > 32, 'no commit frame in the WAL');
    randomFillSync(buf, last + 24, 4096);
    writeFileSync(wal, buf);
    // the shipper runs before any other process writes over the torn frame
    cli(['backup', 'now', '--data', dd.data], env);
    // SQLite's recovery ended the log before the torn frame: the audit event it held is gone
    const after = rows(dd.data).trim().split('\n');
    assert.deepEqual(after.slice(0, -1), ['one', 'two']);
    assert.equal(Number(after.at(-1)), audits); // one lost, the snapshot's added
    // the next commits are written over the torn frame
    sql("INSERT INTO torn VALUES ('three')");
    const live = rows(dd.data); // (the snapshot's own audit event is written after it)
    cli(['backup', 'now', '--data', dd.data], env);
    const restores = (what) => {
      for (const extra of [['--latest'], ['--at', new Date().toISOString()]]) {
        const to = path.join(dd.root, `restored-${what}${extra[0]}`);
        const r = restore(dest, to, key, extra);
        assert.equal(r.code, 0, `${what} ${extra[0]}: ${r.stderr}`);
        assert.equal(rows(to, ['--key-file', key]), live);
      }
    };
    restores('newest');
    // from the first snapshot, a restore replays every segment shipped since, the one shipped
    // after the tear included
    const snaps = path.join(dest, 'snapshots');
    const names = [...new Set(readdirSync(snaps).map((f) => f.split('.')[0]))].sort();
    assert.equal(names.length, 3, names.join(' '));
    mkdirSync(path.join(dd.root, 'later'));
    for (const f of readdirSync(snaps).filter((f) => !f.startsWith(`${names[0]}.`))) renameSync(path.join(snaps, f), path.join(dd.root, 'later', f));
    restores('first');
  } finally {
    dd.cleanup();
  }
});

test('retention removes the WAL generations older than the oldest snapshot kept, and what is kept still restores', () => {
  const dd = initDataDir();
  try {
    const dest = path.join(dd.root, 'dest');
    const key = path.join(dd.data, 'master.key');
    const env = envFor(dest);
    const now = () => /^Snapshot (\S+) written/.exec(cli(['backup', 'now', '--data', dd.data], env))[1];
    const manifest = (name) => JSON.parse(readFileSync(path.join(dest, 'snapshots', `${name}.json`), 'utf8'));
    // each CLI write after a snapshot begins a new WAL generation, which the next snapshot ships
    const old = [now()];
    cli(['user', 'add', '--data', dd.data, '--email', 'first@example.org'], env);
    old.push(now());
    cli(['user', 'add', '--data', dd.data, '--email', 'second@example.org'], env);
    const keptGen = manifest(now()).wal_generation;
    const gens = () => readdirSync(path.join(dest, 'wal')).filter((g) => /^\d{10}$/.test(g)).map(Number);
    assert.ok(gens().some((g) => g < keptGen), `generations ${gens()} all at or after ${keptGen}`);
    // the first two snapshots become 40 days old
    const stamp = new Date(Date.now() - 40 * 86400_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    for (const [i, name] of old.entries())
      for (const ext of ['.db', '.keys.db', '.json'])
        renameSync(path.join(dest, 'snapshots', `${name}${ext}`), path.join(dest, 'snapshots', `${stamp}-${i + 1}${ext}`));
    now();
    assert.deepEqual(gens().filter((g) => g < keptGen), []);
    assert.ok(gens().includes(keptGen));
    const to = path.join(dd.root, 'restored');
    const r = restore(dest, to, key, ['--latest']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(cli(['sql', 'SELECT COUNT(*) FROM app_user', '--data', to, '--key-file', key], {}), /^3\n$/);
  } finally {
    dd.cleanup();
  }
});
