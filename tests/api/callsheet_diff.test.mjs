// What changed between two published versions of a shoot day's call sheet
// (GET …/callsheets/{cid}/diff), read as the reader reads each version, and
// the preview of the next version before publishing it
// (GET …/days/{did}/callsheets/preview): the publisher's role, nothing written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const who = {}; // key → {session, person}
let harbour;
let manor;
let s12;
let s14;
let day1;
let day2;
let v1;
let v2;
let cameraId;
const PERSONAL = ['+44 7700 900123', '12 Private Lane', 'lead.private@home.example', 'Peanuts', '+44 7700 900456'];

const ok = (r, status = 200) => {
  assert.equal(r.status, status, r.body);
  return r.json;
};
const ad = (method, path, body) => call(server, who.ad.session, method, path, body === undefined ? {} : { body });
const setCall = async (person, day, body) => ok(await ad('PUT', P(`/days/${day.id}/calls/${person.id}`), body));
const publish = async (day) => ok(await ad('POST', P(`/days/${day.id}/callsheets`)), 201);
const versions = async (day) => ok(await ad('GET', P(`/days/${day.id}/callsheets`))).callsheets;
const auditCount = async () => ok(await call(server, admin, 'GET', P('/audit?limit=500'))).events.length;
const byNameField = (a, b) => `${a.name}|${a.field}`.localeCompare(`${b.name}|${b.field}`);

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Low Tide', timezone: 'Europe/London' } }), 201);
  let n = 0;
  for (const [key, role, dept] of [
    ['ad', 'ad', 'Direction/AD'],
    ['grip', 'crew', 'Grip'],
    ['other', 'crew', 'Grip'],
    ['outsider', 'crew', 'Grip'],
    ['camhead', 'department_head', 'Camera'],
  ]) {
    const email = `${key}@tide.example`;
    const session = await newAccount(server, email, `a long passphrase for the low tide ${n++}`);
    ok(await call(server, admin, 'POST', P('/members'), { body: { email, role, department: dept } }), 201);
    const person = ok(await call(server, admin, 'POST', P('/people'), {
      body: { name: `Person ${key}`, kind: 'crew', department: dept, account_email: email, job_title: role, personal_phone: '+44 7700 900456' },
    }), 201);
    assert.equal((await call(server, session, 'POST', P(`/people/${person.id}/confirm-link`))).status, 204);
    who[key] = { session, person };
  }
  who.lead = {
    person: ok(await call(server, admin, 'POST', P('/people'), {
      body: { name: 'Lead Actor', kind: 'cast', character_name: 'The Keeper', personal_phone: PERSONAL[0], home_address: PERSONAL[1], personal_email: PERSONAL[2], dietary: PERSONAL[3] },
    }), 201),
  };
  cameraId = ok(await ad('GET', P('/departments'))).departments.find((d) => d.name === 'Camera')?.id;
  assert.ok(cameraId, 'the camera department has an id');
  harbour = ok(await ad('POST', P('/locations'), { name: 'Harbour Wall', address: '3 Harbour Road, Portsea' }), 201);
  manor = ok(await ad('POST', P('/locations'), { name: 'The Manor', address: '1 Manor Drive' }), 201);
  s12 = ok(await ad('POST', P('/scenes'), { number: '12', int_ext: 'EXT', day_night: 'DAY', set: 'Harbour wall', eighths: 11 }), 201);
  s14 = ok(await ad('POST', P('/scenes'), { number: '14', int_ext: 'INT', day_night: 'DAY', set: 'Lighthouse', eighths: 3 }), 201);
  day1 = ok(await ad('POST', P('/days'), { date: '2027-05-03', general_call: '07:00', wrap_estimate: '19:00', locations: [harbour.id], scenes: [s12.id, s14.id] }), 201);
  day2 = ok(await ad('POST', P('/days'), { date: '2027-05-04', general_call: '07:00', wrap_estimate: '19:00', locations: [harbour.id] }), 201);
  await setCall(who.grip.person, day1, { call: '05:30' });
  await setCall(who.other.person, day1, { call: '06:10' });
  await setCall(who.lead.person, day1, { call: '08:00', cast_status: 'work' });
  await setCall(who.grip.person, day2, { call: '06:00' });
  v1 = await publish(day1);

  // the changes of version 2
  await setCall(who.grip.person, day1, { call: '05:15' });
  await setCall(who.lead.person, day1, { call: '08:00', cast_status: 'hold' });
  assert.equal((await ad('DELETE', P(`/days/${day1.id}/calls/${who.other.person.id}`))).status, 204);
  await setCall(who.camhead.person, day1, { call: '06:30' });
  ok(await ad('PATCH', P(`/locations/${harbour.id}`), { parking: 'Behind the lifeboat station' }));
  ok(await ad('PATCH', P(`/days/${day1.id}`), { general_call: '06:45', locations: [harbour.id, manor.id], scenes: [s14.id, s12.id] }));
  ok(await ad('PUT', P(`/days/${day1.id}/department-calls/${cameraId}`), { call: '06:40' }));
  v2 = await publish(day1);
});
after(async () => { await server?.stop(); });

const expectedV1toV2 = () => ({
  from: { id: v1.id, version: 1, published_at: v1.published_at },
  to: { id: v2.id, version: 2, published_at: v2.published_at },
  general_call: { from: '07:00', to: '06:45' },
  wrap_estimate: null,
  calls: [
    { person_id: who.lead.person.id, name: 'Lead Actor', department: null, field: 'cast_status', from: 'work', to: 'hold' },
    { person_id: who.grip.person.id, name: 'Person grip', department: 'Grip', field: 'call', from: '05:30', to: '05:15' },
  ],
  people_added: [{ person_id: who.camhead.person.id, name: 'Person camhead', department: 'Camera', call: '06:30' }],
  people_removed: [{ person_id: who.other.person.id, name: 'Person other', department: 'Grip', call: '06:10' }],
  locations: {
    added: [{ id: manor.id, name: 'The Manor' }],
    removed: [],
    changed: [{ id: harbour.id, name: 'Harbour Wall', field: 'parking', from: '', to: 'Behind the lifeboat station' }],
  },
  scenes: { added: [], removed: [], reordered: true },
  department_calls: [{ department_id: cameraId, department: 'Camera', from: null, to: '06:40' }],
});

test('the diff of two published versions names every call moved, person added or removed, location, scene order and department call', async () => {
  const d = ok(await ad('GET', P(`/callsheets/${v2.id}/diff?from=${v1.id}`)));
  d.calls.sort(byNameField);
  assert.deepEqual(d, expectedV1toV2());
});

test('without from, the diff is against the version just before; version 1 has nothing to compare with', async () => {
  const d = ok(await ad('GET', P(`/callsheets/${v2.id}/diff`)));
  d.calls.sort(byNameField);
  assert.deepEqual(d, expectedV1toV2());
  const first = ok(await ad('GET', P(`/callsheets/${v1.id}/diff`)));
  assert.deepEqual(first, {
    from: null,
    to: { id: v1.id, version: 1, published_at: v1.published_at },
    general_call: null,
    wrap_estimate: null,
    calls: [],
    people_added: [],
    people_removed: [],
    locations: { added: [], removed: [], changed: [] },
    scenes: { added: [], removed: [], reordered: false },
    department_calls: [],
  });
});

test('from may be newer than the version: the diff then runs backwards', async () => {
  const d = ok(await ad('GET', P(`/callsheets/${v1.id}/diff?from=${v2.id}`)));
  assert.deepEqual(d.from, { id: v2.id, version: 2, published_at: v2.published_at });
  assert.deepEqual(d.general_call, { from: '06:45', to: '07:00' });
  assert.deepEqual(d.people_added.map((p) => p.person_id), [who.other.person.id]);
  assert.deepEqual(d.people_removed.map((p) => p.person_id), [who.camhead.person.id]);
  assert.deepEqual(d.locations.removed, [{ id: manor.id, name: 'The Manor' }]);
  assert.deepEqual(d.department_calls, [{ department_id: cameraId, department: 'Camera', from: '06:40', to: null }]);
});

test('a crew member called on the day reads the same diff, and it holds no personal field of anyone', async () => {
  const r = await call(server, who.grip.session, 'GET', P(`/callsheets/${v2.id}/diff?from=${v1.id}`));
  const d = ok(r);
  d.calls.sort(byNameField);
  assert.deepEqual(d, expectedV1toV2());
  for (const secret of PERSONAL) assert.ok(!r.body.includes(secret), `the diff holds no ${secret}`);
  for (const k of ['personal_phone', 'home_address', 'personal_email', 'dietary', 'medical', 'emergency_contact'])
    assert.ok(!r.body.includes(k), `the diff names no ${k}`);
});

test('a crew member not called on the day cannot read its diff', async () => {
  assertProblem(await call(server, who.outsider.session, 'GET', P(`/callsheets/${v2.id}/diff?from=${v1.id}`)), 403, 'not called');
});

test('from must be a version of the same day of the same production', async () => {
  const other = await publish(day2);
  const p = assertProblem(await ad('GET', P(`/callsheets/${v2.id}/diff?from=${other.id}`)), 422, 'another day');
  assert.match(p.detail, /another shoot day/);
  assertProblem(await ad('GET', P(`/callsheets/${v2.id}/diff?from=${'0'.repeat(26)}`)), 404, 'no such version');
  // a version of another production, whose id exists
  const prod2 = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Other Tide', timezone: 'Europe/London' } }), 201);
  const d = ok(await call(server, admin, 'POST', `/api/v1/productions/${prod2.id}/days`, { body: { date: '2027-05-03', general_call: '07:00', wrap_estimate: '19:00' } }), 201);
  const foreign = ok(await call(server, admin, 'POST', `/api/v1/productions/${prod2.id}/days/${d.id}/callsheets`), 201);
  assertProblem(await call(server, admin, 'GET', P(`/callsheets/${v2.id}/diff?from=${foreign.id}`)), 404, 'another production');
});

test('the preview is the next version as it would be published, with what changed, and writes nothing', async () => {
  await setCall(who.grip.person, day1, { call: '05:00' });
  const before = await versions(day1);
  const audits = await auditCount();
  const pv = ok(await ad('GET', P(`/days/${day1.id}/callsheets/preview`)));
  assert.equal(pv.id, null);
  assert.equal(pv.published_at, null);
  assert.equal(pv.day_id, day1.id);
  assert.equal(pv.version, 3);
  assert.equal(pv.sheet.calls.find((c) => c.person_id === who.grip.person.id).call, '05:00');
  assert.deepEqual(pv.changes.from, { id: v2.id, version: 2, published_at: v2.published_at });
  assert.deepEqual(pv.changes.to, { id: null, version: 3, published_at: null });
  assert.deepEqual(pv.changes.calls, [{ person_id: who.grip.person.id, name: 'Person grip', department: 'Grip', field: 'call', from: '05:15', to: '05:00' }]);
  assert.deepEqual(pv.changes.people_added, []);
  assert.equal(pv.changes.general_call, null);
  assert.deepEqual(await versions(day1), before, 'no version was published');
  assert.equal(await auditCount(), audits, 'no audit event for a preview');
  // what is then published is what was previewed
  const v3 = await publish(day1);
  const got = ok(await ad('GET', P(`/callsheets/${v3.id}`)));
  assert.equal(got.version, pv.version);
  assert.deepEqual(got.sheet, pv.sheet);
});

test('the preview of a day never published has no changes', async () => {
  const day3 = ok(await ad('POST', P('/days'), { date: '2027-05-05', general_call: '07:00', wrap_estimate: '19:00' }), 201);
  const pv = ok(await ad('GET', P(`/days/${day3.id}/callsheets/preview`)));
  assert.equal(pv.version, 1);
  assert.equal(pv.changes, null);
  assert.deepEqual(await versions(day3), []);
});

test('a role that cannot publish cannot preview', async () => {
  for (const key of ['camhead', 'grip'])
    assertProblem(await call(server, who[key].session, 'GET', P(`/days/${day1.id}/callsheets/preview`)), 403, key);
});

test('publishing can be held to what was previewed: a sheet changed or published since is refused (409) and nothing is published', async () => {
  const pv = ok(await ad('GET', P(`/days/${day1.id}/callsheets/preview`)));
  assert.match(pv.digest, /^[0-9a-f]{64}$/);
  const guarded = (q) => ad('POST', P(`/days/${day1.id}/callsheets?${q}`));
  await setCall(who.grip.person, day1, { call: '04:45' }); // someone changes the draft after the preview
  const before = await versions(day1);
  const p = assertProblem(await guarded(`expect_version=${pv.version}&expect_digest=${pv.digest}`), 409, 'changed since the preview');
  assert.match(p.detail, /changed since it was previewed/);
  assert.deepEqual(await versions(day1), before, 'nothing published');
  // a fresh preview, published as previewed
  const again = ok(await ad('GET', P(`/days/${day1.id}/callsheets/preview`)));
  assert.notEqual(again.digest, pv.digest);
  const done = ok(await guarded(`expect_version=${again.version}&expect_digest=${again.digest}`), 201);
  assert.equal(done.version, again.version);
  assert.deepEqual(done.sheet, again.sheet);
  // the same version number again: another version was published since
  assertProblem(await guarded(`expect_version=${again.version}`), 409, 'published since');
  assert.equal((await versions(day1)).length, before.length + 1);
  assertProblem(await guarded('expect_digest=not-a-digest'), 400, 'a malformed digest');
  assertProblem(await guarded('expect_version=two'), 400, 'a malformed version');
});
