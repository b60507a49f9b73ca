// Correcting a sustainability entry: PATCH …/sustainability/entries/{eid}
// checks the entry as it would be, as create checks it, with create's
// rights; a new quantity, unit or factor computes the CO2e again exactly as a
// fresh entry of the same values would; the change is audited and the report
// follows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, slateSql } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';

let server;
let admin;
let prod;
const who = {}; // key → session
const dept = {}; // department name → id
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const S = (rest = '') => P(`/sustainability${rest}`);
const sql = (q) => slateSql(server.data, q);

const DIESEL = 'diesel-average-biofuel-blend'; // 2.51279 kg CO2e per litre
const HOTEL = 'hotel-stay-uk'; // 10.4 kg CO2e per room-night

const create = async (session, body) => {
  const r = await call(server, session, 'POST', S('/entries'), { body });
  assert.equal(r.status, 201, r.body);
  return r.json;
};
const patch = (session, id, body) => call(server, session, 'PATCH', S(`/entries/${id}`), { body });
const get = async (id) => {
  const r = await call(server, admin, 'GET', S(`/entries/${id}`));
  assert.equal(r.status, 200, r.body);
  return r.json;
};
const reportGrams = async () => {
  const r = await call(server, admin, 'GET', S('/report'));
  assert.equal(r.status, 200, r.body);
  return Math.round(r.json.total.kg * 1000);
};

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Corrections', timezone: 'Europe/London' } })).json;
  for (const d of (await call(server, admin, 'GET', P('/departments'))).json.departments) dept[d.name] = d.id;
  let n = 0;
  for (const [key, role, department] of [
    ['producer', 'producer', null],
    ['ad', 'ad', 'Direction/AD'],
    ['transport', 'department_head', 'Transport'],
    ['crew', 'crew', 'Transport'],
  ]) {
    const email = `${key}@correct.example`;
    const s = await newAccount(server, email, `a long passphrase for the correction ${n++}`);
    if (role === 'producer') await enrolTotp(server, s);
    const m = await call(server, admin, 'POST', P('/members'), { body: department ? { email, role, department } : { email, role } });
    assert.equal(m.status, 201, m.body);
    who[key] = s;
  }
});
after(async () => { await server?.stop(); });

test('a new quantity computes the CO2e exactly as a fresh entry of the same values, and the report follows', async () => {
  const e = await create(admin, { date: '2027-03-02', department: 'Transport', factor: DIESEL, quantity: 100, unit: 'L', note: 'truck 1' });
  assert.equal(e.kg_co2e, 251.279);
  const before = await reportGrams();
  const r = await patch(who.producer, e.id, { quantity: 850, unit: 'gal_us' });
  assert.equal(r.status, 200, r.body);
  const fresh = await create(admin, { date: '2027-03-02', department: 'Transport', factor: DIESEL, quantity: 850, unit: 'gal_us' });
  assert.equal(r.json.kg_co2e, fresh.kg_co2e);
  assert.equal(r.json.t_co2e, fresh.t_co2e);
  assert.equal(r.json.quantity, 850);
  assert.equal(r.json.unit, 'gal_us');
  assert.equal(r.json.factor.id, fresh.factor.id);
  assert.equal(r.json.note, 'truck 1', 'what the change did not name stays');
  assert.equal(r.json.date, '2027-03-02');
  assert.equal(r.json.id, e.id);
  assert.equal(r.json.created_at, e.created_at);
  assert.deepEqual(r.json, await get(e.id), 'the answer is the entry as GET answers it');
  const grams = (kg) => Math.round(kg * 1000);
  assert.equal(await reportGrams(), before - grams(e.kg_co2e) + grams(fresh.kg_co2e) * 2, 'the report total follows the change');
  // another factor, of another dimension: computed as create would
  const h = await patch(admin, e.id, { factor: HOTEL, quantity: 3, unit: 'room_night' });
  assert.equal(h.status, 200, h.body);
  assert.equal(h.json.kg_co2e, 31.2);
  assert.equal(h.json.category, 'accommodation');
});

test('a note, date or department alone keeps the entry\'s factor and figure', async () => {
  const e = await create(admin, { date: '2027-03-03', department: 'Transport', factor: DIESEL, quantity: 850, unit: 'L' });
  assert.equal(e.kg_co2e, 2135.872);
  const before = await reportGrams();
  const r = await patch(admin, e.id, { note: 'fuel log, truck 2' });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.note, 'fuel log, truck 2');
  for (const k of ['kg_co2e', 'quantity', 'unit', 'category', 'date', 'department_id']) assert.equal(r.json[k], e[k], k);
  assert.deepEqual(r.json.factor, e.factor);
  const moved = await patch(admin, e.id, { date: '2027-03-05', department: 'Grip' });
  assert.equal(moved.status, 200, moved.body);
  assert.equal(moved.json.date, '2027-03-05');
  assert.equal(moved.json.department_id, dept.Grip);
  assert.equal(moved.json.kg_co2e, e.kg_co2e);
  assert.equal(await reportGrams(), before, 'the total stands');
  const byDept = (await call(server, admin, 'GET', S('/report'))).json.by_department;
  assert.ok(byDept.some((d) => d.department_id === dept.Grip && Math.round(d.kg * 1000) >= 2135872), JSON.stringify(byDept));
});

test('a department head corrects their own department\'s entries only, and cannot move one out of it', async () => {
  const own = await create(who.transport, { date: '2027-03-04', department: 'Transport', factor: DIESEL, quantity: 10, unit: 'L' });
  const grip = await create(admin, { date: '2027-03-04', department: 'Grip', factor: DIESEL, quantity: 20, unit: 'L', note: 'grip van' });
  const ok = await patch(who.transport, own.id, { quantity: 12 });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.kg_co2e, 30.153); // 12 × 2.51279 = 30.15348
  // another department's entry: not theirs to learn of, as GET and DELETE answer
  assertProblem(await patch(who.transport, grip.id, { quantity: 1, note: 'mine now' }), 404);
  assertProblem(await patch(who.transport, grip.id, { department: 'Transport' }), 404);
  assert.deepEqual(await get(grip.id), grip, 'another department\'s entry is unchanged');
  // their own, moved out of their department
  const away = await patch(who.transport, own.id, { department: 'Grip' });
  assertProblem(away, 403);
  assertProblem(await patch(who.transport, own.id, { department_id: dept.Grip, note: 'x' }), 403);
  const still = await get(own.id);
  assert.equal(still.department_id, dept.Transport);
  assert.equal(still.kg_co2e, 30.153);
  assert.equal(still.note, '');
});

test('crew and an AD cannot correct an entry', async () => {
  const e = await create(admin, { date: '2027-03-04', department: 'Transport', factor: DIESEL, quantity: 5, unit: 'L' });
  for (const key of ['crew', 'ad']) assertProblem(await patch(who[key], e.id, { quantity: 6 }), 403, key);
  assert.deepEqual(await get(e.id), e);
});

test('the entry as it would be is checked whole: a unit of another dimension, bad fields, nothing to change', async () => {
  const e = await create(admin, { date: '2027-03-04', department: 'Transport', factor: DIESEL, quantity: 5, unit: 'L' });
  const unit = assertProblem(await patch(admin, e.id, { unit: 'kg' }), 400);
  assert.deepEqual(unit.errors.map((x) => x.pointer), ['/unit']);
  assert.match(unit.errors[0].detail, /kg cannot be converted to litres/);
  const many = assertProblem(await patch(admin, e.id, { quantity: -1, date: '2027-13-40', department: 'No Such Department', extra: 1 }), 400);
  assert.deepEqual(many.errors.map((x) => x.pointer).sort(), ['/date', '/department', '/extra', '/quantity']);
  assertProblem(await patch(admin, e.id, { factor: 'no-such-factor' }), 400);
  const none = assertProblem(await patch(admin, e.id, {}), 400);
  assert.deepEqual(none.errors.map((x) => x.pointer), ['/']);
  assert.deepEqual(await get(e.id), e, 'nothing was written');
});

test('an unknown entry, or another production\'s, answers 404', async () => {
  assertProblem(await patch(admin, 'cen_aaaaaaaaaaaaaaaaaaaaaaaaaa' /* well formed, never issued */, { quantity: 1 }), 404);
  const other = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Elsewhere', timezone: 'UTC' } })).json;
  const e = await create(admin, { date: '2027-03-04', department: 'Transport', factor: DIESEL, quantity: 5, unit: 'L' });
  assertProblem(await call(server, admin, 'PATCH', `/api/v1/productions/${other.id}/sustainability/entries/${e.id}`, { body: { quantity: 1 } }), 404);
  assert.deepEqual(await get(e.id), e);
});

test('a correction is audited with the entry as its object and keeps the evidence attached', async () => {
  const e = await create(admin, { date: '2027-03-06', department: 'Transport', factor: DIESEL, quantity: 7, unit: 'L', note: 'secret supplier' });
  const receipt = Buffer.from('%PDF-1.4 fuel receipt\n');
  const put = await call(server, admin, 'PUT', S(`/entries/${e.id}/evidence?name=r.pdf`), { headers: { 'content-type': 'application/pdf' }, body: receipt });
  assert.equal(put.status, 201, put.body);
  const attached = (await get(e.id)).evidence_id;
  assert.ok(attached);
  const r = await patch(admin, e.id, { quantity: 8, note: 'a private note 4242' });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.evidence_id, attached);
  const ev = await call(server, admin, 'GET', S(`/entries/${e.id}/evidence`));
  assert.equal(ev.status, 200);
  assert.equal(Buffer.from(ev.body).toString(), receipt.toString());
  const rows = sql(`SELECT object || '|' || outcome || '|' || production_id FROM audit_event WHERE action = 'sustainability.entry.update' AND object = '${e.id}'`);
  assert.equal(rows, `${e.id}|success|${prod.id}`);
  const all = sql(`SELECT group_concat(action || ' ' || IFNULL(object, ''), ';') FROM audit_event WHERE action = 'sustainability.entry.update'`);
  assert.doesNotMatch(all, /4242|private|secret/, 'no values in the audit');
  // a refused change writes no event
  const n = sql(`SELECT COUNT(*) FROM audit_event WHERE action = 'sustainability.entry.update'`);
  assertProblem(await patch(admin, e.id, { unit: 'kg' }), 400);
  assert.equal(sql(`SELECT COUNT(*) FROM audit_event WHERE action = 'sustainability.entry.update'`), n);
});

test('a shoot day given gives its date; a date alone leaves the shoot day', async () => {
  const day = await call(server, admin, 'POST', P('/days'), { body: { date: '2027-03-08', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00' } });
  assert.equal(day.status, 201, day.body);
  const e = await create(admin, { date: '2027-03-04', department: 'Transport', factor: DIESEL, quantity: 5, unit: 'L' });
  const on = await patch(admin, e.id, { day_id: day.json.id });
  assert.equal(on.status, 200, on.body);
  assert.equal(on.json.day_id, day.json.id);
  assert.equal(on.json.date, '2027-03-08');
  const noted = await patch(admin, e.id, { note: 'on the day' });
  assert.equal(noted.json.day_id, day.json.id, 'a note alone keeps the shoot day');
  const clash = assertProblem(await patch(admin, e.id, { day_id: day.json.id, date: '2027-03-09' }), 400);
  assert.deepEqual(clash.errors.map((x) => x.pointer), ['/date']);
  const off = await patch(admin, e.id, { date: '2027-03-09' });
  assert.equal(off.status, 200, off.body);
  assert.equal(off.json.day_id, null);
  assert.equal(off.json.date, '2027-03-09');
  assert.equal(off.json.kg_co2e, e.kg_co2e);
});
