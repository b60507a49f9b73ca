// My call sheet (issue 18): GET /api/v1/me/callsheets gives each member the
// latest published sheet of today (in the production's time zone) and of
// their next shoot day, each exactly as GET …/callsheets/{cid} answers that
// reader, with their own call on top and what changed for them since the
// version they acknowledged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, signIn } from './lib/session.mjs';

let server;
let admin;
let prod;
const TZ = 'Pacific/Kiritimati'; // UTC+14: its today is not the UTC date for ten hours a day
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const people = {}; // key → person JSON
const sessions = {}; // key → session
const members = {}; // key → membership JSON
const days = {}; // key → day JSON
const PHONES = { camop: ['+44 7700 900111', '+44 20 7946 0111'], grip: ['+44 7700 900222', '+44 20 7946 0222'] };

const passwordOf = (key) => `a long passphrase for the call sheet ${'x'.repeat(key.length)}`;

/** The date in zone tz, `plus` days on. */
function dateIn(tz, plus = 0) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + plus);
  return d.toISOString().slice(0, 10);
}

async function ok(p, status = 200) {
  const r = await p;
  assert.equal(r.status, status, r.body);
  return r.json;
}

const mine = async (key) => (await ok(call(server, sessions[key], 'GET', '/api/v1/me/callsheets'))).callsheets.filter((x) => x.production.id === prod.id);
const publish = (day) => ok(call(server, admin, 'POST', P(`/days/${day.id}/callsheets`)), 201);
const setCall = (day, key, body) => ok(call(server, admin, 'PUT', P(`/days/${day.id}/calls/${people[key].id}`), { body }));

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = await ok(call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Call Show', timezone: TZ } }), 201);
  for (const [key, role, dept, kind] of [['camop', 'crew', 'Camera', 'crew'], ['lead', 'cast', null, 'cast'], ['grip', 'crew', 'Grip', 'crew']]) {
    const email = `${key}@mine.example`;
    sessions[key] = await newAccount(server, email, passwordOf(key));
    members[key] = await ok(call(server, admin, 'POST', P('/members'), { body: dept ? { email, role, department: dept } : { email, role } }), 201);
    const body = { name: `Person ${key}`, kind, department: dept ?? 'Cast', account_email: email };
    if (PHONES[key]) Object.assign(body, { personal_phone: PHONES[key][0], work_phone: PHONES[key][1] });
    if (kind === 'cast') body.character_name = 'The Lighthouse Keeper';
    people[key] = await ok(call(server, admin, 'POST', P('/people'), { body }), 201);
  }
  // a crew member with no person record: called on no day, so no sheet of theirs to read
  sessions.floater = await newAccount(server, 'floater@mine.example', passwordOf('floater'));
  await ok(call(server, admin, 'POST', P('/members'), { body: { email: 'floater@mine.example', role: 'crew', department: 'Grip' } }), 201);
  const harbour = await ok(call(server, admin, 'POST', P('/locations'), { body: { name: 'Harbour Wall', address: '3 Harbour Road' } }), 201);
  const mk = (date, extra = {}) => ok(call(server, admin, 'POST', P('/days'), { body: { date, unit: 'Main', general_call: '07:00', wrap_estimate: '19:00', ...extra } }), 201);
  days.today = await mk(dateIn(TZ), { locations: [harbour.id] });
  days.cancelled = await mk(dateIn(TZ, 1));
  days.next = await mk(dateIn(TZ, 2));
  days.castonly = await mk(dateIn(TZ, 5));
  await setCall(days.today, 'camop', { call: '06:30' });
  await setCall(days.today, 'lead', { call: '06:30', pickup: '06:00', hair_makeup: '06:45', on_set: '08:00', cast_status: 'work' });
  await setCall(days.today, 'grip', { call: '06:00' });
  await setCall(days.cancelled, 'camop', { call: '05:00' });
  await setCall(days.next, 'camop', { call: '08:00' });
  await setCall(days.castonly, 'lead', { call: '09:00' });
  for (const d of Object.values(days)) await publish(d);
  await ok(call(server, admin, 'POST', P(`/days/${days.cancelled.id}/cancel`)));
});
after(async () => { await server?.stop(); });

test("a crew member gets today's and their next day's sheets, each exactly as the call sheet read gives it to them", async () => {
  const items = await mine('camop');
  assert.deepEqual(items.map((x) => [x.when, x.day.id]), [['today', days.today.id], ['next', days.next.id]], 'the cancelled day is skipped');
  const [today, next] = items;
  assert.deepEqual(today.production, { id: prod.id, name: 'Call Show', timezone: TZ, role: 'crew' });
  assert.deepEqual(today.day, { id: days.today.id, date: dateIn(TZ), number: 1, total: 4 });
  assert.deepEqual(today.my_call, { call: '06:30', call_from: 'person', pickup: '', hair_makeup: '', on_set: '', cast_status: '' });
  assert.equal(next.my_call.call, '08:00');
  for (const it of items) {
    const plain = await ok(call(server, sessions.camop, 'GET', P(`/callsheets/${it.callsheet.id}`)));
    assert.deepEqual(it.callsheet, plain, `${it.when}: the same callsheet as GET …/callsheets/{cid}`);
    assert.equal(it.acknowledged, false);
    assert.equal(it.acknowledged_version, null);
    assert.deepEqual(it.changes, []);
  }
});

test('a cast member sees nothing through this route that the sheet hides: no crew phone', async () => {
  const items = await mine('lead');
  assert.deepEqual(items.map((x) => [x.when, x.day.id]), [['today', days.today.id], ['next', days.castonly.id]], 'the next day that calls the cast member');
  assert.deepEqual(items[0].my_call, { call: '06:30', call_from: 'person', pickup: '06:00', hair_makeup: '06:45', on_set: '08:00', cast_status: 'work' });
  assert.equal(items[0].production.role, 'cast');
  for (const it of items) assert.deepEqual(it.callsheet, await ok(call(server, sessions.lead, 'GET', P(`/callsheets/${it.callsheet.id}`))));
  const text = JSON.stringify(items);
  for (const phone of [...PHONES.camop, ...PHONES.grip]) assert.ok(!text.includes(phone), `no ${phone} in the cast member's call sheets`);
  // the day that does not call them is left out, as the plain read refuses it
  const uncalled = (await ok(call(server, admin, 'GET', P(`/days/${days.next.id}/callsheets`)))).callsheets[0];
  assertProblem(await call(server, sessions.lead, 'GET', P(`/callsheets/${uncalled.id}`)), 403, 'the plain read of an uncalled day');
});

test('a new version after an acknowledgement is flagged with what changed for me', async () => {
  let [today] = await mine('camop');
  assert.equal((await call(server, sessions.camop, 'POST', P(`/callsheets/${today.callsheet.id}/ack`))).status, 204);
  [today] = await mine('camop');
  assert.deepEqual([today.acknowledged, today.acknowledged_version, today.changes], [true, 1, []]);
  await setCall(days.today, 'camop', { call: '05:45' });
  await ok(call(server, admin, 'PATCH', P(`/days/${days.today.id}`), { body: { general_call: '06:30', locations: [] } }));
  await publish(days.today);
  [today] = await mine('camop');
  assert.equal(today.callsheet.version, 2);
  assert.equal(today.my_call.call, '05:45');
  assert.deepEqual([today.acknowledged, today.acknowledged_version], [false, 1]);
  assert.deepEqual(today.changes, [
    { field: 'call', from: '06:30', to: '05:45' },
    { field: 'general_call', from: '07:00', to: '06:30' },
    { field: 'locations', from: 'Harbour Wall', to: '' },
  ]);
  // the cast member never acknowledged: nothing to compare with
  const [lead] = await mine('lead');
  assert.deepEqual([lead.acknowledged, lead.acknowledged_version, lead.changes], [false, null, []]);
});

test('a crew member without a person record gets no sheet, as the call-sheet read refuses them', async () => {
  const [today] = await mine('camop');
  assertProblem(await call(server, sessions.floater, 'GET', P(`/callsheets/${today.callsheet.id}`)), 403, 'the plain read');
  assert.deepEqual(await mine('floater'), []);
});

test("my productions name my own person record, and null where I have none", async () => {
  const list = (await ok(call(server, sessions.camop, 'GET', '/api/v1/productions'))).productions;
  assert.equal(list.find((x) => x.id === prod.id).person_id, people.camop.id);
  const theirs = (await ok(call(server, admin, 'GET', '/api/v1/productions'))).productions;
  assert.equal(theirs.find((x) => x.id === prod.id).person_id, null);
});

test("a revoked member's list holds nothing of that production", async () => {
  assert.equal((await mine('grip')).length, 1, 'today, before the revocation');
  await ok(call(server, admin, 'POST', P(`/members/${members.grip.id}/revoke`)));
  // the revocation ended their sessions; signed in again, they still have an account
  const again = await signIn(server, { email: 'grip@mine.example', password: passwordOf('grip') });
  const all = await ok(call(server, again, 'GET', '/api/v1/me/callsheets'));
  assert.deepEqual(all.callsheets, []);
});

test("no session, no call sheets; an API token reaches only its production's routes", async () => {
  assertProblem(await request(server, { path: '/api/v1/me/callsheets' }), 401, 'anonymous');
  const tok = await ok(call(server, sessions.camop, 'POST', '/api/v1/me/tokens', { body: { name: 'phone', production_id: prod.id, access: 'read' } }), 201);
  const headers = { authorization: `Bearer ${tok.token}` };
  assert.equal((await request(server, { path: P(`/days/${days.next.id}/callsheets`), headers })).status, 200, 'the token reads its production');
  assertProblem(await request(server, { path: '/api/v1/me/callsheets', headers }), 403, 'a token on /me/callsheets');
});
