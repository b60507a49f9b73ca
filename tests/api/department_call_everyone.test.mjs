// "Call the whole department at 06:00" in one action
// (POST …/days/{did}/department-calls/{dept}/call-everyone): an individual
// call for every person of the department, in one transaction, with the
// right and the checks of PUT …/calls/{pid}; a department head only for
// their own department.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const who = {}; // key → {session, person}
const dept = {}; // name → id
let day;
let night;

const ok = (r, status = 200) => {
  assert.equal(r.status, status, r.body);
  return r.json;
};
const as = (key, method, path, body) => call(server, who[key].session, method, path, body === undefined ? {} : { body });
const everyone = (key, d, name, body) => as(key, 'POST', P(`/days/${d.id}/department-calls/${dept[name]}/call-everyone`), body);
/** The day's calls as the AD reads them: {person key: {call, pickup, ...}}. */
async function calls(d) {
  const list = ok(await as('ad', 'GET', P(`/days/${d.id}/calls`))).calls;
  const out = {};
  for (const c of list) {
    const key = Object.keys(who).find((k) => who[k].person.id === c.person_id);
    out[key] = { call: c.call, pickup: c.pickup, hair_makeup: c.hair_makeup, on_set: c.on_set, cast_status: c.cast_status };
  }
  return out;
}
/** The problem's errors[] as {pointer: detail}, after checking it is a 400. */
function fieldErrors(res, what) {
  assertProblem(res, 400, what);
  return Object.fromEntries(res.json.errors.map((e) => [e.pointer, e.detail]));
}
const events = async (action) =>
  ok(await call(server, admin, 'GET', P('/audit?limit=500'))).events.filter((e) => e.action === action);

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Steady Hands', timezone: 'Europe/London' } }), 201);
  let n = 0;
  for (const [key, role, d] of [
    ['ad', 'ad', 'Direction/AD'],
    ['griphead', 'department_head', 'Grip'],
    ['g1', 'crew', 'Grip'],
    ['g2', 'crew', 'Grip'],
    ['camhead', 'department_head', 'Camera'],
    ['camop', 'crew', 'Camera'],
  ]) {
    const email = `${key}@steady.example`;
    const session = await newAccount(server, email, `a long passphrase for steady hands ${n++}`);
    ok(await call(server, admin, 'POST', P('/members'), { body: { email, role, department: d } }), 201);
    const person = ok(await call(server, admin, 'POST', P('/people'), { body: { name: `Person ${key}`, kind: 'crew', department: d, account_email: email } }), 201);
    assert.equal((await call(server, session, 'POST', P(`/people/${person.id}/confirm-link`))).status, 204);
    who[key] = { session, person };
  }
  for (const d of ok(await as('ad', 'GET', P('/departments'))).departments) dept[d.name] = d.id;
  day = ok(await as('ad', 'POST', P('/days'), { date: '2027-06-07', general_call: '07:00', wrap_estimate: '19:00' }), 201);
  night = ok(await as('ad', 'POST', P('/days'), { date: '2027-06-08', general_call: '18:00', wrap_estimate: '29:00' }), 201);
  ok(await as('ad', 'PUT', P(`/days/${day.id}/calls/${who.g1.person.id}`), { call: '05:30', hair_makeup: '06:00' }));
});
after(async () => { await server?.stop(); });

test('an AD calls the whole department at once; people with a call keep it unless overwrite is asked', async () => {
  const r = ok(await everyone('ad', day, 'Grip', { call: '06:00' }));
  assert.equal(r.department_id, dept.Grip);
  assert.equal(r.department, 'Grip');
  assert.equal(r.called, 2);
  assert.equal(r.kept, 1);
  assert.deepEqual(r.calls.map((c) => c.person_id).sort(), [who.griphead.person.id, who.g2.person.id].sort());
  for (const c of r.calls) assert.deepEqual([c.day_id, c.call, c.call_from, c.pickup], [day.id, '06:00', 'person', '']);
  const now = await calls(day);
  assert.deepEqual(now, {
    griphead: { call: '06:00', pickup: '', hair_makeup: '', on_set: '', cast_status: '' },
    g1: { call: '05:30', pickup: '', hair_makeup: '06:00', on_set: '', cast_status: '' },
    g2: { call: '06:00', pickup: '', hair_makeup: '', on_set: '', cast_status: '' },
  }, 'g1 kept their own call; nobody of another department was called');

  const o = ok(await everyone('ad', day, 'Grip', { call: '06:15', pickup: '05:45', on_set: '07:00', overwrite: true }));
  assert.equal(o.called, 3);
  assert.equal(o.kept, 0);
  const all = { call: '06:15', pickup: '05:45', hair_makeup: '', on_set: '07:00', cast_status: '' };
  assert.deepEqual(await calls(day), { griphead: all, g1: all, g2: all });
  const ev = await events('department_call.call_everyone');
  assert.equal(ev.length, 2, 'one event per action, not one per person');
  for (const e of ev) assert.equal(e.object, dept.Grip);
});

test("a department head calls their own department", async () => {
  const r = ok(await everyone('camhead', day, 'Camera', { call: '06:30' }));
  assert.equal(r.called, 2);
  assert.equal((await calls(day)).camop.call, '06:30');
});

test("a department head cannot call another department, and the forged request writes nothing", async () => {
  const before = await calls(day);
  const events0 = (await events('department_call.call_everyone')).length;
  const p = assertProblem(await everyone('griphead', day, 'Camera', { call: '05:00', overwrite: true }), 403, 'grip head calling camera');
  assert.match(p.detail, /cannot set this department's calls/);
  assertProblem(await everyone('camop', day, 'Camera', { call: '05:00', overwrite: true }), 403, 'crew');
  assert.deepEqual(await calls(day), before, 'no call changed');
  assert.equal((await events('department_call.call_everyone')).length, events0);
});

test('the times are checked as for one call, every bad field named, and nothing is written', async () => {
  const before = await calls(day);
  let e = fieldErrors(await everyone('ad', day, 'Grip', { call: '25:99', overwrite: true }), 'bad time');
  assert.ok(e['/call'], JSON.stringify(e));
  e = fieldErrors(await everyone('ad', day, 'Grip', { call: '06:00', pickup: '06:30', on_set: '05:00', overwrite: true }), 'bad order');
  assert.deepEqual(Object.keys(e).sort(), ['/on_set', '/pickup']);
  e = fieldErrors(await everyone('ad', day, 'Grip', { call: '19:30', overwrite: true }), 'after wrap');
  assert.match(e['/call'], /wrap/);
  // the same answer as PUT …/calls/{pid} for the same body
  const one = fieldErrors(await as('ad', 'PUT', P(`/days/${day.id}/calls/${who.g1.person.id}`), { call: '06:00', pickup: '06:30', on_set: '05:00' }), 'one call');
  assert.deepEqual(Object.keys(one).sort(), ['/on_set', '/pickup']);
  assertProblem(await everyone('ad', day, 'Grip', { pickup: '05:00' }), 400, 'no call');
  e = fieldErrors(await everyone('ad', day, 'Grip', { call: '' }), 'a blank call');
  assert.ok(e['/call'] && !/department has no call/.test(e['/call']), e['/call']);
  assert.deepEqual(await calls(day), before);
});

test('a night shoot takes calls past midnight', async () => {
  const r = ok(await everyone('ad', night, 'Grip', { call: '24:30', on_set: '25:00' }));
  assert.equal(r.called, 3);
  assert.ok(r.calls.every((c) => c.call === '24:30' && c.on_set === '25:00'));
});

test('an unknown department is not found', async () => {
  assertProblem(await as('ad', 'POST', P(`/days/${day.id}/department-calls/${'0'.repeat(26)}/call-everyone`), { call: '06:00' }), 404, 'unknown department');
});
