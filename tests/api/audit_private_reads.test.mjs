// Every response that carries personal data is audited (issue 16): a people
// list, a changed record and every export format that holds anyone's
// personal contact (personal_phone, personal_email) or private fields
// (home address, emergency contact, birth date, dietary, medical, ids)
// writes exactly one `person.read_private` event per request, naming every
// person whose fields it carried by id and nothing else. A response that
// carries none (a crew member's list, a calendar, a table without people)
// writes none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';

let server;
let prod;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const who = {}; // key → {session, id}
const made = []; // the people the admin made

const PERSONAL = ['personal_phone', 'personal_email', 'home_address', 'emergency_contact', 'date_of_birth', 'dietary', 'medical', 'id_numbers'];
const carries = (p) => PERSONAL.some((k) => k in p);

async function accountId(session) {
  return (await call(server, session, 'GET', '/api/v1/me')).json.user.id;
}

async function readPrivateEvents() {
  const res = await call(server, who.admin.session, 'GET', P(prod.id, '/audit?limit=500'));
  assert.equal(res.status, 200, res.body);
  return res.json.events.filter((e) => e.action === 'person.read_private');
}

/** The person.read_private events that `fn` (one request) wrote. */
async function eventsOf(fn) {
  const seen = new Set((await readPrivateEvents()).map((e) => e.seq));
  const res = await fn();
  assert.equal(res.status, 200, res.body);
  return { res, events: (await readPrivateEvents()).filter((e) => !seen.has(e.seq)) };
}

function assertNames(event, ids, what) {
  assert.match(event.object, /^per_[a-z2-7]+(,per_[a-z2-7]+)*$/, `${what}: the event holds person ids and nothing else`);
  assert.deepEqual(event.object.split(',').sort(), [...ids].sort(), `${what}: the event names exactly the people whose fields were read`);
}

before(async () => {
  server = await startServer();
  const admin = await readyAdmin(server);
  who.admin = { session: admin, id: await accountId(admin) };
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Ledger Lane', timezone: 'UTC' } })).json;
  let n = 0;
  for (const [key, role, dept] of [['producer', 'producer', null], ['spark', 'crew', 'Electric']]) {
    const email = `${key}@ledger.example`;
    const session = await newAccount(server, email, `a long passphrase for the ledger lane ${n++}`);
    if (role === 'producer') await enrolTotp(server, session);
    const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: dept ? { email, role, department: dept } : { email, role } });
    assert.equal(m.status, 201, m.body);
    who[key] = { session, id: await accountId(session) };
  }
  for (let i = 0; i < 12; i++) {
    const body = { name: `Person ${i}`, kind: i % 3 ? 'crew' : 'cast', department: 'Electric', work_phone: '+44 20 7946 0000' };
    if (i % 2) body.home_address = `${i} Lantern Yard`;
    if (i % 3 === 1) body.personal_phone = '+44 7700 900123';
    const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body });
    assert.equal(p.status, 201, p.body);
    made.push(p.json.id);
  }
});
after(async () => { await server?.stop(); });

test('a producer listing people?limit=500 writes one event naming everyone whose private fields the list carried', async () => {
  const { res, events } = await eventsOf(() => call(server, who.producer.session, 'GET', P(prod.id, '/people?limit=500')));
  const read = res.json.people.filter(carries).map((p) => p.id);
  assert.ok(read.length >= made.length, `the producer reads every person's private fields (${read.length})`);
  assert.ok(res.json.people.some((p) => p.home_address === '1 Lantern Yard'), 'the list carries home addresses');
  assert.equal(events.length, 1, `one event for one list, got ${JSON.stringify(events)}`);
  assertNames(events[0], read, 'people list');
  assert.equal(events[0].actor, who.producer.id, 'the actor is the reader');
  assert.equal(events[0].outcome, 'success');
});

test('a list that carries no personal field writes no event', async () => {
  const { res, events } = await eventsOf(() => call(server, who.spark.session, 'GET', P(prod.id, '/people?limit=500')));
  assert.ok(res.json.people.length >= made.length, 'the crew member sees the directory');
  assert.ok(!res.json.people.some(carries), 'but no personal field');
  assert.equal(events.length, 0, `no event, got ${JSON.stringify(events)}`);
});

test('a change that answers the whole record audits the private fields it shows', async () => {
  const { res, events } = await eventsOf(() => call(server, who.producer.session, 'PATCH', P(prod.id, `/people/${made[3]}`), { body: { job_title: 'Best boy' } }));
  assert.equal(res.json.home_address, '3 Lantern Yard', 'the answer shows the address the caller did not send');
  assert.equal(events.length, 1);
  assertNames(events[0], [made[3]], 'PATCH');
});

test('exports that carry people are audited once per export, naming the people; the others are not', async () => {
  const exp = (q, session = who.producer.session) => () => call(server, session, 'GET', P(prod.id, `/export?${q}`));
  const json = await eventsOf(exp('format=json'));
  const inJson = json.res.json.people.filter(carries).map((p) => p.id);
  assert.ok(inJson.length >= made.length);
  assert.equal(json.events.length, 1, 'json export: one event');
  assertNames(json.events[0], inJson, 'json export');
  for (const q of ['format=vcf', 'format=csv&table=people']) {
    const { res, events } = await eventsOf(exp(q));
    assert.ok(res.body.includes('Lantern Yard'), `${q} carries home addresses`);
    assert.equal(events.length, 1, `${q}: one event, got ${JSON.stringify(events)}`);
    assertNames(events[0], inJson, q);
  }
  for (const q of ['format=ics', 'format=csv&table=days']) {
    const { events } = await eventsOf(exp(q));
    assert.equal(events.length, 0, `${q} carries nobody's personal data: no event`);
  }
  const crew = await eventsOf(exp('format=json', who.spark.session));
  assert.equal(crew.events.length, 0, 'a crew export without private fields: no event');
});
