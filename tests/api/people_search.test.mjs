// Search on people by name (issue 19): GET …/people?q= matches the name
// only, without regard to case, among the people the reader may see, before
// the page is cut, and with the other filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const who = {};
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const search = async (session, query) => {
  const r = await call(server, session, 'GET', P(`/people?${query}`));
  assert.equal(r.status, 200, r.body);
  return r.json;
};
const names = (page) => page.people.map((p) => p.name).sort();

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Finding People', timezone: 'UTC' } })).json;
  const people = [
    { name: 'Ana Lopez', kind: 'crew', department: 'Transport', personal_email: 'secret-marker@home.example' },
    { name: 'ANAÏS Petit', kind: 'crew', department: 'Grip' },
    { name: 'Bob Banana', kind: 'crew', department: 'Transport' },
    { name: 'Élodie Durand', kind: 'cast', department: 'Cast', character_name: 'The Anarchist' },
    { name: 'Zoë Ångström', kind: 'crew', department: 'Grip', job_title: 'Ana-lyst' },
    { name: 'Carl Key', kind: 'crew', department: 'Transport', key_contact: true },
  ];
  for (const body of people) {
    const r = await call(server, admin, 'POST', P('/people'), { body });
    assert.equal(r.status, 201, r.body);
  }
  for (let i = 0; i < 7; i++) {
    const r = await call(server, admin, 'POST', P('/people'), { body: { name: `Extra ${String(i).padStart(2, '0')} Pager`, kind: 'crew', department: 'Grip' } });
    assert.equal(r.status, 201, r.body);
  }
  let n = 0;
  for (const [role, department] of [['crew', 'Grip'], ['cast', 'Cast']]) {
    const email = `${role}@search.example`;
    who[role] = await newAccount(server, email, `a long passphrase for finding people ${n++}`);
    const m = await call(server, admin, 'POST', P('/members'), { body: { email, role, department } });
    assert.equal(m.status, 201, m.body);
  }
});
after(async () => { await server?.stop(); });

test('q finds people by any part of their name, without regard to case', async () => {
  assert.deepEqual(names(await search(admin, 'q=ana')), ['ANAÏS Petit', 'Ana Lopez', 'Bob Banana']);
  assert.deepEqual(names(await search(admin, 'q=BANANA')), ['Bob Banana']);
  // beyond ASCII: accented capitals fold to their small letters
  assert.deepEqual(names(await search(admin, `q=${encodeURIComponent('anaïs')}`)), ['ANAÏS Petit']);
  assert.deepEqual(names(await search(admin, `q=${encodeURIComponent('élodie')}`)), ['Élodie Durand']);
  assert.deepEqual(names(await search(admin, `q=${encodeURIComponent('ÅNGSTRÖM')}`)), ['Zoë Ångström']);
  assert.deepEqual(names(await search(admin, `q=${encodeURIComponent('ana lo')}`)), ['Ana Lopez']);
  assert.deepEqual(names(await search(admin, 'q=nobody-has-this')), []);
  // an empty q is no filter
  assert.equal((await search(admin, 'q=')).people.length, 13);
});

test('q combines with the department and kind filters', async () => {
  assert.deepEqual(names(await search(admin, 'q=ana&department=Transport')), ['Ana Lopez', 'Bob Banana']);
  assert.deepEqual(names(await search(admin, 'q=ana&department=Grip')), ['ANAÏS Petit']);
  assert.deepEqual(names(await search(admin, 'q=d&kind=cast')), ['Élodie Durand']);
  assert.deepEqual(names(await search(admin, 'q=ana&kind=cast')), []);
  // and with the people called on a day
  const day = await call(server, admin, 'POST', P('/days'), { body: { date: '2027-05-03', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00' } });
  assert.equal(day.status, 201, day.body);
  const bob = (await search(admin, 'q=bob')).people[0];
  const set = await call(server, admin, 'PUT', P(`/days/${day.json.id}/calls/${bob.id}`), { body: { call: '06:30' } });
  assert.ok(set.status === 200 || set.status === 201, set.body);
  assert.deepEqual(names(await search(admin, `q=ana&day=${day.json.id}`)), ['Bob Banana']);
  assert.deepEqual(names(await search(admin, `q=lopez&day=${day.json.id}`)), []);
});

test('q matches the name only: a job title, a character or a contact a reader cannot see finds no one', async () => {
  // the job title and the character name hold "Ana", but only names are searched
  assert.deepEqual(names(await search(admin, 'q=lyst')), []);
  assert.deepEqual(names(await search(admin, 'q=anarchist')), []);
  // a crew member does not see Ana's personal email: searching for it tells them nothing
  assert.deepEqual(names(await search(who.crew, 'q=secret-marker')), []);
  assert.deepEqual(names(await search(admin, 'q=secret-marker')), [], 'not even for a reader who sees it');
  // cast see only themselves and the key contacts: the others' names stay unfound
  assert.deepEqual(names(await search(who.cast, 'q=ana')), []);
  assert.deepEqual(names(await search(who.cast, 'q=key')), ['Carl Key']);
});

test('paging counts matches only: offset and limit walk the found people', async () => {
  const seen = [];
  let offset = 0;
  for (let pages = 0; pages < 10 && offset !== null; pages++) {
    const page = await search(admin, `q=PAGER&limit=3&offset=${offset}`);
    assert.ok(page.people.length <= 3);
    assert.ok(page.people.every((p) => /Pager$/.test(p.name)), 'every person of the page matches');
    seen.push(...page.people.map((p) => p.name));
    offset = page.next_offset;
  }
  assert.deepEqual(seen, Array.from({ length: 7 }, (_, i) => `Extra ${String(i).padStart(2, '0')} Pager`));
  const last = await search(admin, 'q=pager&limit=3&offset=6');
  assert.equal(last.people.length, 1);
  assert.equal(last.next_offset, null);
  const exact = await search(admin, 'q=pager&limit=7');
  assert.equal(exact.people.length, 7);
  assert.equal(exact.next_offset, null, 'no further page when the matches end at the limit');
});

test('a q of more than 100 characters is refused naming ?q', async () => {
  const long = await call(server, admin, 'GET', P(`/people?q=${'a'.repeat(101)}`));
  assertProblem(long, 400);
  assert.equal(long.json.errors[0].pointer, '?q');
  assert.equal((await search(admin, `q=${'a'.repeat(100)}`)).people.length, 0);
  assertProblem(await call(server, admin, 'GET', P('/people?q=%01')), 400);
});
