// Input that was accepted and should not be (issue 16): every bad field of a
// request is named at once (errors[]), and every bad cell of a CSV row;
// blank names, control characters and bidirectional overrides; half a
// coordinate; a character name on crew; a birthday in the future;
// department names that differ only in case; and call times that a
// daylight-saving change skips or repeats. docs/CONTRACT.md, "Validation".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod; // Europe/London
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const post = (rest, body) => call(server, admin, 'POST', P(rest), { body });
const patch = (rest, body) => call(server, admin, 'PATCH', P(rest), { body });

/** The problem's errors[] as {pointer: detail}, after checking it is a 400. */
function fieldErrors(res, what) {
  assertProblem(res, 400, what);
  assert.ok(Array.isArray(res.json.errors), `${what}: errors[] in ${res.body}`);
  const out = {};
  for (const e of res.json.errors) {
    assert.equal(typeof e.pointer, 'string', `${what}: ${res.body}`);
    assert.equal(typeof e.detail, 'string', `${what}: ${res.body}`);
    assert.ok(!(e.pointer in out), `${what}: ${e.pointer} named twice in ${res.body}`);
    out[e.pointer] = e.detail;
  }
  return out;
}

function isoDate(offsetDays) {
  return new Date(Date.now() + offsetDays * 86400_000).toISOString().slice(0, 10);
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  const p = await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Clocks Go Back', timezone: 'Europe/London' } });
  assert.equal(p.status, 201, p.body);
  prod = p.json;
});
after(async () => { await server?.stop(); });

test('a request with several bad fields is answered with every one of them in errors[]', async () => {
  const day = fieldErrors(await post('/days', { date: '2027-02-30', unit: '   ', general_call: '7am', wrap_estimate: '19:00' }), 'day');
  assert.deepEqual(Object.keys(day).sort(), ['/date', '/general_call', '/unit']);

  const person = fieldErrors(await post('/people', {
    name: ' ', kind: 'robot', job_title: 'Grip\u0007', date_of_birth: '2150-01-01', work_phone: 'call me',
  }), 'person');
  assert.deepEqual(Object.keys(person).sort(), ['/date_of_birth', '/job_title', '/kind', '/name', '/work_phone']);
  assert.match(person['/date_of_birth'], /in the future/);

  const loc = fieldErrors(await post('/locations', { name: '\u202Egnp.exe', latitude: 51.5, parking: 'Lot B\u0000'.slice(0, 5) + '\u001b[31m' }), 'location');
  assert.deepEqual(Object.keys(loc).sort(), ['/longitude', '/name', '/parking']);

  const scene = fieldErrors(await post('/scenes', { number: '', int_ext: 'INSIDE', day_night: 'NOON', set: '\u2066Kitchen', eighths: 0, unknown: 1 }), 'scene');
  assert.deepEqual(Object.keys(scene).sort(), ['/day_night', '/eighths', '/int_ext', '/number', '/set', '/unknown']);

  // nothing was written by any of them
  assert.equal((await call(server, admin, 'GET', P('/days'))).json.days.length, 0);
  assert.equal((await call(server, admin, 'GET', P('/locations'))).json.locations.length, 0);
});

test('a CSV import names every bad cell of a row, with its line', async () => {
  const csv = [
    'date,department,factor,quantity,unit,note',
    '2027-13-01,No Such Department,diesel-average-biofuel-blend,lots,litres,fine',
    '2027-03-01,Transport,,12,,bell\u0007',
  ].join('\n');
  const res = await call(server, admin, 'POST', P('/sustainability/import?dry_run=true'), { body: csv, headers: { 'content-type': 'text/csv' } });
  assertProblem(res, 422, 'import');
  const byLine = {};
  for (const e of res.json.errors) (byLine[e.line] ??= []).push(e.pointer);
  assert.deepEqual(byLine[2].sort(), ['/date', '/department', '/quantity'], res.body);
  assert.deepEqual(byLine[3].sort(), ['/note'], res.body);
  const fixed = csv.replace('bell\u0007', 'bell').split('\n').slice(0, 1).concat('2027-03-01,Transport,,12,,x').join('\n');
  const again = await call(server, admin, 'POST', P('/sustainability/import?dry_run=true'), { body: fixed, headers: { 'content-type': 'text/csv' } });
  assertProblem(again, 422, 'import');
  assert.deepEqual(again.json.errors.map((e) => e.pointer).sort(), ['/factor', '/unit'], again.body);
});

test('names of only spaces are refused, naming the field', async () => {
  for (const [what, res, ptr] of [
    ['department', await post('/departments', { name: '   ' }), '/name'],
    ['department (ideographic space)', await post('/departments', { name: '\u3000\u00a0' }), '/name'],
    ['person', await post('/people', { name: '\t ', kind: 'crew' }), '/name'],
    ['location', await post('/locations', { name: ' ' }), '/name'],
    ['production', await call(server, admin, 'POST', '/api/v1/productions', { body: { name: '  ', timezone: 'UTC' } }), '/name'],
  ]) {
    const errs = fieldErrors(res, what);
    assert.ok(ptr in errs, `${what}: ${res.body}`);
  }
});

test('control characters and bidirectional overrides in a text field are refused, naming the field', async () => {
  const bad = ['\u0001', '\u0009', '\u000a', '\u000d', '\u001f', '\u007f', '\u202a', '\u202e', '\u2066', '\u2069'];
  for (const ch of bad) {
    const res = await post('/people', { name: `Ann${ch}Lee`, kind: 'crew' });
    const errs = fieldErrors(res, `U+${ch.codePointAt(0).toString(16)}`);
    assert.deepEqual(Object.keys(errs), ['/name']);
    assert.match(errs['/name'], /control characters or bidirectional overrides/);
  }
  // multi-line notes keep line feeds and tabs, and nothing else
  const ok = await post('/people', { name: 'Ann Lee', kind: 'crew', medical: 'asthma\n\tinhaler in the blue bag', home_address: '1 Row\nLeeds' });
  assert.equal(ok.status, 201, ok.body);
  const cr = fieldErrors(await post('/people', { name: 'Bo Lee', kind: 'crew', medical: 'a\rb', dietary: 'x\u202ey' }), 'notes');
  assert.deepEqual(Object.keys(cr).sort(), ['/dietary', '/medical']);
  // text that only looks unusual is fine: accents, right-to-left script, emoji
  const fine = await post('/people', { name: 'Zoë Ødegård عمر 🎬', kind: 'crew' });
  assert.equal(fine.status, 201, fine.body);
});

test('a latitude without a longitude (or the reverse) is refused', async () => {
  const lat = fieldErrors(await post('/locations', { name: 'Quay', latitude: 53.4 }), 'latitude only');
  assert.deepEqual(Object.keys(lat), ['/longitude']);
  const lon = fieldErrors(await post('/locations', { name: 'Quay', longitude: -2.9 }), 'longitude only');
  assert.deepEqual(Object.keys(lon), ['/latitude']);
  const both = await post('/locations', { name: 'Quay', latitude: 53.4, longitude: -2.9 });
  assert.equal(both.status, 201, both.body);
  // once both are there, moving one of them is fine
  const moved = await patch(`/locations/${both.json.id}`, { longitude: -3.0 });
  assert.equal(moved.status, 200, moved.body);
  const bare = await post('/locations', { name: 'Somewhere' });
  assert.equal(bare.status, 201, bare.body);
  const half = fieldErrors(await patch(`/locations/${bare.json.id}`, { latitude: 1 }), 'half on a bare location');
  assert.deepEqual(Object.keys(half), ['/longitude']);
});

test('a character name on a crew person is refused, not dropped', async () => {
  const crew = fieldErrors(await post('/people', { name: 'Dee', kind: 'crew', character_name: 'The Ghost' }), 'crew');
  assert.deepEqual(Object.keys(crew), ['/character_name']);
  const cast = await post('/people', { name: 'Eve', kind: 'cast', character_name: 'The Ghost' });
  assert.equal(cast.status, 201, cast.body);
  // becoming crew while a character is still on record says how
  const toCrew = fieldErrors(await patch(`/people/${cast.json.id}`, { kind: 'crew' }), 'cast to crew');
  assert.deepEqual(Object.keys(toCrew), ['/kind']);
  const cleared = await patch(`/people/${cast.json.id}`, { kind: 'crew', character_name: '' });
  assert.equal(cleared.status, 200, cleared.body);
  assert.equal(cleared.json.kind, 'crew');
});

test('a date of birth in the future is refused as in the future', async () => {
  const res = fieldErrors(await post('/people', { name: 'Fay', kind: 'crew', date_of_birth: isoDate(3) }), 'future');
  assert.deepEqual(Object.keys(res), ['/date_of_birth']);
  assert.match(res['/date_of_birth'], /in the future/);
  assert.doesNotMatch(res['/date_of_birth'], /YYYY/);
  const malformed = fieldErrors(await post('/people', { name: 'Fay', kind: 'crew', date_of_birth: '1990-02-30' }), 'malformed');
  assert.match(malformed['/date_of_birth'], /YYYY-MM-DD/);
  const past = await post('/people', { name: 'Fay', kind: 'crew', date_of_birth: isoDate(-1) });
  assert.equal(past.status, 201, past.body);
});

test('department names are unique without regard to case, and ?department= finds either spelling', async () => {
  const made = await post('/departments', { name: 'Drone Unit' });
  assert.equal(made.status, 201, made.body);
  const dup = await post('/departments', { name: 'drone UNIT' });
  assertProblem(dup, 409, 'same name, other case');
  assert.equal(dup.json.errors[0].pointer, '/name');
  const other = await post('/departments', { name: 'Sea Unit' });
  assert.equal(other.status, 201, other.body);
  assertProblem(await patch(`/departments/${other.json.id}`, { name: 'DRONE unit' }), 409, 'rename onto another in other case');
  const recase = await patch(`/departments/${made.json.id}`, { name: 'Drone unit' });
  assert.ok(recase.status === 200 || recase.status === 204, `a department may change its own case: ${recase.body}`);
  const pilot = await post('/people', { name: 'Gil', kind: 'crew', department: 'DRONE UNIT' });
  assert.equal(pilot.status, 201, pilot.body);
  assert.equal(pilot.json.department, 'Drone unit', 'the department as stored');
  for (const q of ['drone unit', 'Drone unit', 'DRONE UNIT']) {
    const list = await call(server, admin, 'GET', P(`/people?department=${encodeURIComponent(q)}`));
    assert.equal(list.status, 200, `${q}: ${list.body}`);
    assert.deepEqual(list.json.people.map((p) => p.name), ['Gil'], q);
  }
});

test('a call or wrap in a daylight-saving gap or fold is refused, naming the field and the instants', async () => {
  // Europe/London: clocks go forward at 01:00 on 2027-03-28, back at 02:00 on 2027-10-31
  const gap = fieldErrors(await post('/days', { date: '2027-03-28', unit: 'Main', general_call: '01:30', wrap_estimate: '12:00' }), 'gap');
  assert.deepEqual(Object.keys(gap), ['/general_call']);
  assert.match(gap['/general_call'], /does not exist/);
  const fold = fieldErrors(await post('/days', { date: '2027-10-31', unit: 'Main', general_call: '01:30', wrap_estimate: '12:00' }), 'fold');
  assert.deepEqual(Object.keys(fold), ['/general_call']);
  assert.match(fold['/general_call'], /2027-10-31T01:30:00\+01:00/);
  assert.match(fold['/general_call'], /2027-10-31T01:30:00\+00:00/);
  // a night shoot whose wrap runs past midnight into the gap
  const wrap = fieldErrors(await post('/days', { date: '2027-03-27', unit: 'Main', general_call: '18:00', wrap_estimate: '25:15' }), 'wrap');
  assert.deepEqual(Object.keys(wrap), ['/wrap_estimate']);
  // the hours around the change are fine
  const day = await post('/days', { date: '2027-03-28', unit: 'Main', general_call: '00:30', wrap_estimate: '12:00' });
  assert.equal(day.status, 201, day.body);
  const p = await post('/people', { name: 'Hal', kind: 'crew' });
  assert.equal(p.status, 201, p.body);
  const call1 = fieldErrors(await call(server, admin, 'PUT', P(`/days/${day.json.id}/calls/${p.json.id}`), { body: { call: '01:45', on_set: '01:50' } }), 'call');
  assert.deepEqual(Object.keys(call1).sort(), ['/call', '/on_set']);
  const good = await call(server, admin, 'PUT', P(`/days/${day.json.id}/calls/${p.json.id}`), { body: { call: '02:00', on_set: '02:30' } });
  assert.equal(good.status, 200, good.body);
});

test('the iCalendar never carries a local time that does not exist', async () => {
  // a call set on the day before, then the day moved onto the night the clocks go forward
  const day = await post('/days', { date: '2027-03-21', unit: 'Splinter', general_call: '00:15', wrap_estimate: '10:00' });
  assert.equal(day.status, 201, day.body);
  const p = await post('/people', { name: 'Ivy', kind: 'crew' });
  const c = await call(server, admin, 'PUT', P(`/days/${day.json.id}/calls/${p.json.id}`), { body: { call: '01:30' } });
  assert.equal(c.status, 200, c.body);
  const moved = await patch(`/days/${day.json.id}`, { date: '2027-03-28' });
  assert.equal(moved.status, 200, moved.body);
  const ics = await call(server, admin, 'GET', P(`/export?format=ics&person=${p.json.id}`));
  assert.equal(ics.status, 200, ics.body);
  const events = ics.body.split('BEGIN:VEVENT').slice(1).map((e) => e.split('END:VEVENT')[0]);
  const starts = events.flatMap((e) => e.split(/\r?\n/).filter((l) => l.startsWith('DTSTART')));
  assert.equal(starts.length, 1, ics.body);
  assert.doesNotMatch(starts[0], /T01\d\d00/, 'a time the clocks skip');
  assert.match(starts[0], /TZID=Europe\/London:20270328T023000/, 'read with the offset before the gap');
});
