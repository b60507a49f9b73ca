// Audit events and session touches are not data (issue 16): a request that
// writes only an audit event (a read of private fields) leaves the loop
// thread's caches as they were, so auditing every private read does not
// make every read cold — while a real data write still empties them at once.
// Observed through /metrics (slate_cache_lookups_total), with one loop thread
// so that every request meets the same cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let person;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

async function lookups() {
  const res = await request(server, { path: '/metrics' });
  assert.equal(res.status, 200);
  const text = res.body.toString();
  const n = {};
  for (const cache of ['session', 'reader']) {
    for (const result of ['hit', 'miss']) {
      const m = text.match(new RegExp(`^slate_cache_lookups_total\\{cache="${cache}",result="${result}"\\} (\\d+)$`, 'm'));
      assert.ok(m, `slate_cache_lookups_total{cache="${cache}",result="${result}"} in /metrics`);
      n[`${cache}_${result}`] = Number(m[1]);
    }
  }
  return n;
}

const readPerson = async () => {
  const res = await call(server, admin, 'GET', P(prod.id, `/people/${person.id}`));
  assert.equal(res.status, 200, res.body);
  return res.json;
};

async function auditedReads() {
  const res = await call(server, admin, 'GET', P(prod.id, '/audit?limit=500'));
  assert.equal(res.status, 200, res.body);
  return res.json.events.filter((e) => e.action === 'person.read_private').length;
}

before(async () => {
  server = await startServer({ env: { SLATE_THREADS: '1' } });
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Quiet Ledger', timezone: 'UTC' } })).json;
  const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: 'Private Person', kind: 'crew', home_address: '9 Hush Row' } });
  assert.equal(p.status, 201, p.body);
  person = p.json;
});
after(async () => { await server?.stop(); });

/*
 * Warm the caches and wait until nothing but this test writes: the set-up's
 * own writes (signing in, creating the production and the person) may still
 * be landing from other threads just after, and a real data write rightly
 * empties the caches. Settled: three reads in a row, each an audited read,
 * find their session kept.
 */
async function settle() {
  const deadline = Date.now() + 10000;
  let streak = 0;
  while (streak < 3) {
    assert.ok(Date.now() < deadline, 'the caches settle within 10 s');
    const a = await lookups();
    await readPerson();
    await auditedReads();
    const b = await lookups();
    streak = b.session_miss === a.session_miss ? streak + 1 : 0;
  }
}

test('an audited read of private fields does not empty the loop caches', async () => {
  await settle(); // warm: the session and the reader are kept now
  const audits = await auditedReads();
  const before = await lookups();
  const N = 6;
  for (let i = 0; i < N; i++) assert.equal((await readPerson()).home_address, '9 Hush Row');
  const after = await lookups();
  assert.equal(await auditedReads(), audits + N, 'every read wrote its event');
  assert.ok(after.session_hit - before.session_hit >= N, `each read after an audit write finds its session kept: ${JSON.stringify({ before, after })}`);
  assert.ok(after.reader_hit - before.reader_hit >= N, `each read after an audit write finds its reader kept: ${JSON.stringify({ before, after })}`);
  assert.equal(after.session_miss, before.session_miss, 'no session lookup missed');
});

test('a data write still empties the loop caches at once', async () => {
  await readPerson();
  await readPerson();
  const before = await lookups();
  const w = await call(server, admin, 'PATCH', P(prod.id, `/people/${person.id}`), { body: { job_title: 'Night watch' } });
  assert.equal(w.status, 200, w.body);
  const mid = await lookups();
  assert.equal((await readPerson()).job_title, 'Night watch', 'the next read answers the write');
  const after = await lookups();
  assert.ok(after.session_miss > mid.session_miss, `the write emptied the session cache: ${JSON.stringify({ before, mid, after })}`);
  assert.ok(after.reader_miss > mid.reader_miss, `the write emptied the reader cache: ${JSON.stringify({ before, mid, after })}`);
});
