// Read audits are committed in groups by a writer thread (src/audit/audit_group.c),
// and the group commit loses nothing it promised to keep: every read answered
// before a graceful stop (SIGTERM) has its person.read_private event in the log
// after the process exits, in an unbroken hash chain; and the audit view shows
// a read's event as soon as the read has been answered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, slateSql, initDataDir } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const ids = [];
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

async function viewCount() {
  const res = await call(server, admin, 'GET', P(prod.id, '/audit?limit=500'));
  assert.equal(res.status, 200, res.body);
  return res.json.events.filter((e) => e.action === 'person.read_private').length;
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Group Commit', timezone: 'UTC' } })).json;
  for (let i = 0; i < 3; i++) {
    const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: `Grouped ${i}`, kind: 'crew', home_address: `${i} Batch Lane` } });
    assert.equal(p.status, 201, p.body);
    ids.push(p.json.id);
  }
});
after(async () => { await server?.stop(); });

test('the audit view shows a read\'s event as soon as the read is answered', async () => {
  for (let i = 0; i < 5; i++) {
    const before = await viewCount();
    const res = await call(server, admin, 'GET', P(prod.id, `/people/${ids[i % 3]}`));
    assert.equal(res.status, 200, res.body);
    assert.equal(await viewCount(), before + 1, `read ${i}: its event is in the view at once`);
  }
});

test('every read answered before a graceful stop has its event in the log afterwards, in an unbroken chain', async () => {
  const before = await viewCount();
  const N = 60;
  const answers = await Promise.all(Array.from({ length: N }, (_, i) => call(server, admin, 'GET', P(prod.id, `/people/${ids[i % 3]}`))));
  for (const a of answers) assert.equal(a.status, 200, a.body);
  const st = await server.terminate();
  assert.deepEqual(st, { code: 0, signal: null });
  const n = Number(slateSql(server.data, "SELECT COUNT(*) FROM audit_event WHERE action = 'person.read_private'"));
  assert.equal(n, before + N, 'no read event was lost at the stop');
  assert.equal(slateSql(server.data, 'SELECT COUNT(*) FROM audit_event a JOIN audit_event b ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash'), '0', 'the chain is unbroken');
  assert.equal(slateSql(server.data, 'SELECT MAX(seq) - COUNT(*) FROM audit_event'), '0', 'no seq is missing');
});

// The writer wakes for a group by itself, not only when a reader of the log or
// the stop asks it to: a read answered and left alone for well over the group's
// delay (25 ms) plus a commit is in the log even if the process is then killed
// (SIGKILL: no stop, no last commit). Nothing here reads the audit view.
test('a read left alone is committed by the writer on its own, before a kill -9', async () => {
  const dd = initDataDir();
  const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
  try {
    const ad = await readyAdmin(srv);
    const p = await call(srv, ad, 'POST', '/api/v1/productions', { body: { name: 'Alone', timezone: 'UTC' } });
    assert.equal(p.status, 201, p.body);
    const person = await call(srv, ad, 'POST', P(p.json.id, '/people'), { body: { name: 'Alone One', kind: 'crew', home_address: '1 Quiet Lane' } });
    assert.equal(person.status, 201, person.body);
    const read = await call(srv, ad, 'GET', P(p.json.id, `/people/${person.json.id}`));
    assert.equal(read.status, 200, read.body);
    await new Promise((r) => setTimeout(r, 2000));
    await srv.kill();
    const rid = read.headers['x-request-id'];
    assert.match(rid, /^[0-9a-f]{24}$/);
    assert.equal(
      slateSql(dd.data, `SELECT object FROM audit_event WHERE action = 'person.read_private' AND request_id = '${rid}'`),
      person.json.id, 'the read\'s event was committed without a sync or a stop');
  } finally {
    await srv.kill();
    dd.cleanup();
  }
});
