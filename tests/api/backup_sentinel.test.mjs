// Restore drills against the live database (issue 21; backup/backup.c "THE SENTINEL";
// docs/OPERATIONS.md): `slate backup verify` beside a running server writes a sentinel row (a
// fresh nonce and every table's row count, in one write transaction), ships that commit to the
// destination, restores the newest snapshot plus the segments up to exactly that commit and checks
// the nonce and every count; the position is in its line, in last-drill.json and in `slate backup
// status`. A destination whose segments after the snapshot were removed or altered fails the drill,
// naming the segment. One server for the file; the faults run on copies after it stopped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SLATE_BIN, childEnv, initDataDir, runSlate, slateSql, startServer, waitFor } from './lib/harness.mjs';
import { readyAdmin, call } from './lib/session.mjs';

const SLOW = /valgrind|asan|tsan/.test(SLATE_BIN) ? 20 : 1;

/** The binary, run without blocking the event loop (the writes go on meanwhile). */
function runAsync(args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(SLATE_BIN, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => { stdout += b; });
    p.stderr.on('data', (b) => { stderr += b; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const segments = (dest) => readdirSync(path.join(dest, 'wal')).filter((g) => /^\d{10}$/.test(g)).sort()
  .flatMap((g) => readdirSync(path.join(dest, 'wal', g)).filter((f) => f.endsWith('.seg')).sort().map((f) => `wal/${g}/${f}`));

const dd = initDataDir();
const dest = path.join(dd.root, 'dest');
const key = path.join(dd.data, 'master.key');
const env = {
  SLATE_BACKUP_DIR: dest,
  SLATE_BACKUP_SYNC_INTERVAL: '0.2',
  SLATE_BACKUP_SNAPSHOT_INTERVAL: '3600',
  SLATE_BACKUP_DRILL_INTERVAL: '0',
};
let snapshot = null; // {name, gen, frame}: the server's first snapshot
after(() => dd.cleanup());

test('a drill beside a server under writes restores up to its sentinel\'s commit and checks every live row count', async () => {
  const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} }, env });
  try {
    await waitFor(() => existsSync(path.join(dest, 'snapshots')) && readdirSync(path.join(dest, 'snapshots')).some((f) => f.endsWith('.json')),
      { timeout: 30_000 * SLOW, what: 'the first snapshot' });
    const json = readdirSync(path.join(dest, 'snapshots')).find((f) => f.endsWith('.json'));
    const m = JSON.parse(readFileSync(path.join(dest, 'snapshots', json), 'utf8'));
    snapshot = { name: json.replace(/\.json$/, ''), gen: m.wal_generation, frame: m.wal_frame };

    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    let writes = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: `Drill dept ${writes}` } });
        assert.equal(r.status, 201, r.body);
        writes++;
      }
    })();
    // a few writes shipped before the drill, then the drill while the writes go on
    await waitFor(() => writes >= 5, { timeout: 30_000 * SLOW, what: 'writes' });
    const before = writes;
    const r = await runAsync(['backup', 'verify', '--data', dd.data], env);
    const during = writes - before;
    writing = false;
    await writer;
    assert.equal(r.code, 0, r.stderr);
    const pos = /^Restore drill of snapshot (\S+): ok, restored and checked in [\d.]+ s; the sentinel and every table's live row count checked at generation (\d+) frame (\d+)\.$/m.exec(r.stdout);
    assert.ok(pos, r.stdout);
    assert.equal(pos[1], snapshot.name);
    const [gen, frame] = [Number(pos[2]), Number(pos[3])];
    assert.ok(gen > snapshot.gen || (gen === snapshot.gen && frame > snapshot.frame), `position ${gen}/${frame} after the snapshot's ${snapshot.gen}/${snapshot.frame}`);
    assert.ok(during > 0 || SLOW > 1, 'the server wrote while the drill ran');

    // the record, the status and the audit log say what was checked
    const drill = JSON.parse(readFileSync(path.join(dest, 'last-drill.json'), 'utf8'));
    assert.equal(drill.ok, true, drill.reason);
    assert.equal(drill.sentinel, true);
    assert.deepEqual(drill.position, { generation: gen, frame });
    const st = runSlate(['backup', 'status', '--data', dd.data, '--json'], { env });
    assert.equal(st.code, 0, st.stderr);
    assert.deepEqual(JSON.parse(st.stdout).last_drill.position, { generation: gen, frame });
    assert.equal(JSON.parse(st.stdout).last_drill.sentinel, true);
    const text = runSlate(['backup', 'status', '--data', dd.data], { env });
    assert.match(text.stdout, new RegExp(`^last drill +\\S+, snapshot ${snapshot.name}, ok, [\\d.]+ s, sentinel and live row counts checked at generation ${gen} frame ${frame}$`, 'm'));
    assert.match(slateSql(dd.data, "SELECT object || ' ' || outcome FROM audit_event WHERE action = 'backup.drill' ORDER BY seq DESC LIMIT 1"),
      new RegExp(`^${snapshot.name} success$`));

    // the live sentinel row holds the counts of that commit: the departments it saw, not the later ones
    const [row] = JSON.parse(slateSql(dd.data, 'SELECT nonce, counts_json FROM backup_sentinel', { json: true }));
    assert.match(row.nonce, /^[0-9a-f]{32}$/);
    const counts = JSON.parse(row.counts_json);
    assert.equal(counts.backup_sentinel, 1);
    const depts = Number(slateSql(dd.data, 'SELECT COUNT(*) FROM department'));
    assert.ok(counts.department > 0 && counts.department <= depts, `${counts.department} of ${depts}`);
    // writes after the drill are shipped too: the destination is left whole for the faults
    await waitFor(() => segments(dest).length >= 4, { timeout: 30_000 * SLOW, what: 'several segments' });
  } finally {
    await srv.stop();
  }
});

/** A copy of the data directory and the destination, for one fault. */
function copyOf(name) {
  const root = path.join(dd.root, name);
  cpSync(dd.data, path.join(root, 'data'), { recursive: true });
  cpSync(dest, path.join(root, 'dest'), { recursive: true });
  return { data: path.join(root, 'data'), dest: path.join(root, 'dest') };
}

/** The segments after the snapshot's position, but the last one (the drill appends after it). */
function middle(d) {
  const after = segments(d).filter((s) => {
    const [, g, first] = /^wal\/(\d+)\/(\d+)-/.exec(s).map(Number);
    return g > snapshot.gen || (g === snapshot.gen && first > snapshot.frame);
  });
  assert.ok(after.length >= 2, `segments after the snapshot: ${after.join()}`);
  // one inside its generation (not its first, a segment of the same generation after it), so
  // that the gap is found between two segments of one generation and named by its frames
  const gen = (x) => Number(/^wal\/(\d+)\//.exec(x)[1]);
  const firstFrame = (x) => Number(/\/(\d+)-/.exec(x)[1]);
  const inside = after.slice(0, -1).filter((x, i) => firstFrame(x) > 1 && gen(after[i + 1]) === gen(x));
  return inside.length ? inside[inside.length - 1] : after[after.length - 2];
}

test('a drill of a destination where a segment after the snapshot was removed, or altered, fails naming it', () => {
  assert.ok(snapshot, 'the first test ran');
  // removed: the gap is named by its frames, before the segment that follows it
  const a = copyOf('removed');
  const gone = middle(a.dest);
  rmSync(path.join(a.dest, gone));
  const [, g, first, last] = /^wal\/(\d+)\/(\d+)-(\d+)\.seg$/.exec(gone);
  let r = runSlate(['backup', 'verify', '--data', a.data], { env: { ...env, SLATE_BACKUP_DIR: a.dest }, timeout: 120_000 * SLOW });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // (when no segment sits inside a generation, the one after the gap says the start is missing)
  assert.match(r.stderr, new RegExp(`^slate: backup: restore drill of snapshot ${snapshot.name} failed: segment wal/${g}/\\S+\\.seg: (frames ${Number(first)}-${Number(last)} are missing before it \\(a gap in generation ${Number(g)}\\)|generation ${Number(g)} does not begin at frame 1 \\(a segment before it is missing\\))\\n$|^slate: backup: restore drill of snapshot ${snapshot.name} failed: segment wal/\\d+/\\S+\\.seg does not follow the last segment of generation ${Number(g)}: a segment between them is missing`));
  let drill = JSON.parse(readFileSync(path.join(a.dest, 'last-drill.json'), 'utf8'));
  assert.equal(drill.ok, false);
  assert.equal(drill.sentinel, false);
  assert.match(drill.reason, /are missing before it|a segment before it is missing|a segment between them is missing/);
  assert.deepEqual(readdirSync(a.data).filter((f) => f.startsWith('.drill-')), []);

  // altered: one byte of a sealed frame in the segment
  const b = copyOf('altered');
  const bad = middle(b.dest);
  const f = path.join(b.dest, bad);
  const buf = readFileSync(f);
  buf[buf.length - 100] ^= 0x01;
  writeFileSync(f, buf);
  r = runSlate(['backup', 'verify', '--data', b.data], { env: { ...env, SLATE_BACKUP_DIR: b.dest }, timeout: 120_000 * SLOW });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`^slate: backup: restore drill of snapshot ${snapshot.name} failed: segment ${bad.replace(/[.]/g, '\\.')} .*\\n$`));
  drill = JSON.parse(readFileSync(path.join(b.dest, 'last-drill.json'), 'utf8'));
  assert.equal(drill.ok, false);
  assert.match(slateSql(b.data, "SELECT object || ' ' || outcome FROM audit_event WHERE action = 'backup.drill' ORDER BY seq DESC LIMIT 1"),
    new RegExp(`^${snapshot.name} failure$`));

  // and the untouched destination still passes, beside no server: the drill ships its own sentinel;
  // its row is no data: the data generation (what caches key on) does not move
  const generation = () => slateSql(dd.data, 'SELECT n FROM data_generation');
  const gen0 = generation();
  r = runSlate(['backup', 'verify', '--data', dd.data], { env, timeout: 120_000 * SLOW });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /the sentinel and every table's live row count checked at generation \d+ frame \d+\.$/m);
  assert.equal(generation(), gen0);
});
