// The audit of private reads (issue 15 item 20): every read that opens a
// person's private fields writes one `person.read_private` event, and that
// event names the reader's account as its actor and the person read as its
// object — so the log answers "who read whose home address", not merely
// "someone read something".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';

let server;
let prod;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const who = {}; // key → {session, id}
const people = {}; // key → person JSON as the admin made it

const PRIVATE = { home_address: '7 Lantern Yard', emergency_contact: 'A sister, +44 7700 900123', date_of_birth: '1984-02-29', dietary: 'halal', medical: 'penicillin allergy', id_numbers: 'PASSPORT-123456789' };

async function accountId(session) {
  return (await call(server, session, 'GET', '/api/v1/me')).json.user.id;
}

async function readPrivateEvents() {
  const res = await call(server, who.admin.session, 'GET', P(prod.id, '/audit?limit=500'));
  assert.equal(res.status, 200, res.body);
  return res.json.events.filter((e) => e.action === 'person.read_private');
}

before(async () => {
  server = await startServer();
  const admin = await readyAdmin(server);
  who.admin = { session: admin, id: await accountId(admin) };
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Audit Trail', timezone: 'UTC' } })).json;
  let n = 0;
  for (const [key, role, dept] of [['producer', 'producer', null], ['gaffer', 'crew', 'Electric'], ['spark', 'crew', 'Electric']]) {
    const email = `${key}@audit.example`;
    const session = await newAccount(server, email, `a long passphrase for the audit trail ${n++}`);
    if (role === 'producer') await enrolTotp(server, session);
    const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: dept ? { email, role, department: dept } : { email, role } });
    assert.equal(m.status, 201, m.body);
    who[key] = { session, id: await accountId(session), email };
  }
  for (const key of ['alice', 'bob']) {
    const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: `Person ${key}`, kind: 'crew', department: 'Electric', ...PRIVATE } });
    assert.equal(p.status, 201, p.body);
    people[key] = p.json;
  }
  // the gaffer's own record, linked while empty, then filled in by the gaffer
  const g = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: 'Person gaffer', kind: 'crew', department: 'Electric', account_email: who.gaffer.email } });
  assert.equal(g.status, 201, g.body);
  people.gaffer = g.json;
  const w = await call(server, who.gaffer.session, 'PATCH', P(prod.id, `/people/${g.json.id}`), { body: { home_address: '3 Spark Street' } });
  assert.equal(w.status, 200, w.body);
});
after(async () => { await server?.stop(); });

test('a read of private fields writes one person.read_private event naming the reader and the person read', async () => {
  for (const [reader, key] of [['admin', 'alice'], ['producer', 'bob'], ['producer', 'alice'], ['gaffer', 'gaffer']]) {
    const seen = new Set((await readPrivateEvents()).map((e) => e.seq));
    const res = await call(server, who[reader].session, 'GET', P(prod.id, `/people/${people[key].id}`));
    assert.equal(res.status, 200, res.body);
    assert.ok('home_address' in res.json, `${reader} reads ${key}'s private fields`);
    const fresh = (await readPrivateEvents()).filter((e) => !seen.has(e.seq));
    assert.equal(fresh.length, 1, `${reader} reading ${key}: one event for one read, got ${JSON.stringify(fresh)}`);
    assert.equal(fresh[0].actor, who[reader].id, `${reader} reading ${key}: the actor is the reader's account`);
    assert.equal(fresh[0].object, people[key].id, `${reader} reading ${key}: the object is the person read`);
    assert.equal(fresh[0].outcome, 'success');
  }
});

test('two reads write two events; a read that opens no private field writes none', async () => {
  const before = (await readPrivateEvents()).length;
  for (let i = 0; i < 2; i++) assert.equal((await call(server, who.admin.session, 'GET', P(prod.id, `/people/${people.bob.id}`))).status, 200);
  const after2 = await readPrivateEvents();
  assert.equal(after2.length, before + 2, 'one event per read');
  assert.deepEqual(after2.slice(0, 2).map((e) => [e.actor, e.object]), [[who.admin.id, people.bob.id], [who.admin.id, people.bob.id]]);
  // the spark (crew) sees alice's entry but not her private fields: nothing private was read
  const crew = await call(server, who.spark.session, 'GET', P(prod.id, `/people/${people.alice.id}`));
  assert.equal(crew.status, 200, crew.body);
  assert.ok(!('home_address' in crew.json));
  assert.equal((await readPrivateEvents()).length, after2.length, 'no event when no private field was read');
});
