// The production itself (issue 5): people, locations, shoot days, scenes and
// calls, each read shaped by the reader's role exactly as docs/ROLES.md
// says. A real member of every role asks for every record of their
// production and of another one; the fields that come back are compared
// with the document, cell by cell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startServer, runSlate, assertProblem, slateSql } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';
import { ROLES, documentedAllows, documentedScope } from './lib/roles.mjs';

let server;
let admin;
let prod;
let other;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

// who reads: role, account, department; and the person records
const readers = {};
const sessions = {}; // account key → session
const records = {}; // key → person JSON as the producer sees it
const WORK = ['work_phone', 'work_email'];
const PERSONAL = ['personal_phone', 'personal_email'];
const PRIVATE = ['home_address', 'emergency_contact', 'date_of_birth', 'dietary', 'medical', 'id_numbers'];
const SITE = ['address', 'latitude', 'longitude', 'access_notes', 'contact'];

function fieldsFor(key, n) {
  return {
    work_phone: `+44 20 7946 ${String(1000 + n)}`,
    work_email: `${key}.work@northern.example`,
    personal_phone: `+44 7700 900${String(100 + n)}`,
    personal_email: `${key}.home@private.example`,
    home_address: `${n} Wisteria Row, Flat ${key}`,
    emergency_contact: `Kin of ${key}, +44 7700 900999`,
    date_of_birth: `19${70 + n}-0${1 + (n % 9)}-1${n % 9}`,
    dietary: `no shellfish (${key})`,
    medical: `carries an inhaler (${key})`,
    id_numbers: `PASSPORT-${key.toUpperCase()}-${n}`,
  };
}

const account = (email, n) => newAccount(server, email, `a long passphrase for the location scout ${n}`);

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'The Matrix Walk', timezone: 'Europe/London' } })).json;
  other = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Elsewhere', timezone: 'UTC' } })).json;
  readers.production_admin = { session: admin, dept: null };
  const cast = [
    ['producer', 'producer', null],
    ['ad', 'ad', 'Direction/AD'],
    ['camhead', 'department_head', 'Camera'],
    ['camop', 'crew', 'Camera'],
    ['grip', 'crew', 'Grip'],
    ['lead', 'cast', 'Cast'],
  ];
  let n = 0;
  for (const [key, role, dept] of cast) {
    const email = `${key}@matrix.example`;
    const s = await account(email, n);
    if (role === 'producer') await enrolTotp(server, s);
    const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: dept ? { email, role, department: dept } : { email, role } });
    assert.equal(m.status, 201, m.body);
    const body = { name: `Person ${key}`, kind: role === 'cast' ? 'cast' : 'crew', account_email: email, job_title: role, ...fieldsFor(key, n++) };
    if (dept) body.department = dept;
    if (role === 'cast') body.character_name = 'The Lighthouse Keeper';
    const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body });
    assert.equal(p.status, 201, p.body);
    // the admin wrote the sealed fields, so the person accepts the record as theirs (docs/ROLES.md)
    assert.equal(p.json.link_confirmed, false);
    const confirm = await call(server, s, 'POST', P(prod.id, `/people/${p.json.id}/confirm-link`));
    assert.equal(confirm.status, 204, confirm.body);
    records[key] = { ...p.json, link_confirmed: true };
    sessions[key] = s;
    if (!readers[role]) readers[role] = { session: s, key, dept };
  }
  // people without accounts: a key contact, another cast member, a second camera crew
  for (const [key, kind, dept, extra] of [
    ['upm', 'crew', 'Production', { key_contact: true, job_title: 'Unit production manager' }],
    ['support', 'cast', 'Cast', { character_name: 'The Ferryman' }],
    ['focus', 'crew', 'Camera', { job_title: 'Focus puller' }],
  ]) {
    const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: `Person ${key}`, kind, department: dept, ...extra, ...fieldsFor(key, n++) } });
    assert.equal(p.status, 201, p.body);
    records[key] = p.json;
  }
});
// a test below restarts the server on the same data directory: the first one's stop removes it, after the second's
let firstServer;
after(async () => {
  await server?.stop();
  await firstServer?.stop();
});

test('a producer sees every field of every person, as written', () => {
  for (const [key, p] of Object.entries(records)) {
    for (const f of [...WORK, ...PERSONAL, ...PRIVATE]) assert.ok(f in p, `${key} has ${f}`);
  }
  assert.equal(records.lead.character_name, 'The Lighthouse Keeper');
  assert.equal(records.camop.department, 'Camera');
  assert.equal(records.upm.key_contact, true);
});

test('every role reads every person exactly as docs/ROLES.md says', async () => {
  for (const role of ROLES) {
    const r = readers[role];
    for (const [key, target] of Object.entries(records)) {
      const rel = { self: r.key === key, sameDept: r.dept !== null && r.dept === target.department };
      const key_contact = target.key_contact && documentedAllows('read', 'key_contact', role, rel);
      const sees = documentedAllows('read', 'person', role, rel) || key_contact;
      const res = await call(server, r.session, 'GET', P(prod.id, `/people/${target.id}`));
      const what = `${role} reading ${key}`;
      if (!sees) { assertProblem(res, 403, what); continue; }
      assert.equal(res.status, 200, `${what}: ${res.body}`);
      const expect = {
        work: documentedAllows('read', 'person_work_contact', role, rel) || key_contact,
        personal: documentedAllows('read', 'person_personal_phone', role, rel),
        private: documentedAllows('read', 'person_private', role, rel),
      };
      for (const [group, fields] of [['work', WORK], ['personal', PERSONAL], ['private', PRIVATE]]) {
        for (const f of fields) {
          assert.equal(f in res.json, expect[group], `${what}: ${f} ${expect[group] ? 'shown' : 'hidden'}`);
          if (expect[group]) assert.equal(res.json[f], target[f], `${what}: ${f} value`);
        }
      }
    }
    // the list says the same as the single reads
    const list = await call(server, r.session, 'GET', P(prod.id, '/people'));
    assert.equal(list.status, 200);
    for (const p of list.json.people) {
      const one = await call(server, r.session, 'GET', P(prod.id, `/people/${p.id}`));
      assert.deepEqual(p, one.json, `${role}: list and single read of ${p.name} agree`);
    }
  }
});

test("a crew member's request for a cast member's phone numbers gets none; cast see no other cast", async () => {
  const grip = readers.crew.session;
  const lead = await call(server, grip, 'GET', P(prod.id, `/people/${records.lead.id}`));
  assert.equal(lead.status, 200);
  for (const f of [...WORK, ...PERSONAL, ...PRIVATE]) assert.ok(!(f in lead.json), `crew sees no ${f} of the cast`);
  assert.ok(!JSON.stringify(lead.json).includes(records.lead.personal_phone));
  const cast = readers.cast.session;
  assertProblem(await call(server, cast, 'GET', P(prod.id, `/people/${records.support.id}`)), 403, 'cast reading another cast member');
  const names = (await call(server, cast, 'GET', P(prod.id, '/people'))).json.people.map((p) => p.name).sort();
  assert.deepEqual(names, ['Person lead', 'Person upm'], 'cast see themselves and the key contacts');
});

test("another production's person answers 404, never 403 and never data", async () => {
  assertProblem(await call(server, admin, 'GET', P(other.id, `/people/${records.camop.id}`)), 404, 'admin, wrong production');
  assertProblem(await call(server, admin, 'PATCH', P(other.id, `/people/${records.camop.id}`), { body: { job_title: 'x' } }), 404, 'patch, wrong production');
  for (const role of ROLES.slice(1)) {
    assertProblem(await call(server, readers[role].session, 'GET', P(other.id, `/people/${records.camop.id}`)), 404, `${role}, not a member there`);
  }
});

test('writes follow the matrix: each field checked, nothing written when one is refused', async () => {
  const cases = [
    // [role, target, body, allowed]
    ['crew', 'camop', { personal_phone: '+44 7700 900555' }, true], // readers.crew is camop: self
    ['crew', 'grip', { personal_phone: '+44 7700 900556' }, false],
    ['crew', 'camop', { department: 'Grip' }, false],
    ['department_head', 'focus', { work_phone: '+44 20 7946 5555' }, true],
    ['department_head', 'focus', { home_address: 'somewhere else' }, false],
    ['department_head', 'grip', { job_title: 'Best boy grip' }, false],
    ['ad', 'camop', { personal_phone: '+44 7700 900557' }, false],
    ['ad', 'upm', { key_contact: false, job_title: 'UPM' }, true],
    ['cast', 'lead', { dietary: 'vegetarian' }, true],
    ['producer', 'lead', { medical: 'none' }, true],
  ];
  for (const [role, key, body, allowed] of cases) {
    const before = (await call(server, admin, 'GET', P(prod.id, `/people/${records[key].id}`))).json;
    const res = await call(server, readers[role].session, 'PATCH', P(prod.id, `/people/${records[key].id}`), { body });
    const after = (await call(server, admin, 'GET', P(prod.id, `/people/${records[key].id}`))).json;
    if (allowed) {
      assert.ok(res.status === 200 || res.status === 204, `${role} writing ${Object.keys(body)} of ${key}: ${res.body}`);
      for (const [f, v] of Object.entries(body)) assert.equal(after[f], v, `${f} written`);
      for (const f of PRIVATE.filter((x) => !(x in body))) assert.equal(after[f], before[f], `${f} kept`);
    } else {
      assertProblem(res, 403, `${role} writing ${Object.keys(body)} of ${key}`);
      assert.deepEqual(after, before, 'nothing written');
    }
  }
  await call(server, admin, 'PATCH', P(prod.id, `/people/${records.upm.id}`), { body: { key_contact: true } });
});

test('bad people input names the field', async () => {
  const post = (body) => call(server, admin, 'POST', P(prod.id, '/people'), { body });
  const cases = [
    [{ name: 'X', kind: 'extra' }, '/kind'],
    [{ name: 'X', kind: 'crew', department: 'Pyrotechnics and Snacks' }, '/department'],
    [{ name: 'X', kind: 'crew', personal_phone: 'call me maybe' }, '/personal_phone'],
    [{ name: 'X', kind: 'crew', work_email: 'not-an-address' }, '/work_email'],
    [{ name: 'X', kind: 'crew', date_of_birth: '1990-02-30' }, '/date_of_birth'],
    [{ name: '', kind: 'crew' }, '/name'],
    [{ kind: 'crew' }, '/name'],
    [{ name: 'X', kind: 'crew', account_email: 'nobody@nowhere.example' }, '/account_email'],
    [{ name: 'X', kind: 'crew', shoe_size: 44 }, '/shoe_size'],
  ];
  for (const [body, pointer] of cases) {
    const res = await post(body);
    assertProblem(res, 400, JSON.stringify(body));
    assert.equal(res.json.errors[0].pointer, pointer, JSON.stringify(res.json));
  }
  assertProblem(await call(server, admin, 'GET', P(prod.id, '/people?limit=0')), 400, 'limit 0');
  assertProblem(await call(server, admin, 'GET', P(prod.id, '/people?department=Nowhere')), 400, 'unknown department filter');
  const page = await call(server, admin, 'GET', P(prod.id, '/people?limit=2'));
  assert.equal(page.json.people.length, 2);
  assert.equal(page.json.next_offset, 2);
  const cam = await call(server, admin, 'GET', P(prod.id, '/people?department=Camera'));
  assert.deepEqual(cam.json.people.map((p) => p.name).sort(), ['Person camhead', 'Person camop', 'Person focus']);
  const cast = await call(server, admin, 'GET', P(prod.id, '/people?kind=cast'));
  assert.equal(cast.json.people.length, 2);
});

test('departments: the standard list, and production writers add and rename them', async () => {
  const list = (await call(server, readers.crew.session, 'GET', P(prod.id, '/departments'))).json.departments;
  assert.equal(list.length, 14);
  assert.deepEqual(list.slice(0, 3).map((d) => d.name), ['Production', 'Direction/AD', 'Camera']);
  for (const role of ROLES) {
    const r = await call(server, readers[role].session, 'POST', P(prod.id, '/departments'), { body: { name: `VFX ${role}` } });
    assert.equal(r.status, documentedScope('write', 'production', role) === 'all' ? 201 : 403, `${role} adding a department`);
  }
  const vfx = (await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments.find((d) => d.name === 'VFX producer');
  assertProblem(await call(server, readers.ad.session, 'PATCH', P(prod.id, `/departments/${vfx.id}`), { body: { name: 'Visual effects' } }), 403, 'AD renaming');
  const ren = await call(server, admin, 'PATCH', P(prod.id, `/departments/${vfx.id}`), { body: { name: 'Visual effects' } });
  assert.equal(ren.status, 200, ren.body);
  assert.ok((await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments.some((d) => d.id === vfx.id && d.name === 'Visual effects'));
  const taken = await call(server, admin, 'PATCH', P(prod.id, `/departments/${vfx.id}`), { body: { name: 'Camera' } });
  assertProblem(taken, 409, 'a taken name');
  assert.equal(taken.json.errors[0].pointer, '/name');
  assertProblem(await call(server, admin, 'PATCH', P(prod.id, `/departments/${vfx.id}`), { body: { name: '' } }), 400, 'empty name');
  assertProblem(await call(server, admin, 'PATCH', P(other.id, `/departments/${vfx.id}`), { body: { name: 'X' } }), 404, "another production's department");
  assertProblem(await call(server, admin, 'POST', P(prod.id, '/departments'), { body: { name: 'Camera' } }), 409, 'a duplicate department');
});

// ---- locations, days, scenes, calls ----

let locOpen;
let locSecret;
let day1;
let day2;
let scene1;
let scene2;

test('the schedule is built: locations, scenes, days, calls', async () => {
  const mk = async (p, body, status = 201) => {
    const r = await call(server, readers.ad.session, 'POST', P(prod.id, p), { body });
    assert.equal(r.status, status, `${p}: ${r.body}`);
    return r.json;
  };
  locOpen = await mk('/locations', { name: 'Harbour Wall', parking: 'Quay car park', nearest_hospital: 'Royal Infirmary', address: '3 Harbour Road, Portsea', latitude: 50.7989, longitude: -1.1085, access_notes: 'gate code 4711', contact: 'Harbourmaster' });
  locSecret = await mk('/locations', { name: 'The Manor', confidential: true, address: '1 Hidden Drive, Secretshire', latitude: 51.5, longitude: -0.12, access_notes: 'ring twice' });
  assert.equal(locOpen.latitude, 50.7989);
  scene1 = await mk('/scenes', { number: '12', int_ext: 'EXT', day_night: 'DAY', set: 'Harbour wall', eighths: 11, synopsis: 'The keeper finds the letter.', cast: [records.lead.id] });
  scene2 = await mk('/scenes', { number: '13A', int_ext: 'INT', day_night: 'NIGHT', set: 'Manor hall', eighths: 4, synopsis: 'The ferryman waits.' });
  day1 = await mk('/days', { date: '2027-03-01', general_call: '07:00', wrap_estimate: '19:00', locations: [locOpen.id], scenes: [scene1.id] });
  day2 = await mk('/days', { date: '2027-03-02', general_call: '18:00', wrap_estimate: '28:30', locations: [locSecret.id], scenes: [scene2.id] });
  const listed = (await call(server, readers.ad.session, 'GET', P(prod.id, '/days'))).json.days;
  assert.deepEqual(listed.map((d) => `Day ${d.number} of ${d.total}`), ['Day 1 of 2', 'Day 2 of 2']);
  const put = async (day, key, body, who = readers.ad.session) => call(server, who, 'PUT', P(prod.id, `/days/${day.id}/calls/${records[key].id}`), { body });
  for (const [day, key, body] of [
    [day1, 'camop', { call: '06:30', pickup: '06:00' }],
    [day1, 'lead', { call: '06:00', hair_makeup: '06:15', on_set: '08:00', cast_status: 'start' }],
    [day1, 'camhead', { call: '06:30' }],
    [day2, 'grip', { call: '17:00' }],
    [day2, 'focus', { call: '17:30' }],
  ]) {
    const r = await put(day, key, body);
    assert.equal(r.status, 200, r.body);
  }
  // a department head sets calls of their own department only
  assert.equal((await put(day2, 'focus', { call: '17:45' }, readers.department_head.session)).status, 200);
  assertProblem(await put(day2, 'grip', { call: '17:45' }, readers.department_head.session), 403, 'head of camera calling a grip');
  assertProblem(await put(day1, 'grip', { call: '06:00' }, readers.crew.session), 403, 'crew setting calls');
});

test('bad schedule input names the field', async () => {
  const ad = readers.ad.session;
  const cases = [
    ['PUT', `/days/${day1.id}/calls/${records.grip.id}`, { call: '20:00' }, 400, '/call'],
    ['PUT', `/days/${day1.id}/calls/${records.grip.id}`, { call: '07:00', pickup: '07:30' }, 400, '/pickup'],
    ['PUT', `/days/${day1.id}/calls/${records.grip.id}`, { call: '7am' }, 400, '/call'],
    ['PUT', `/days/${day1.id}/calls/${records.grip.id}`, { call: '07:00', cast_status: 'work' }, 400, '/cast_status'],
    ['POST', '/days', { date: '2027-03-03', general_call: '08:00', wrap_estimate: '07:00' }, 400, '/wrap_estimate'],
    ['POST', '/days', { date: '2027-02-30', general_call: '08:00', wrap_estimate: '17:00' }, 400, '/date'],
    ['POST', '/days', { date: '2027-03-01', general_call: '08:00', wrap_estimate: '17:00' }, 409, '/date'],
    ['POST', '/days', { date: '2027-03-04', general_call: '08:00', wrap_estimate: '17:00', scenes: [scene1.id, scene1.id] }, 409, '/scenes'],
    ['POST', '/days', { date: '2027-03-05', general_call: '08:00', wrap_estimate: '17:00', locations: ['loc_notinthisproduction'] }, 400, '/locations/0'],
    ['POST', '/scenes', { number: '12', int_ext: 'EXT', day_night: 'DAY', set: 'x', eighths: 1 }, 409, '/number'],
    ['POST', '/scenes', { number: '99', int_ext: 'OUTSIDE', day_night: 'DAY', set: 'x', eighths: 1 }, 400, '/int_ext'],
    ['POST', '/scenes', { number: '99', int_ext: 'INT', day_night: 'DAY', set: 'x', eighths: 0 }, 400, '/eighths'],
    ['POST', '/locations', { name: 'Harbour Wall' }, 409, '/name'],
    ['POST', '/locations', { name: 'Moon', latitude: 123 }, 400, '/latitude'],
  ];
  for (const [method, p, body, status, pointer] of cases) {
    const res = await call(server, ad, method, P(prod.id, p), { body });
    assertProblem(res, status, `${method} ${p} ${JSON.stringify(body)}`);
    assert.equal(res.json.errors?.[0]?.pointer, pointer, `${JSON.stringify(body)}: ${res.body}`);
  }
  // another production's day or person: 404
  assertProblem(await call(server, admin, 'GET', P(other.id, `/days/${day1.id}`)), 404, "another production's day");
  assertProblem(await call(server, admin, 'PUT', P(other.id, `/days/${day1.id}/calls/${records.grip.id}`), { body: { call: '07:00' } }), 404, "another production's call");
});

test('every role reads locations, days, scenes and calls exactly as docs/ROLES.md says', async () => {
  const calledOn = { [day1.id]: ['camop', 'lead', 'camhead'], [day2.id]: ['grip', 'focus'] };
  const dayOf = { [locOpen.id]: day1.id, [locSecret.id]: day2.id, [scene1.id]: day1.id, [scene2.id]: day2.id };
  for (const role of ROLES) {
    const r = readers[role];
    const called = (dayId) => (calledOn[dayId] ?? []).includes(r.key);
    const what = (x) => `${role} (${r.key ?? 'admin'}): ${x}`;
    // days
    const days = await call(server, r.session, 'GET', P(prod.id, '/days'));
    assert.equal(days.status, 200, days.body);
    // below AD the schedule is the published one (docs/ROLES.md): nothing is published yet
    const unpublished = ['department_head', 'crew', 'cast'].includes(role);
    const expectDays = unpublished ? [] : [day1, day2].filter((d) => documentedAllows('read', 'schedule', role, { called: called(d.id) })).map((d) => d.id);
    assert.deepEqual(days.json.days.map((d) => d.id), expectDays, what('days'));
    // locations, with or without their site
    const locs = await call(server, r.session, 'GET', P(prod.id, '/locations'));
    for (const loc of [locOpen, locSecret]) {
      const c = called(dayOf[loc.id]);
      const got = locs.json.locations.find((l) => l.id === loc.id);
      const sees = documentedAllows('read', 'location', role, { called: c });
      assert.equal(Boolean(got), sees, what(`location ${loc.name}`));
      const one = await call(server, r.session, 'GET', P(prod.id, `/locations/${loc.id}`));
      assert.equal(one.status, sees ? 200 : 403, what(`GET location ${loc.name}`));
      if (!sees) continue;
      const belowAd = ['department_head', 'crew', 'cast'].includes(role);
      const site = documentedAllows('read', 'location_address', role, { called: c }) && !(loc.confidential && belowAd);
      for (const f of SITE) {
        assert.equal(f in got, site, what(`${loc.name}.${f}`));
        assert.equal(f in one.json, site, what(`${loc.name}.${f} (single)`));
      }
      if (site) assert.equal(got.address, loc.address);
    }
    // scenes and their synopses
    const scenes = await call(server, r.session, 'GET', P(prod.id, '/scenes'));
    for (const sc of [scene1, scene2]) {
      const c = called(dayOf[sc.id]);
      const got = scenes.json.scenes.find((s) => s.id === sc.id);
      // crew and cast reach scenes through the days they are called on, as published: none yet
      const reaches = documentedAllows('read', 'schedule', role, { called: c }) && !(unpublished && documentedScope('read', 'schedule', role) === 'called');
      assert.equal(Boolean(got), reaches, what(`scene ${sc.number}`));
      if (got) assert.equal('synopsis' in got, documentedAllows('read', 'scene_synopsis', role, { called: c }), what(`synopsis of ${sc.number}`));
    }
    // calls of each visible day
    for (const d of [day1, day2]) {
      const res = await call(server, r.session, 'GET', P(prod.id, `/days/${d.id}`));
      if (!expectDays.includes(d.id)) { assertProblem(res, unpublished ? 404 : 403, what(`day ${d.date}`)); continue; }
      const seen = res.json.calls.map((c) => c.person_id).sort();
      const expected = calledOn[d.id].filter((k) => documentedAllows('read', 'call', role, { self: k === r.key, sameDept: r.dept !== null && records[k].department === r.dept }))
        .map((k) => records[k].id).sort();
      assert.deepEqual(seen, expected, what(`calls of ${d.date}`));
    }
  }
});

test('schedule and location writes follow the matrix', async () => {
  for (const role of ROLES) {
    const s = readers[role].session;
    const loc = await call(server, s, 'POST', P(prod.id, '/locations'), { body: { name: `Spot of ${role}` } });
    assert.equal(loc.status, documentedScope('write', 'location', role) === 'all' ? 201 : 403, `${role} adding a location`);
    const sc = await call(server, s, 'POST', P(prod.id, '/scenes'), { body: { number: `X${ROLES.indexOf(role)}`, int_ext: 'INT', day_night: 'DAY', set: 'Set', eighths: 2 } });
    assert.equal(sc.status, documentedScope('write', 'schedule', role) === 'all' ? 201 : 403, `${role} adding a scene`);
  }
});

test('call sheets: frozen numbered versions, read by the people called, acknowledged', async () => {
  const ad = readers.ad.session;
  const publish = (day, who = ad) => call(server, who, 'POST', P(prod.id, `/days/${day.id}/callsheets`));
  assertProblem(await publish(day1, readers.crew.session), 403, 'crew publishing');
  assertProblem(await publish(day1, readers.department_head.session), 403, 'a department head publishing');
  const v1 = await publish(day1);
  assert.equal(v1.status, 201, v1.body);
  assert.equal(v1.json.version, 1);
  const sheet = v1.json.sheet;
  assert.deepEqual([sheet.date, sheet.day, sheet.of, sheet.general_call], ['2027-03-01', 1, 2, '07:00']);
  assert.equal(sheet.locations[0].address, locOpen.address);
  assert.deepEqual(sheet.calls.map((c) => c.person_id).sort(), [records.camop.id, records.lead.id, records.camhead.id].sort());
  assert.equal(sheet.calls.find((c) => c.person_id === records.lead.id).character_name, 'The Lighthouse Keeper');
  assert.deepEqual(sheet.scenes.map((x) => x.number), ['12']);
  assert.ok(!('synopsis' in sheet.scenes[0]), 'no synopsis on a sheet crew read');
  assert.deepEqual(sheet.key_contacts.map((k) => k.name), ['Person upm']);
  const text = JSON.stringify(sheet);
  for (const p of Object.values(records)) {
    for (const f of [...PERSONAL, ...PRIVATE]) assert.ok(!text.includes(p[f]), `the sheet holds no ${f}`);
  }
  // a later change needs a new version; the old one stays as published
  assert.equal((await call(server, ad, 'PUT', P(prod.id, `/days/${day1.id}/calls/${records.camop.id}`), { body: { call: '06:45' } })).status, 200);
  const again = await call(server, ad, 'GET', P(prod.id, `/callsheets/${v1.json.id}`));
  assert.equal(again.json.sheet.calls.find((c) => c.person_id === records.camop.id).call, '06:30', 'version 1 is frozen');
  const v2 = await publish(day1);
  assert.equal(v2.json.version, 2);
  assert.equal(v2.json.sheet.calls.find((c) => c.person_id === records.camop.id).call, '06:45');
  assert.deepEqual((await call(server, ad, 'GET', P(prod.id, `/days/${day1.id}/callsheets`))).json.callsheets.map((c) => c.version), [2, 1]);
  // who reads it: the matrix, with `called` from real calls
  const calledDay1 = ['camop', 'lead', 'camhead'];
  for (const role of ROLES) {
    const r = readers[role];
    const allowed = documentedAllows('read', 'callsheet', role, { called: calledDay1.includes(r.key) });
    const res = await call(server, r.session, 'GET', P(prod.id, `/callsheets/${v2.json.id}`));
    assert.equal(res.status, allowed ? 200 : 403, `${role} reading the call sheet`);
  }
  assertProblem(await call(server, readers.crew.session, 'GET', P(other.id, `/callsheets/${v2.json.id}`)), 404, 'another production');
  assertProblem(await call(server, admin, 'GET', P(other.id, `/callsheets/${v2.json.id}`)), 404, 'another production, admin');
  // acknowledgements: each recipient once; the AD sees who has and has not
  assert.equal((await call(server, readers.cast.session, 'POST', P(prod.id, `/callsheets/${v2.json.id}/ack`))).status, 204);
  assert.equal((await call(server, readers.crew.session, 'POST', P(prod.id, `/callsheets/${v2.json.id}/ack`))).status, 204);
  assertProblem(await call(server, readers.ad.session, 'POST', P(prod.id, `/callsheets/${v2.json.id}/ack`)), 403, 'the AD is not called on it');
  const acks = (await call(server, ad, 'GET', P(prod.id, `/callsheets/${v2.json.id}/acks`))).json.acknowledgements;
  const byId = Object.fromEntries(acks.map((a) => [a.person_id, a.acknowledged_at]));
  assert.equal(Object.keys(byId).length, 3);
  assert.ok(byId[records.lead.id] && byId[records.camop.id]);
  assert.equal(byId[records.camhead.id], null, 'the head of camera has not acknowledged');
  const own = (await call(server, readers.cast.session, 'GET', P(prod.id, `/callsheets/${v2.json.id}/acks`))).json.acknowledgements;
  assert.deepEqual(own.map((a) => a.person_id), [records.lead.id], 'cast see only their own acknowledgement');
});

test("a call sheet gives sunrise and sunset at the day's first location, in the production's local time", async () => {
  const london = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Midsummer', timezone: 'Europe/London' } })).json;
  const L = (rest) => P(london.id, rest);
  const loc = await call(server, admin, 'POST', L('/locations'), { body: { name: 'Trafalgar Square', latitude: 51.5080, longitude: -0.1281 } });
  const day = await call(server, admin, 'POST', L('/days'), { body: { date: '2024-06-20', general_call: '05:00', wrap_estimate: '22:00', locations: [loc.json.id] } });
  assert.equal(day.status, 201, day.body);
  const sheet = (await call(server, admin, 'POST', L(`/days/${day.json.id}/callsheets`))).json.sheet;
  const minutes = (hm) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3));
  // published for London on 20 June 2024: sunrise 04:43, sunset 21:21 (BST, UTC+1)
  assert.equal(sheet.sun_at, 'Trafalgar Square');
  assert.ok(Math.abs(minutes(sheet.sunrise) - minutes('04:43')) <= 2, `sunrise ${sheet.sunrise}`);
  assert.ok(Math.abs(minutes(sheet.sunset) - minutes('21:21')) <= 2, `sunset ${sheet.sunset}`);
  // and in winter the same clock reads GMT
  const v1 = (await call(server, readers.ad.session, 'GET', P(prod.id, `/days/${day1.id}/callsheets`))).json.callsheets;
  const harbour = (await call(server, readers.ad.session, 'GET', P(prod.id, `/callsheets/${v1[0].id}`))).json.sheet;
  assert.equal(harbour.sun_at, 'Harbour Wall');
  assert.match(harbour.sunrise, /^0[67]:\d\d$/, `Portsmouth sunrise on 1 March: ${harbour.sunrise}`);
  assert.match(harbour.sunset, /^17:\d\d$/, `Portsmouth sunset on 1 March: ${harbour.sunset}`);
});

test("a confidential location's address shows below AD once a call sheet that uses it is published", async () => {
  const gripSession = sessions.grip; // crew, called on day 2 at the confidential location
  const before = await call(server, gripSession, 'GET', P(prod.id, `/locations/${locSecret.id}`));
  assert.equal(before.status, 200, before.body);
  assert.ok(!('address' in before.json), 'hidden before publishing');
  assert.equal((await call(server, readers.ad.session, 'POST', P(prod.id, `/days/${day2.id}/callsheets`))).status, 201);
  const after = await call(server, gripSession, 'GET', P(prod.id, `/locations/${locSecret.id}`));
  assert.equal(after.json.address, locSecret.address, 'shown once published');
  const cast = await call(server, readers.cast.session, 'GET', P(prod.id, `/locations/${locSecret.id}`));
  assert.equal(cast.status, 403, 'cast not called that day still do not see the location');
});

test('department calls: a department is called at one time, with individual overrides; the call sheet runs department by department', async () => {
  const depts = Object.fromEntries((await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments.map((d) => [d.name, d.id]));
  const dc = (dept, body, who = readers.ad.session, day = day2) => call(server, who, 'PUT', P(prod.id, `/days/${day.id}/department-calls/${dept}`), { body });
  const head = readers.department_head.session;
  // who may: call write for the department (the head of camera: camera only)
  assert.equal((await dc(depts.Camera, { call: '17:15' }, head)).status, 200);
  assertProblem(await dc(depts.Grip, { call: '17:15' }, head), 403, 'head of camera calling grip');
  assertProblem(await dc(depts.Camera, { call: '17:15' }, readers.crew.session), 403, 'crew');
  assertProblem(await dc('dep_nosuchdepartmentxxxxxxxxxx', { call: '17:15' }), 404, 'unknown department');
  for (const [body, what] of [[{ call: '5pm' }, 'not a time'], [{ call: '29:00' }, 'after the wrap'], [{}, 'no call']]) {
    const bad = await dc(depts.Camera, body);
    assertProblem(bad, 400, what);
    assert.equal(bad.json.errors[0].pointer, '/call', what);
  }
  // the head of camera follows the department's call; the focus puller keeps their own
  const camhead = await call(server, readers.ad.session, 'PUT', P(prod.id, `/days/${day2.id}/calls/${records.camhead.id}`), { body: {} });
  assert.equal(camhead.status, 200, camhead.body);
  assert.deepEqual([camhead.json.call, camhead.json.call_from], ['17:15', 'department']);
  const calls = (await call(server, readers.ad.session, 'GET', P(prod.id, `/days/${day2.id}/calls`))).json.calls;
  const byPerson = Object.fromEntries(calls.map((c) => [c.person_id, c]));
  assert.deepEqual([byPerson[records.focus.id].call, byPerson[records.focus.id].call_from], ['17:45', 'person']);
  const noDept = await call(server, readers.ad.session, 'PUT', P(prod.id, `/days/${day2.id}/calls/${records.grip.id}`), { body: {} });
  assertProblem(noDept, 400, 'grip has no department call');
  assert.match(noDept.json.errors[0].detail, /department has no call/);
  // a department call others follow cannot go; the day shows it
  const del = await call(server, readers.ad.session, 'DELETE', P(prod.id, `/days/${day2.id}/department-calls/${depts.Camera}`));
  assertProblem(del, 409, 'followed department call');
  assert.match(del.json.errors[0].detail, /1 call of this day follow/);
  const day = (await call(server, readers.ad.session, 'GET', P(prod.id, `/days/${day2.id}`))).json;
  assert.deepEqual(day.department_calls, [{ department_id: depts.Camera, department: 'Camera', call: '17:15' }]);
  // the sheet: department calls, then the calls department by department, each by time
  const sheet = (await call(server, readers.ad.session, 'POST', P(prod.id, `/days/${day2.id}/callsheets`))).json.sheet;
  assert.deepEqual(sheet.department_calls, [{ department_id: depts.Camera, department: 'Camera', call: '17:15' }]);
  assert.deepEqual(sheet.calls.map((c) => [c.department, c.call, c.call_from]), [
    ['Camera', '17:15', 'department'], ['Camera', '17:45', 'person'], ['Grip', '17:00', 'person']]);
  // the department's new time moves everyone who follows it, and nobody else
  assert.equal((await dc(depts.Camera, { call: '16:45' })).status, 200);
  const moved = (await call(server, readers.ad.session, 'GET', P(prod.id, `/days/${day2.id}/calls`))).json.calls;
  assert.deepEqual(moved.map((c) => c.call).sort(), ['16:45', '17:00', '17:45']);
});

test('once published, every role reads the days and their calls as docs/ROLES.md says', async () => {
  // both days are published now; day 2's camera call has moved to 16:45 since, unpublished
  const calledOn = { [day1.id]: ['camop', 'lead', 'camhead'], [day2.id]: ['camhead', 'focus', 'grip'] };
  for (const role of ROLES) {
    const r = readers[role];
    const called = (dayId) => calledOn[dayId].includes(r.key);
    const what = (x) => `${role} (${r.key ?? 'admin'}): ${x}`;
    const days = await call(server, r.session, 'GET', P(prod.id, '/days'));
    const expectDays = [day1, day2].filter((d) => documentedAllows('read', 'schedule', role, { called: called(d.id) })).map((d) => d.id);
    assert.deepEqual(days.json.days.map((d) => d.id), expectDays, what('days'));
    const scenes = (await call(server, r.session, 'GET', P(prod.id, '/scenes'))).json.scenes.map((x) => x.id);
    for (const [sc, d] of [[scene1, day1], [scene2, day2]]) {
      assert.equal(scenes.includes(sc.id), documentedAllows('read', 'schedule', role, { called: called(d.id) }), what(`scene ${sc.number}`));
    }
    for (const d of [day1, day2]) {
      const res = await call(server, r.session, 'GET', P(prod.id, `/days/${d.id}`));
      if (!expectDays.includes(d.id)) { assertProblem(res, 403, what(`day ${d.date}`)); continue; }
      const expected = calledOn[d.id].filter((k) => documentedAllows('read', 'call', role, { self: k === r.key, sameDept: r.dept !== null && records[k].department === r.dept }))
        .map((k) => records[k].id).sort();
      assert.deepEqual(res.json.calls.map((c) => c.person_id).sort(), expected, what(`calls of ${d.date}`));
    }
  }
  // the head of camera reads the camera department's calls as drafted; the grip reads the published sheet
  const headSees = (await call(server, readers.department_head.session, 'GET', P(prod.id, `/days/${day2.id}/calls`))).json.calls;
  assert.equal(headSees.find((c) => c.person_id === records.camhead.id).call, '16:45');
  const gripSession = sessions.grip;
  const gripSees = (await call(server, gripSession, 'GET', P(prod.id, `/days/${day2.id}`))).json;
  assert.deepEqual(gripSees.calls.map((c) => [c.person_id, c.call]), [[records.grip.id, '17:00']]);
  assert.deepEqual(gripSees.department_calls.map((c) => c.call), ['17:15'], 'the department call as published');
});

test('lists filter: people by the day they are called on, members by role', async () => {
  const names = async (q) => (await call(server, admin, 'GET', P(prod.id, `/people?${q}`))).json.people.map((p) => p.name);
  assert.deepEqual(await names(`day=${day2.id}`), ['Person camhead', 'Person focus', 'Person grip']);
  assert.deepEqual(await names(`day=${day2.id}&department=Camera`), ['Person camhead', 'Person focus']);
  const bad = await call(server, admin, 'GET', P(prod.id, '/people?day=day_nosuchdayxxxxxxxxxxxxxxxxxxx'));
  assertProblem(bad, 400, 'unknown day');
  assert.equal(bad.json.errors[0].pointer, '?day');
  const crew = (await call(server, admin, 'GET', P(prod.id, '/members?role=crew'))).json.members.map((m) => m.email).sort();
  assert.deepEqual(crew, ['camop@matrix.example', 'grip@matrix.example']);
  const badRole = await call(server, admin, 'GET', P(prod.id, '/members?role=boss'));
  assertProblem(badRole, 400, 'unknown role');
  assert.equal(badRole.json.errors[0].pointer, '?role');
});

// ---- exports: the data is the customer's, shaped exactly like the API ----

/** RFC 4180: rows of cells (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
  }
  assert.equal(cell, '', 'every line ends CRLF');
  return rows;
}

/** The cards of a vCard text, each as [name, params, value] content lines (unfolded). */
function parseVcards(text) {
  assert.ok(text.endsWith('\r\n'), 'lines end CRLF');
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n').filter(Boolean);
  for (const l of text.split('\r\n')) assert.ok(Buffer.byteLength(l) <= 75, `folded at 75 octets: ${l}`);
  const cards = [];
  let card;
  for (const l of lines) {
    const m = /^([A-Z-]+)((?:;[^:]*)?):(.*)$/.exec(l);
    assert.ok(m, `a content line: ${l}`);
    if (m[1] === 'BEGIN') { card = []; continue; }
    if (m[1] === 'END') { cards.push(card); continue; }
    card.push([m[1], m[2], m[3].replace(/\\n/g, '\n').replace(/\\([,;\\])/g, '$1')]);
  }
  return cards;
}

const exportOf = (session, query, id = prod.id) => call(server, session, 'GET', P(id, `/export?${query}`));

test('exports: admins and producers take the whole production, everyone else only their own data, exactly as the API shows it', async () => {
  for (const role of ROLES) {
    const r = readers[role];
    const res = await exportOf(r.session, 'format=json');
    assert.equal(res.status, 200, `${role}: ${res.body}`);
    assert.match(res.headers['content-disposition'], /^attachment; filename="slate-[^"]+\.json"$/);
    const set = res.json;
    const scope = documentedScope('read', 'export', role);
    assert.equal(set.format, 'slate-export');
    assert.equal(set.scope, scope, `${role}'s export scope`);
    assert.equal(set.production.timezone, 'Europe/London');
    const get = async (p) => (await call(server, r.session, 'GET', P(prod.id, p))).json;
    if (scope === 'all') {
      assert.deepEqual(set.people, (await get('/people')).people, `${role}: people as GET /people`);
      assert.deepEqual(set.locations, (await get('/locations')).locations, `${role}: locations`);
      // version 2: each day also carries its locations, scene order and department calls as GET /days/{did}
      assert.equal(set.version, 2);
      assert.deepEqual(set.days.map(({ locations, scene_ids, department_calls, ...d }) => d), (await get('/days')).days, `${role}: days`);
      for (const d of set.days) {
        const detail = await get(`/days/${d.id}`);
        assert.deepEqual([d.locations, d.scene_ids, d.department_calls], [detail.locations, detail.scenes.map((sc) => sc.id), detail.department_calls], `${role}: day ${d.date}`);
      }
      assert.deepEqual(set.members, (await get('/members')).members, `${role}: members as GET /members`);
      assert.deepEqual(set.invitations, (await get('/invitations')).invitations, `${role}: invitations`);
      assert.deepEqual(set.sustainability.settings, await get('/sustainability/settings'), `${role}: sustainability settings`);
      assert.deepEqual(set.attachments.filter((x) => !x.evidence).map(({ evidence, ...x }) => x), (await get('/attachments')).attachments, `${role}: attachments`);
      const top = set.audit[0]?.seq ?? 0;
      const logged = (await get('/audit?limit=500')).events.filter((ev) => ev.seq <= top);
      assert.ok(logged.length > 0, 'the production has an audit log');
      assert.deepEqual(set.audit.slice(0, logged.length), logged, `${role}: the audit log as GET /audit`);
      assert.deepEqual(set.scenes, (await get('/scenes')).scenes, `${role}: scenes`);
      assert.deepEqual(set.departments, (await get('/departments')).departments);
      const calls = [];
      for (const d of set.days) calls.push(...(await get(`/days/${d.id}/calls`)).calls);
      const byKey = (a, b) => `${a.day_id}${a.person_id}`.localeCompare(`${b.day_id}${b.person_id}`);
      assert.deepEqual(set.calls.sort(byKey), calls.sort(byKey), `${role}: calls`);
      assert.ok(set.callsheets.length >= 3 && set.callsheets.every((c) => c.sheet && c.sheet.date), 'every version with its sheet');
      continue;
    }
    // self: the exporter's own record, calls, called days and their call sheets; nothing else
    const own = records[r.key];
    assert.deepEqual(set.people, [await get(`/people/${own.id}`)], `${role}: only their own record, as GET shows it`);
    assert.ok(set.calls.every((c) => c.person_id === own.id), `${role}: only their own calls`);
    const calledDays = new Set(set.calls.map((c) => c.day_id));
    assert.deepEqual(set.days.map((d) => d.id).sort(), [...calledDays].sort(), `${role}: the days they are called on`);
    assert.ok(set.callsheets.every((c) => calledDays.has(c.day_id)), `${role}: call sheets of their days`);
    assert.deepEqual([set.locations, set.scenes, set.departments], [[], [], []], `${role}: no other table`);
    const text = res.body;
    for (const [key, p] of Object.entries(records)) {
      if (key === r.key) continue;
      for (const f of [...PERSONAL, ...PRIVATE]) assert.ok(!text.includes(JSON.stringify(p[f])), `${role}'s export holds ${key}.${f}`);
    }
  }
  assert.equal(readers.crew.key, 'camop');
  const crewSet = (await exportOf(readers.crew.session, 'format=json')).json;
  assert.deepEqual(crewSet.calls.map((c) => c.call), ['06:45'], 'the camera operator has one call');
  assert.ok(crewSet.callsheets.length >= 2, 'both versions of day 1');
  assertProblem(await exportOf(readers.crew.session, 'format=json', other.id), 404, "another production's export");
});

test('exports: bad requests name the parameter', async () => {
  for (const [q, pointer] of [['format=xml', '?format'], ['format=csv&table=secrets', '?table'],
    ['format=callsheet', '?callsheet'], ['format=callsheet&callsheet=csh_nosuchsheetxxxxxxxxxxxxxx', '?callsheet'],
    ['format=ics&person=per_nosuchpersonxxxxxxxxxxxxxx', '?person']]) {
    const res = await exportOf(admin, q);
    assert.ok(res.status === 400 || res.status === 404, `${q}: ${res.status}`);
    assertProblem(res, res.status, q);
    assert.equal(res.json.errors[0].pointer, pointer, q);
  }
  const crewAsksForCast = await exportOf(readers.crew.session, `format=ics&person=${records.lead.id}`);
  assertProblem(crewAsksForCast, 403, "crew asking for a cast member's calls");
  assert.equal(crewAsksForCast.json.errors[0].pointer, '?person');
  assertProblem(await exportOf(admin, 'format=ics&person=me'), 404, 'the admin has no person record');
  // an AD reads everyone's calls, but exports only their own
  assertProblem(await exportOf(readers.ad.session, `format=ics&person=${records.camop.id}`), 403, "an AD exporting a crew member's calls");
});

test('exports: CSV per table (RFC 4180), formula cells neutralised', async () => {
  const tricky = await call(server, admin, 'POST', P(prod.id, '/people'), {
    body: { name: 'Quote, "the" Grip', kind: 'crew', department: 'Grip', job_title: '=HYPERLINK("http://evil.example","x")',
      work_phone: '+44 20 7946 0000', home_address: 'Line one\nLine two, Town', dietary: '@SUM(1+1)', medical: '-2+3' },
  });
  assert.equal(tricky.status, 201, tricky.body);
  try {
    const res = await exportOf(admin, 'format=csv&table=people');
    assert.equal(res.status, 200, res.body);
    assert.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
    const [header, ...rows] = parseCsv(res.body);
    assert.deepEqual(header.slice(0, 4), ['id', 'name', 'kind', 'department']);
    const people = (await call(server, admin, 'GET', P(prod.id, '/people'))).json.people;
    assert.equal(rows.length, people.length, 'a row per person');
    const row = Object.fromEntries(header.map((h, i) => [h, rows.find((x) => x[0] === tricky.json.id)[i]]));
    assert.equal(row.name, 'Quote, "the" Grip');
    assert.equal(row.job_title, `'=HYPERLINK("http://evil.example","x")`);
    assert.equal(row.work_phone, "'+44 20 7946 0000");
    assert.equal(row.dietary, "'@SUM(1+1)");
    assert.equal(row.medical, "'-2+3");
    assert.equal(row.home_address, 'Line one\nLine two, Town');
    assert.equal(row.key_contact, 'false');
    for (const r of rows) for (const c of r) assert.ok(!/^[=+\-@\t\r]/.test(c), `no cell starts a formula: ${c}`);
    // a crew member's CSV has their own row only, and no column they cannot read
    const crew = parseCsv((await exportOf(readers.crew.session, 'format=csv&table=people')).body);
    assert.equal(crew.length, 2);
    assert.equal(crew[1][0], records.camop.id);
    const days = parseCsv((await exportOf(admin, 'format=csv&table=days')).body);
    assert.deepEqual(days[0], ['id', 'date', 'unit', 'number', 'total', 'general_call', 'wrap_estimate']);
    assert.deepEqual(days.slice(1).map((d) => d[4]), ['2', '2'], 'numbers stay numbers');
  } finally {
    assert.equal((await call(server, admin, 'DELETE', P(prod.id, `/people/${tricky.json.id}`))).status, 204);
  }
});

test('exports: the schedule and a person\'s calls as iCalendar in the production\'s zone', async () => {
  const res = await exportOf(admin, 'format=ics');
  assert.equal(res.status, 200, res.body);
  assert.match(res.headers['content-type'], /^text\/calendar/);
  const ics = res.body.replace(/\r\n[ \t]/g, '');
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
  assert.match(ics, /\r\nVERSION:2\.0\r\n/);
  assert.match(ics, /BEGIN:VTIMEZONE\r\nTZID:Europe\/London\r\n/);
  assert.equal(ics.match(/BEGIN:VEVENT/g).length, 2, 'one event per shoot day');
  assert.match(ics, /DTSTART;TZID=Europe\/London:20270301T070000/);
  assert.match(ics, /DTEND;TZID=Europe\/London:20270301T190000/);
  assert.match(ics, /DTEND;TZID=Europe\/London:20270303T043000/, 'a 28:30 wrap is 04:30 the next morning');
  assert.match(ics, /SUMMARY:The Matrix Walk: day 1 of 2 \(Main unit\)/);
  const mine = await exportOf(readers.crew.session, 'format=ics&person=me');
  assert.equal(mine.status, 200, mine.body);
  const cal = mine.body.replace(/\r\n[ \t]/g, '');
  assert.equal(cal.match(/BEGIN:VEVENT/g).length, 1);
  assert.match(cal, /DTSTART;TZID=Europe\/London:20270301T064500/);
  assert.match(cal, /DESCRIPTION:Call 06:45\\n/);
  const cast = (await exportOf(readers.cast.session, 'format=ics&person=me')).body.replace(/\r\n[ \t]/g, '');
  assert.match(cast, /DTSTART;TZID=Europe\/London:20270301T060000/);
  assert.match(cast, /DESCRIPTION:Call 06:00\\nHair and make-up 06:15\\nOn set 08:00\\n/);
  const schedule = await exportOf(readers.crew.session, 'format=ics');
  assert.equal(schedule.body.match(/BEGIN:VEVENT/g).length, 1, 'crew export only the days they are called on');
});

test('exports: the crew list as vCard 4.0, carrying only what the exporter may read', async () => {
  const res = await exportOf(admin, 'format=vcf');
  assert.equal(res.status, 200, res.body);
  assert.match(res.headers['content-type'], /^text\/vcard/);
  const cards = parseVcards(res.body);
  const people = (await call(server, admin, 'GET', P(prod.id, '/people'))).json.people;
  assert.equal(cards.length, people.length);
  for (const card of cards) {
    assert.deepEqual(card[0], ['VERSION', '', '4.0']);
    assert.ok(card.some(([n]) => n === 'FN'), 'every card has FN');
    assert.ok(card.some(([n]) => n === 'N'), 'every card has N');
  }
  const lead = Object.fromEntries(cards.find((c) => c.some(([n, , v]) => n === 'UID' && v === records.lead.id)).map(([n, p, v]) => [n + p, v]));
  assert.equal(lead.FN, 'Person lead');
  assert.equal(lead.ROLE, 'The Lighthouse Keeper');
  assert.equal(lead.ORG, 'The Matrix Walk;Cast');
  assert.equal(lead[`TEL;VALUE=uri;TYPE=work,voice;X-DISPLAY="${records.lead.work_phone}"`], `tel:${records.lead.work_phone.replace(/ /g, '')}`);
  assert.equal(lead['EMAIL;TYPE=home'], records.lead.personal_email);
  assert.equal(lead['ADR;TYPE=home'], `;;${records.lead.home_address};;;;`);
  assert.equal(lead.BDAY, records.lead.date_of_birth.replace(/-/g, ''));
  const own = parseVcards((await exportOf(readers.cast.session, 'format=vcf')).body);
  assert.equal(own.length, 1, 'cast export only their own card');
  assert.ok(!JSON.stringify(own).includes(records.camop.work_phone));
});

test('exports: one call sheet as JSON; every export is audited, from the API and from `slate export`', async () => {
  const versions = (await call(server, readers.ad.session, 'GET', P(prod.id, `/days/${day1.id}/callsheets`))).json.callsheets;
  const res = await exportOf(readers.cast.session, `format=callsheet&callsheet=${versions[0].id}`);
  assert.equal(res.status, 200, res.body);
  assert.deepEqual(res.json, (await call(server, readers.cast.session, 'GET', P(prod.id, `/callsheets/${versions[0].id}`))).json);
  const cli = runSlate(['export', '--data', server.data, '--production', prod.id, '--format', 'csv', '--table', 'days']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout, (await exportOf(admin, 'format=csv&table=days')).body, 'the shell writes the bytes the API sends');
  const whole = runSlate(['export', '--data', server.data, '--production', prod.id]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(JSON.parse(whole.stdout).people.length, (await call(server, admin, 'GET', P(prod.id, '/people'))).json.people.length);
  for (const [args, code, msg] of [
    [['--format', 'xml'], 2, /^slate: export: --format must be json, csv, ics, vcf, callsheet or pdf\n$/],
    [['--format', 'csv', '--table', 'secrets'], 2, /^slate: export: --table must be/],
  ]) {
    const bad = runSlate(['export', '--data', server.data, '--production', prod.id, ...args]);
    assert.equal(bad.code, code, bad.stderr);
    assert.match(bad.stderr, msg);
    assert.equal(bad.stdout, '');
  }
  // --out: a new 0600 file, never written over
  const out = path.join(server.data, '..', 'export-days.csv');
  const toFile = runSlate(['export', '--data', server.data, '--production', prod.id, '--format', 'csv', '--table', 'days', '--out', out]);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.equal(toFile.stdout, '');
  assert.equal(readFileSync(out, 'utf8'), cli.stdout);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const again = runSlate(['export', '--data', server.data, '--production', prod.id, '--out', out]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^slate: export: cannot create .*export-days\.csv: File exists\n$/);
  assert.equal(readFileSync(out, 'utf8'), cli.stdout, 'the existing file is left as it was');
  const missing = runSlate(['export', '--data', server.data, '--production', 'prd_nosuchproductionxxxxxxxxx']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^slate: export: there is no production prd_nosuchproductionxxxxxxxxx\n$/);
  const rows = slateSql(server.data, "SELECT source || ' ' || object FROM audit_event WHERE action = 'production.export'");
  assert.match(rows, new RegExp(`${prod.id}:csv:people`), 'an API export is audited with its format and table');
  assert.match(rows, new RegExp(`^cli ${prod.id}:json$`, 'm'), 'a shell export is audited too');
});

test("the audit log of a production: its admins and producers read its events, newest first; no other role does", async () => {
  for (const role of ROLES) {
    const res = await call(server, readers[role].session, 'GET', P(prod.id, '/audit?limit=500'));
    if (documentedScope('read', 'audit', role) !== 'all') { assertProblem(res, 403, `${role} reading the audit log`); continue; }
    assert.equal(res.status, 200, `${role}: ${res.body}`);
    const actions = new Set(res.json.events.map((e) => `${e.action}:${e.outcome}`));
    for (const a of ['member.add:success', 'person.create:success', 'callsheet.publish:success', 'callsheet.ack:success',
      'production.export:success', 'call.write:denied']) assert.ok(actions.has(a), `${role} sees ${a}`);
    const seqs = res.json.events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
    for (const e of res.json.events) assert.ok(!/passphrase|Wisteria|inhaler/.test(JSON.stringify(e)), `no secret in ${e.action}`);
  }
  const first = (await call(server, admin, 'GET', P(prod.id, '/audit?limit=2'))).json;
  assert.equal(first.events.length, 2);
  assert.equal(first.next_before, first.events[1].seq);
  const next = (await call(server, admin, 'GET', P(prod.id, `/audit?limit=2&before=${first.next_before}`))).json;
  assert.ok(next.events[0].seq < first.events[1].seq, 'the next page is older');
  const elsewhere = (await call(server, admin, 'GET', P(other.id, '/audit?limit=500'))).json.events;
  assert.ok(!elsewhere.some((e) => e.object === records.lead.id), "another production's log holds none of this one's events");
  assertProblem(await call(server, admin, 'GET', P(prod.id, '/audit?limit=0')), 400, 'limit 0');
  assertProblem(await call(server, readers.crew.session, 'GET', P(other.id, '/audit')), 404, "another production's log");
});

test('person writes follow the matrix for every role, field group by field group', async () => {
  const groups = [['person', 'job_title'], ['person_work_contact', 'work_phone'], ['person_personal_phone', 'personal_phone'], ['person_private', 'dietary']];
  for (const role of ROLES) {
    const r = readers[role];
    for (const key of ['camop', 'camhead', 'focus', 'lead', 'support', 'upm']) {
      const rel = { self: r.key === key, sameDept: r.dept !== null && records[key].department === r.dept };
      const now = (await call(server, admin, 'GET', P(prod.id, `/people/${records[key].id}`))).json;
      for (const [resource, field] of groups) {
        const res = await call(server, r.session, 'PATCH', P(prod.id, `/people/${records[key].id}`), { body: { [field]: now[field] } });
        const what = `${role} writing ${key}'s ${field}: ${res.status} ${res.body}`;
        if (documentedAllows('write', resource, role, rel)) assert.ok(res.status === 200 || res.status === 204, what);
        else assertProblem(res, 403, what);
      }
    }
  }
});

test('calls, key contacts, call sheet publishing and acknowledgements follow the matrix for every role', async () => {
  const latest = async () => (await call(server, admin, 'GET', P(prod.id, `/days/${day1.id}/callsheets`))).json.callsheets[0];
  const calledDay1 = ['camop', 'lead', 'camhead'];
  for (const role of ROLES) {
    const r = readers[role];
    // a call in the head of camera's department (focus) and one outside it (grip), each set to what it is
    for (const [key, dept, body] of [['focus', 'Camera', { call: '17:45' }], ['grip', 'Grip', { call: '17:00' }]]) {
      const allowed = documentedAllows('write', 'call', role, { self: r.key === key, sameDept: r.dept === dept });
      const res = await call(server, r.session, 'PUT', P(prod.id, `/days/${day2.id}/calls/${records[key].id}`), { body });
      assert.equal(res.status, allowed ? 200 : 403, `${role} setting ${key}'s call: ${res.body}`);
    }
    // key_contact on a record the role may otherwise write (its own, its department's, or anyone's)
    const target = { all: 'upm', department: 'focus', self: r.key }[documentedScope('write', 'person', role)];
    const now = (await call(server, admin, 'GET', P(prod.id, `/people/${records[target].id}`))).json.key_contact;
    const kc = await call(server, r.session, 'PATCH', P(prod.id, `/people/${records[target].id}`), { body: { key_contact: now } });
    assert.equal(kc.status === 200 || kc.status === 204, documentedScope('write', 'key_contact', role) === 'all', `${role} marking ${target} a key contact: ${kc.status} ${kc.body}`);
    // publishing day 1, and acknowledging the newest sheet (self: only a person called on it)
    const before = (await latest()).version;
    const pub = await call(server, r.session, 'POST', P(prod.id, `/days/${day1.id}/callsheets`));
    assert.equal(pub.status, documentedScope('publish', 'callsheet', role) === 'all' ? 201 : 403, `${role} publishing: ${pub.body}`);
    assert.equal((await latest()).version, pub.status === 201 ? before + 1 : before);
    if (pub.status !== 201) assert.equal((await call(server, admin, 'POST', P(prod.id, `/days/${day1.id}/callsheets`))).status, 201);
    const ack = await call(server, r.session, 'POST', P(prod.id, `/callsheets/${(await latest()).id}/ack`));
    const mayAck = documentedAllows('write', 'callsheet_ack', role, { self: calledDay1.includes(r.key) });
    assert.equal(ack.status, mayAck ? 204 : 403, `${role} acknowledging: ${ack.body}`);
  }
  // who has acknowledged a fresh sheet: everyone's acknowledgements, or only one's own
  assert.equal((await call(server, admin, 'POST', P(prod.id, `/days/${day1.id}/callsheets`))).status, 201);
  const sheet = await latest();
  for (const key of calledDay1) assert.equal((await call(server, sessions[key], 'POST', P(prod.id, `/callsheets/${sheet.id}/ack`))).status, 204);
  for (const role of ROLES) {
    const r = readers[role];
    const res = await call(server, r.session, 'GET', P(prod.id, `/callsheets/${sheet.id}/acks`));
    assert.equal(res.status, 200, `${role} reading acknowledgements: ${res.body}`);
    const seen = res.json.acknowledgements.filter((a) => a.acknowledged_at).map((a) => a.person_id).sort();
    const expected = calledDay1.filter((k) => documentedAllows('read', 'callsheet_ack', role, { self: k === r.key, sameDept: r.dept !== null && r.dept === records[k].department })).map((k) => records[k].id).sort();
    assert.deepEqual(seen, expected, `${role} sees these acknowledgements`);
  }
});

test("shredding an account erases its person records' sealed fields, and only theirs", async () => {
  const shred = runSlate(['keys', 'shred-person', '--data', server.data, '--email', 'lead@matrix.example']);
  assert.equal(shred.code, 0, shred.stderr);
  assert.match(shred.stdout, /and of 1 person record/);
  const lead = (await call(server, admin, 'GET', P(prod.id, `/people/${records.lead.id}`))).json;
  for (const f of [...WORK, ...PERSONAL, ...PRIVATE]) assert.equal(lead[f], '[erased]', `lead.${f}`);
  assert.equal(lead.name, 'Person lead', 'the directory entry stays until the record is deleted');
  const camop = (await call(server, admin, 'GET', P(prod.id, `/people/${records.camop.id}`))).json;
  assert.equal(camop.medical, records.camop.medical);
});

test('personal and confidential fields are sealed on disk; a deleted person stays deleted in an older copy', async () => {
  const db = path.join(server.data, 'slate.db');
  const files = [db, `${db}-wal`].filter(existsSync);
  const needles = [];
  for (const p of Object.values(records)) for (const f of [...WORK, ...PERSONAL, ...PRIVATE]) needles.push(p[f]);
  needles.push('3 Harbour Road', 'gate code 4711', 'Hidden Drive', 'finds the letter', 'ferryman waits');
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const n of needles) assert.equal(bytes.indexOf(Buffer.from(n)), -1, `${path.basename(f)} holds ${n}`);
  }
  const count = (q) => slateSql(server.data, q);
  assert.ok(Number(count('SELECT COUNT(*) FROM callsheet')) >= 3, 'call sheets were published');
  assert.equal(count("SELECT COUNT(*) FROM callsheet WHERE body NOT LIKE 'sf1.%'"), '0', 'call sheets are sealed');
  const audited = new Set(count("SELECT action || ':' || outcome FROM audit_event").split('\n'));
  for (const a of ['person.create:success', 'person.update:success', 'person.read_private:success', 'person.write:denied',
    'location.create:success', 'day.create:success', 'scene.create:success', 'call.set:success', 'call.write:denied',
    'department.create:success', 'department.rename:success', 'callsheet.publish:success', 'callsheet.ack:success',
    'production.export:success']) {
    assert.ok(audited.has(a), `audited ${a}`);
  }
  // copy the database, delete a person (their key is destroyed), bring the copy back
  const copy = path.join(server.data, '..', 'before-delete.db');
  slateSql(server.data, `VACUUM INTO '${copy}'`, { write: true });
  const del = await call(server, admin, 'DELETE', P(prod.id, `/people/${records.focus.id}`));
  assert.equal(del.status, 204, del.body);
  assertProblem(await call(server, admin, 'GET', P(prod.id, `/people/${records.focus.id}`)), 404, 'deleted person');
  const data = server.data;
  await server.terminate();
  firstServer = server;
  for (const f of ['slate.db-wal', 'slate.db-shm']) rmSync(path.join(data, f), { force: true });
  copyFileSync(copy, db);
  // an older copy put back is refused until the operator accepts the restore (docs/SECURITY.md)
  const accepted = runSlate(['accept-restore', '--data', data]);
  assert.equal(accepted.code, 0, accepted.stderr);
  // without the deletion log (set aside), the old copy's row is back, but its key is gone
  const log = path.join(data, 'deletions.log');
  assert.match(readFileSync(log, 'utf8'), new RegExp(` person ${records.focus.id} ${prod.id} `));
  renameSync(log, `${log}.aside`);
  server = await startServer({ dataDir: { data, cert: server.cert, cleanup: () => {} } });
  const old = await call(server, admin, 'GET', P(prod.id, `/people/${records.focus.id}`));
  assert.equal(old.status, 200, 'the old copy still has the row');
  for (const f of [...WORK, ...PERSONAL, ...PRIVATE]) assert.equal(old.json[f], '[erased]', `restored ${f}`);
  const kept = await call(server, admin, 'GET', P(prod.id, `/people/${records.camop.id}`));
  assert.equal(kept.json.home_address, records.camop.home_address, 'everyone else intact');
  // with it back, the deletion is replayed (as every start and every restore does): the row goes
  renameSync(`${log}.aside`, log);
  const purge = runSlate(['purge', '--data', data]);
  assert.equal(purge.code, 0, purge.stderr);
  assert.match(purge.stdout, new RegExp(`person ${records.focus.id} was deleted on line \\d+ of deletions.log and was here again`));
  assertProblem(await call(server, admin, 'GET', P(prod.id, `/people/${records.focus.id}`)), 404, 'deleted again');
});

