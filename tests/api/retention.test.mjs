// Retention (issue 22, docs/SECURITY.md "Retention (issue 22)", docs/OPERATIONS.md): `slate serve`
// runs the retention job every retention_interval seconds. With short retentions it removes ended
// sessions, old sign-in throttle rows, the bodies of done mail (the rows stay), audit events past
// audit_days and a crashed drill's scratch directory, and leaves what is still live; /metrics shows
// the last pass; the audit chain still verifies (`slate audit verify`) and a removal in the middle is
// still caught (a restore drill checks it too); a dry run counts and removes nothing. Rows are backdated through `slate sql --write`
// before a server starts; the audit events' times are rewritten with their hashes recomputed (the
// chain's layout is in src/audit/audit.c), as an old log would have them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SLATE_BIN, initDataDir, request, runSlate, slateSql, startServer, waitFor } from './lib/harness.mjs';

const SLOW = /valgrind|asan|tsan/.test(SLATE_BIN) ? 20 : 1;
const NOW = Math.floor(Date.now() / 1000);
const OLD = NOW - 3 * 86400; // past every retention below (1 day, 1 hour)
const RETENTION = {
  SLATE_RETENTION_SESSION_DAYS: '1',
  SLATE_RETENTION_THROTTLE_DAYS: '1',
  SLATE_RETENTION_OUTBOX_SENT_HOURS: '1',
  SLATE_RETENTION_AUDIT_DAYS: '1',
  SLATE_RETENTION_DRILL_SCRATCH_HOURS: '1',
};
const KINDS = ['sessions', 'api_tokens', 'throttle', 'outbox', 'audit', 'drill_scratch'];
const OLD_EVENTS = 3;

let dd;

async function metrics(srv) {
  const r = await request(srv, { path: '/metrics', timeout: 10_000 * SLOW });
  assert.equal(r.status, 200);
  const m = {};
  for (const line of r.body.split('\n')) {
    const x = /^(slate_retention_\S+) (\S+)$/.exec(line);
    if (x) m[x[1]] = Number(x[2]);
  }
  return m;
}
const removed = (m, kind) => m[`slate_retention_removed{kind="${kind}"}`];

/** The chain's hash of one event (src/audit/audit.c): SHA-256 over prev, seq, at, fields. */
function chainHash(ev, prev) {
  const h = createHash('sha256');
  h.update(`${prev}\n${ev.seq}\n${ev.at}\n`);
  for (const k of ['actor', 'source', 'action', 'object', 'outcome', 'request_id', 'production_id']) {
    const v = ev[k];
    h.update(v === null || v === undefined ? '-\n' : `${Buffer.byteLength(v)}:${v}\n`);
  }
  return h.digest('hex');
}

const q = (v) => `'${String(v).replaceAll("'", "''")}'`;
const rows = (data, sql) => {
  const out = slateSql(data, sql, { json: true });
  return out === '' ? [] : JSON.parse(out.split('\n')[0]);
};
const one = (data, sql) => slateSql(data, sql);
const verify = (data) => runSlate(['audit', 'verify', '--data', data], { timeout: 60_000 * SLOW });

before(() => {
  dd = initDataDir();
  const data = dd.data;
  // three events (each write through slate sql is audited as db.sql), then made three days old
  for (let i = 0; i < OLD_EVENTS; i++) slateSql(data, 'SELECT 1', { write: true });
  const evs = rows(data, 'SELECT seq, at, actor, source, action, object, outcome, request_id, production_id FROM audit_event ORDER BY seq');
  assert.equal(evs.length, OLD_EVENTS);
  let prev = '0'.repeat(64);
  const updates = evs.map((ev, i) => {
    ev.at = new Date((OLD + i) * 1000).toISOString();
    const hash = chainHash(ev, prev);
    const sql = `UPDATE audit_event SET at = ${q(ev.at)}, prev_hash = ${q(prev)}, hash = ${q(hash)} WHERE seq = ${ev.seq}`;
    prev = hash;
    return sql;
  });
  slateSql(data, updates.join('; '), { write: true });
  assert.equal(verify(data).code, 0, 'the rewritten chain verifies before any retention');

  const uid = one(data, 'SELECT id FROM app_user LIMIT 1');
  slateSql(data, [
    // a session revoked three days ago (goes); one revoked an hour ago and a live one (stay)
    `INSERT INTO session (id, token_hash, user_id, user_agent, created_at, last_seen_at, expires_at, revoked_at) VALUES
       ('ses_old', 'hash-old', ${q(uid)}, 'ua', ${OLD}, ${OLD}, ${OLD + 43200}, ${OLD + 60}),
       ('ses_recent', 'hash-recent', ${q(uid)}, 'ua', ${NOW - 7200}, ${NOW - 7200}, ${NOW + 36000}, ${NOW - 3600}),
       ('ses_live', 'hash-live', ${q(uid)}, 'ua', ${NOW}, ${NOW}, ${NOW + 43200}, NULL)`,
    `INSERT INTO login_failure (account_key, source, at) VALUES ('k-old', '192.0.2.1', ${OLD}), ('k-new', '192.0.2.2', ${NOW})`,
    `INSERT INTO login_known_source (account_key, source, last_success) VALUES ('k-old', '192.0.2.3', ${OLD}), ('k-new', '192.0.2.4', ${NOW})`,
    // a sent message whose body was never wiped and a failed one, both old; a failed one of now
    `INSERT INTO outbox (id, created_at, to_addr, subject, body, sent_at, attempts, status) VALUES
       ('msg_old_sent', ${OLD}, 'sealed', 'Old sent', 'OLD SENT BODY', ${OLD + 5}, 1, 'sent'),
       ('msg_old_failed', ${OLD}, 'sealed', 'Old failed', 'OLD FAILED BODY', NULL, 5, 'failed'),
       ('msg_new_failed', ${NOW}, 'sealed', 'New failed', 'NEW FAILED BODY', NULL, 5, 'failed')`,
  ].join('; '), { write: true });
  // a drill killed three days ago left its scratch directory; one is under way now
  for (const [name, t] of [['.drill-old123', OLD], ['.drill-now456', NOW]]) {
    const p = path.join(data, name);
    fs.mkdirSync(path.join(p, 'restored'), { recursive: true });
    fs.writeFileSync(path.join(p, 'restored', 'slate.db'), 'x');
    fs.utimesSync(p, t, t);
  }
});
after(() => dd?.cleanup());

test('a dry run counts what is past its retention, pass after pass, and removes nothing', async () => {
  const srv = await startServer({
    dataDir: { ...dd, cleanup: () => {} },
    env: { ...RETENTION, SLATE_RETENTION_DRY_RUN: '1', SLATE_RETENTION_INTERVAL: '1' },
  });
  try {
    let m;
    await waitFor(async () => (m = await metrics(srv)).slate_retention_last_run_timestamp > 0,
      { timeout: 30_000 * SLOW, what: 'a retention pass in /metrics' });
    assert.equal(m.slate_retention_last_run_dry, 1);
    assert.equal(m.slate_retention_last_run_ok, 1);
    assert.equal(removed(m, 'sessions'), 1);
    assert.equal(removed(m, 'throttle'), 2);
    assert.equal(removed(m, 'outbox'), 2);
    assert.equal(removed(m, 'audit'), OLD_EVENTS);
    assert.equal(removed(m, 'drill_scratch'), 1);
    // the thread runs again every retention_interval (1 s here)
    const first = m.slate_retention_last_run_timestamp;
    await waitFor(async () => (await metrics(srv)).slate_retention_last_run_timestamp > first,
      { timeout: 30_000 * SLOW, what: 'a second pass' });
  } finally {
    await srv.stop();
  }
  assert.equal(one(dd.data, 'SELECT COUNT(*) FROM session'), '3');
  assert.equal(one(dd.data, 'SELECT COUNT(*) FROM login_failure'), '2');
  assert.equal(one(dd.data, 'SELECT COUNT(*) FROM login_known_source'), '2');
  assert.equal(one(dd.data, "SELECT COUNT(*) FROM outbox WHERE body <> ''"), '3');
  assert.equal(one(dd.data, 'SELECT MIN(seq) FROM audit_event'), '1');
  assert.equal(one(dd.data, "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'retention.%'"), '0');
  assert.ok(fs.existsSync(path.join(dd.data, '.drill-old123')));
});

test('a pass removes what is past its retention, keeps what is live, shows itself in /metrics, and the audit chain still verifies', async () => {
  const srv = await startServer({
    dataDir: { ...dd, cleanup: () => {} },
    env: { ...RETENTION, SLATE_RETENTION_INTERVAL: '3600' }, // one pass, at start
  });
  let m;
  try {
    await waitFor(async () => (m = await metrics(srv)).slate_retention_last_run_timestamp > 0,
      { timeout: 30_000 * SLOW, what: 'a retention pass in /metrics' });
    assert.ok(m.slate_retention_last_run_timestamp >= NOW - 5);
    assert.equal(m.slate_retention_last_run_ok, 1);
    assert.equal(m.slate_retention_last_run_dry, 0);
    for (const k of KINDS) assert.equal(typeof removed(m, k), 'number', `removed{kind="${k}"}`);
    assert.equal(removed(m, 'sessions'), 1);
    assert.equal(removed(m, 'throttle'), 2);
    assert.equal(removed(m, 'outbox'), 2);
    assert.equal(removed(m, 'audit'), OLD_EVENTS);
    assert.equal(removed(m, 'drill_scratch'), 1);
    // beside the running server
    const v = verify(dd.data);
    assert.equal(v.code, 0, v.stderr);
  } finally {
    await srv.stop();
  }
  const data = dd.data;
  assert.equal(one(data, 'SELECT id FROM session ORDER BY id'), 'ses_live\nses_recent');
  assert.equal(one(data, 'SELECT account_key FROM login_failure'), 'k-new');
  assert.equal(one(data, 'SELECT account_key FROM login_known_source'), 'k-new');
  // the rows stay as the record of the sending; their content goes
  // (the store seals a plaintext body it finds at start: the kept one is not empty, not plain)
  assert.equal(one(data, "SELECT id || '=' || (body <> '') FROM outbox ORDER BY id"),
    'msg_new_failed=1\nmsg_old_failed=0\nmsg_old_sent=0');
  // ... with their recipient and subject (a call time, a name): the row keeps its status only
  assert.equal(one(data, "SELECT id || '=' || (to_addr <> '') || (subject <> '') FROM outbox ORDER BY id"),
    'msg_new_failed=11\nmsg_old_failed=00\nmsg_old_sent=00');
  assert.ok(!fs.existsSync(path.join(data, '.drill-old123')));
  assert.ok(fs.existsSync(path.join(data, '.drill-now456')));
  // the old events are gone; the chain now starts after the cut its retention event names
  assert.equal(one(data, 'SELECT MIN(seq) FROM audit_event'), String(OLD_EVENTS + 1));
  const evs = rows(data, "SELECT action, actor, object FROM audit_event WHERE action LIKE 'retention.%' ORDER BY seq");
  assert.deepEqual(evs.map((e) => e.action).sort(),
    ['retention.audit', 'retention.drill_scratch', 'retention.outbox', 'retention.sessions', 'retention.throttle']);
  for (const e of evs) {
    assert.equal(e.actor, 'slate');
    assert.match(e.object, /^removed=\d+( through=\d+ anchor=[0-9a-f]{64})?$/, 'counts only');
  }
  const cut = evs.find((e) => e.action === 'retention.audit').object;
  assert.equal(cut.split(' ')[1], `through=${OLD_EVENTS}`);
  const v = verify(data);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^the audit chain is whole: \d+ events\n$/);
  const vj = runSlate(['audit', 'verify', '--json', '--data', data]);
  assert.equal(vj.code, 0, vj.stderr);
  assert.deepEqual({ ...JSON.parse(vj.stdout), events: 0 }, { ok: true, events: 0, first_bad: 0 });
  // a snapshot of the cut log restores, and its drill checks the chain the same way
  const dest = path.join(dd.root, 'backups');
  const snap = runSlate(['backup', 'now', '--data', data], { env: { SLATE_BACKUP_DIR: dest }, timeout: 120_000 * SLOW });
  assert.equal(snap.code, 0, snap.stderr);
  const drill = runSlate(['backup', 'verify', '--data', data], { env: { SLATE_BACKUP_DIR: dest }, timeout: 120_000 * SLOW });
  assert.equal(drill.code, 0, drill.stderr);
  assert.match(drill.stdout, /^Restore drill of snapshot \S+: ok/);

  // a removal in the middle is still caught, and named
  const mid = Number(one(data, 'SELECT MIN(seq) + 1 FROM audit_event'));
  slateSql(data, `DELETE FROM audit_event WHERE seq = ${mid}`, { write: true });
  const bad = verify(data);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, new RegExp(`breaks at event ${mid}\\b`));
});

test('slate audit without verify, and a retention setting out of bounds, are one clear line and a non-zero exit', () => {
  const u = runSlate(['audit', '--data', dd.data]);
  assert.equal(u.code, 2);
  assert.equal(u.stderr.trim().split('\n').length, 1);
  assert.match(u.stderr, /^slate: audit: say what to do: slate audit verify --data DIR\n$/);
  const r = runSlate(['serve', '--data', dd.data, '--listen', '127.0.0.1:0'],
    { env: { SLATE_RETENTION_AUDIT_DAYS: '0' }, timeout: 30_000 * SLOW });
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /SLATE_RETENTION_AUDIT_DAYS: audit_days must be a whole number from 1 to 36500/);
});
