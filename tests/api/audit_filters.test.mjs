// The audit log's filters (issue 19): ?action (an exact name, or a prefix
// ending in '.') and ?person (events about or by one person) narrow the log
// in the store's query, so a page holds only matching events and
// next_before pages through the matches alone; bad values are refused
// naming the parameter, and the log stays closed to a crew member.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';

let server;
let prod;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const who = {}; // key → {session, id, email, membership}
const people = {}; // key → person JSON

async function accountId(session) {
  return (await call(server, session, 'GET', '/api/v1/me')).json.user.id;
}

async function page(query, session = who.admin.session) {
  const res = await call(server, session, 'GET', P(`/audit${query}`));
  assert.equal(res.status, 200, res.body);
  return res.json;
}

async function everything() {
  return (await page('?limit=500')).events;
}

// Every event of a filtered list, walking next_before with a small limit.
async function walk(filter, limit) {
  const seqs = [];
  let before = null;
  for (let i = 0; i < 200; i++) {
    const j = await page(`?limit=${limit}&${filter}${before ? `&before=${before}` : ''}`);
    assert.ok(j.events.length <= limit, `a page holds at most ${limit}`);
    seqs.push(...j.events.map((e) => e.seq));
    if (j.next_before === null) return seqs;
    before = j.next_before;
  }
  assert.fail('paging never ended');
}

const objects = (e) => (e.object ?? '').split(',');

before(async () => {
  server = await startServer();
  const admin = await readyAdmin(server);
  who.admin = { session: admin, id: await accountId(admin) };
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Filtered Trail', timezone: 'UTC' } })).json;
  let n = 0;
  for (const [key, role, dept] of [['producer', 'producer', null], ['gaffer', 'crew', 'Electric'], ['spark', 'crew', 'Electric']]) {
    const email = `${key}@filters.example`;
    const session = await newAccount(server, email, `a long passphrase for the filtered trail ${n++}`);
    if (role === 'producer') await enrolTotp(server, session);
    const m = await call(server, admin, 'POST', P('/members'), { body: dept ? { email, role, department: dept } : { email, role } });
    assert.equal(m.status, 201, m.body);
    who[key] = { session, id: await accountId(session), email, membership: m.json.id };
  }
  for (const key of ['alice', 'bob']) {
    const p = await call(server, admin, 'POST', P('/people'), { body: { name: `Person ${key}`, kind: 'crew', department: 'Electric', home_address: `${key} Street` } });
    assert.equal(p.status, 201, p.body);
    people[key] = p.json;
  }
  const g = await call(server, admin, 'POST', P('/people'), { body: { name: 'Person gaffer', kind: 'crew', department: 'Electric', account_email: who.gaffer.email } });
  assert.equal(g.status, 201, g.body);
  people.gaffer = g.json;
  // several updates of each, by the admin, so that paging has something to walk
  for (let i = 0; i < 4; i++) {
    for (const key of ['alice', 'bob']) {
      const u = await call(server, admin, 'PATCH', P(`/people/${people[key].id}`), { body: { job_title: `Spark ${i}` } });
      assert.equal(u.status, 200, u.body);
    }
  }
  // the gaffer acts: their own record, and a calendar feed (an event by them about no person)
  const w = await call(server, who.gaffer.session, 'PATCH', P(`/people/${people.gaffer.id}`), { body: { home_address: '3 Spark Street' } });
  assert.equal(w.status, 200, w.body);
  const f = await call(server, who.gaffer.session, 'POST', P('/me/calendar-feed'));
  assert.ok(f.status === 200 || f.status === 201, f.body);
  // one read of everyone's private fields: one event naming them all, comma-separated
  const l = await call(server, admin, 'GET', P('/people'));
  assert.equal(l.status, 200, l.body);
});
after(async () => { await server?.stop(); });

test('?action=NAME answers only events of that action', async () => {
  const all = await everything();
  const expected = all.filter((e) => e.action === 'person.update').map((e) => e.seq);
  assert.ok(expected.length >= 9, `person.update events to filter: ${expected.length}`);
  assert.ok(all.some((e) => e.action !== 'person.update'), 'the log holds other actions too');
  const got = await page('?action=person.update&limit=500');
  assert.deepEqual(got.events.map((e) => e.seq), expected);
  assert.ok(got.events.every((e) => e.action === 'person.update'));
});

test("?action=PREFIX. answers every action that starts so, and no other", async () => {
  const all = await everything();
  const expected = all.filter((e) => e.action.startsWith('person.')).map((e) => e.seq);
  const got = await page('?action=person.&limit=500');
  assert.deepEqual(got.events.map((e) => e.seq), expected);
  const actions = new Set(got.events.map((e) => e.action));
  for (const a of ['person.create', 'person.update', 'person.read_private']) assert.ok(actions.has(a), `${a} is in person.`);
  // '_' is a letter of a name here, not a wildcard
  assert.deepEqual((await page('?action=person_update&limit=500')).events, []);
  assert.deepEqual((await page('?action=person.updat&limit=500')).events, [], 'a name without its dot is exact');
});

test('paging a filtered list with a small limit returns every matching event exactly once', async () => {
  const all = await everything();
  for (const [filter, match] of [
    ['action=person.update', (e) => e.action === 'person.update'],
    [`person=${people.alice.id}`, (e) => objects(e).includes(people.alice.id)],
    [`action=person.&person=${people.bob.id}`, (e) => e.action.startsWith('person.') && objects(e).includes(people.bob.id)],
  ]) {
    const expected = all.filter(match).map((e) => e.seq);
    assert.ok(expected.length >= 3, `${filter}: enough to page (${expected.length})`);
    for (const limit of [1, 2, 3]) {
      const seqs = await walk(filter, limit);
      assert.deepEqual(seqs, expected, `${filter} limit=${limit}`);
    }
  }
});

test("?person=ID answers the events about the person and those by their linked account", async () => {
  const all = await everything();
  // an unlinked person: the events naming them, alone or in a list
  const alice = (await page(`?person=${people.alice.id}&limit=500`)).events;
  assert.deepEqual(alice.map((e) => e.seq), all.filter((e) => objects(e).includes(people.alice.id)).map((e) => e.seq));
  assert.ok(alice.some((e) => e.action === 'person.create'), 'her creation');
  assert.ok(alice.some((e) => e.action === 'person.read_private' && e.object.includes(',')), 'a read that named her among others');
  assert.ok(!alice.some((e) => e.object === people.bob.id), "none only about Bob");
  // a linked person: also what their account did, and their membership's events
  const g = who.gaffer;
  const gaffer = (await page(`?person=${people.gaffer.id}&limit=500`)).events;
  const expected = all.filter((e) => objects(e).includes(people.gaffer.id) || e.actor === g.id || e.object === g.membership);
  assert.deepEqual(gaffer.map((e) => e.seq), expected.map((e) => e.seq));
  assert.ok(gaffer.some((e) => e.action === 'calendar_feed.create' && e.actor === g.id), 'what the gaffer did');
  assert.ok(gaffer.some((e) => e.object === g.membership && e.action === 'member.add'), "the gaffer's membership");
  assert.ok(!gaffer.some((e) => e.actor === who.spark.id), 'nothing by the other spark');
  // an id that names no person: nothing, not an error
  assert.deepEqual((await page('?person=per_aaaaaaaaaaaaaaaaaaaaaaaaaa')).events, []);
});

test('a bad ?action or ?person is refused naming the parameter', async () => {
  for (const [q, field] of [
    ['?action=Person.Update', '?action'], ['?action=person%20update', '?action'], ['?action=', '?action'],
    [`?action=${'a'.repeat(65)}`, '?action'], ['?action=person-update', '?action'], ['?action=per%25', '?action'],
    ['?person=usr_aaaaaaaaaaaaaaaaaaaaaaaaaa', '?person'], ['?person=per_short', '?person'],
    ['?person=per_AAAAAAAAAAAAAAAAAAAAAAAAAA', '?person'], ['?person=', '?person'],
    [`?person=${people.alice.id}x`, '?person'],
  ]) {
    const res = await call(server, who.admin.session, 'GET', P(`/audit${q}`));
    assertProblem(res, 400, q);
    assert.deepEqual(res.json.errors.map((e) => e.pointer), [field], `${q} names ${field}`);
  }
  // 64 characters is still a name
  assert.equal((await call(server, who.admin.session, 'GET', P(`/audit?action=${'a'.repeat(64)}`))).status, 200);
});

test('a producer filters the log; a crew member still cannot read it, filtered or not', async () => {
  const got = await page('?action=person.update&limit=3', who.producer.session);
  assert.equal(got.events.length, 3);
  for (const q of ['', '?action=person.update', `?person=${people.gaffer.id}`]) {
    assertProblem(await call(server, who.spark.session, 'GET', P(`/audit${q}`)), 403, `spark ${q}`);
    assertProblem(await call(server, who.gaffer.session, 'GET', P(`/audit${q}`)), 403, `gaffer ${q}`);
  }
});
