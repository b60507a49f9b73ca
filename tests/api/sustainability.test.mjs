// Sustainability (issue 7): cited emission factors, activity entries
// computed once with the factor in force, all-or-nothing CSV imports, an
// audited recalculation, reports as JSON, CSV and SVG, and who sees what,
// walked cell by cell against docs/ROLES.md with a real member of each role.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, runSlate, assertProblem, makeTempDir, slateSql } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';
import { ROLES, documentedScope } from './lib/roles.mjs';

let server;
let admin;
let prod;
let other;
const who = {}; // role → session
const dept = {}; // department name → id
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const S = (rest = '') => P(prod.id, `/sustainability${rest}`);
const sql = (q) => slateSql(server.data, q);

// Hand-computed from data/factors/uk-desnz-2024.csv
const DIESEL = 'diesel-average-biofuel-blend'; // 2.51279 kg CO2e per litre
const LONG_HAUL = 'long-haul-flight-to-from-uk-economy'; // 0.20011 with RF, 0.11812 without
const HOTEL = 'hotel-stay-uk'; // 10.4 kg CO2e per room-night

const entry = (session, body) => call(server, session, 'POST', S('/entries'), { body });
const csvImport = (session, text, dryRun) =>
  call(server, session, 'POST', S(`/import?dry_run=${dryRun}`), { body: text, headers: { 'content-type': 'text/csv' } });
const entryCount = () => Number(sql(`SELECT COUNT(*) FROM carbon_entry WHERE production_id = '${prod.id}'`));

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Ships & <Sails>', timezone: 'Europe/London' } })).json;
  other = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Elsewhere', timezone: 'UTC' } })).json;
  for (const d of (await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments) dept[d.name] = d.id;
  who.production_admin = admin;
  let n = 0;
  for (const [key, role, department] of [
    ['producer', 'producer', null],
    ['ad', 'ad', 'Direction/AD'],
    ['department_head', 'department_head', 'Transport'],
    ['griphead', 'department_head', 'Grip'],
    ['crew', 'crew', 'Transport'],
    ['cast', 'cast', 'Cast'],
  ]) {
    const email = `${key}@carbon.example`;
    const s = await newAccount(server, email, `a long passphrase for the generator ${n++}`);
    if (role === 'producer') await enrolTotp(server, s);
    const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: department ? { email, role, department } : { email, role } });
    assert.equal(m.status, 201, m.body);
    who[key] = s;
  }
  const day = await call(server, admin, 'POST', P(prod.id, '/days'), { body: { date: '2027-03-01', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00' } });
  assert.equal(day.status, 201, day.body);
  prod.day = day.json.id;
});
after(async () => { await server?.stop(); });

test('Slate ships the UK DESNZ 2024 and US EPA 2025 factor sets, every factor cited', async () => {
  const sets = await call(server, who.crew, 'GET', '/api/v1/factor-sets');
  assert.equal(sets.status, 200);
  const byId = Object.fromEntries(sets.json.factor_sets.map((s) => [s.id, s]));
  assert.equal(byId['uk-desnz-2024'].factors, 123);
  assert.equal(byId['us-epa-2025'].factors, 38);
  const uk = (await call(server, who.crew, 'GET', '/api/v1/factor-sets/uk-desnz-2024/factors')).json;
  assert.equal(uk.factors.length, 123);
  for (const f of uk.factors) {
    assert.ok(f.source.length > 10 && f.year === 2024, `${f.key} is cited`);
    assert.match(f.publisher_ref, /^DESNZ \d+_\d+_\d+_\d+_\d+$/, `${f.key} keeps its DESNZ id`);
  }
  const diesel = uk.factors.find((f) => f.key === DIESEL);
  assert.equal(diesel.kg_co2e_per_unit, 2.51279);
  assert.equal(diesel.unit, 'L');
  assert.equal(diesel.publisher_ref, 'DESNZ 1_101_1011_8_1');
  const flights = uk.factors.filter((f) => f.key === LONG_HAUL);
  assert.deepEqual(flights.map((f) => [f.radiative_forcing, f.kg_co2e_per_unit]).sort(), [[false, 0.11812], [true, 0.20011]]);
  const us = (await call(server, who.crew, 'GET', '/api/v1/factor-sets/us-epa-2025/factors')).json;
  assert.ok(us.factors.every((f) => f.year === 2025 && /US EPA/.test(f.source)));
  // the Hub numbers tables, not factors: each factor keeps the table it comes from
  for (const f of us.factors) assert.match(f.publisher_ref, /^EPA Hub Table \d+$/, `${f.key} keeps its EPA table`);
  assertProblem(await call(server, who.crew, 'GET', '/api/v1/factor-sets/no-such-set/factors'), 404);
  assertProblem(await call(server, who.crew, 'GET', '/api/v1/factor-sets/uk-desnz-2024/factors?version=2'), 400);
});

test('an entry is computed with the factor in force and keeps its id and version', async () => {
  const r = await entry(who.producer, { date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 1000, unit: 'litres', note: 'genny, week 1' });
  assert.equal(r.status, 201, r.body);
  assert.equal(r.json.kg_co2e, 2512.79); // 1,000 L × 2.51279
  assert.equal(r.json.t_co2e, 2.513);
  assert.equal(r.json.category, 'fuel');
  assert.equal(r.json.unit, 'L');
  assert.equal(r.json.factor.set, 'uk-desnz-2024');
  assert.equal(r.json.factor.version, 1);
  assert.equal(r.json.factor.publisher_ref, 'DESNZ 1_101_1011_8_1');
  assert.equal(r.json.department_id, dept.Transport);
  assert.equal(r.json.entered_by, (await call(server, who.producer, 'GET', '/api/v1/me')).json.user.id, 'who entered it');
  const stored = sql(`SELECT co2e_g, factor_id FROM carbon_entry WHERE id = '${r.json.id}'`);
  assert.equal(stored, `2512790|${r.json.factor.id}`);

  // 250 US gallons = 946.352946 L → 2,377.986 kg
  const gal = await entry(who.producer, { date: '2027-02-26', department_id: dept.Transport, factor: DIESEL, quantity: 250, unit: 'gal_us' });
  assert.equal(gal.status, 201, gal.body);
  assert.equal(gal.json.kg_co2e, 2377.986);
  // 850 L × 2.51279 = 2,135.8715 kg: the half gram rounds up
  const tie = await entry(who.producer, { date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 850, unit: 'L' });
  assert.equal(tie.status, 201, tie.body);
  assert.equal(tie.json.kg_co2e, 2135.872);
  // a shoot day gives the date
  const onDay = await entry(who.producer, { day_id: prod.day, department: 'Transport', factor: HOTEL, quantity: 12, unit: 'room-nights' });
  assert.equal(onDay.status, 201, onDay.body);
  assert.equal(onDay.json.date, '2027-03-01');
  assert.equal(onDay.json.kg_co2e, 124.8); // 12 × 10.4
  assert.equal((await call(server, who.producer, 'GET', S(`/entries/${r.json.id}`))).json.note, 'genny, week 1');
});

test('flights follow the production’s radiative-forcing choice', async () => {
  const withRf = await entry(who.producer, { date: '2027-02-20', department: 'Production', factor: LONG_HAUL, quantity: 5000, unit: 'passenger_km' });
  assert.equal(withRf.status, 201, withRf.body);
  assert.equal(withRf.json.kg_co2e, 1000.55);
  assert.equal(withRf.json.factor.radiative_forcing, true);
  const put = await call(server, who.producer, 'PATCH', S('/settings'), { body: { flights_include_rf: false } });
  assert.equal(put.status, 200, put.body);
  const without = await entry(who.producer, { date: '2027-02-20', department: 'Production', factor: LONG_HAUL, quantity: 5000, unit: 'passenger_km' });
  assert.equal(without.json.kg_co2e, 590.6);
  assert.equal(without.json.factor.radiative_forcing, false);
  // the earlier entry keeps the factor it was computed with
  assert.equal((await call(server, who.producer, 'GET', S(`/entries/${withRf.json.id}`))).json.kg_co2e, 1000.55);
  await call(server, who.producer, 'PATCH', S('/settings'), { body: { flights_include_rf: true } });
});

test('a production chooses its factor set: new entries use it, earlier ones keep theirs', async () => {
  const us = (await call(server, who.producer, 'GET', '/api/v1/factor-sets/us-epa-2025/factors')).json.factors;
  const distillate = us.find((f) => /^Distillate fuel oil No\.2/.test(f.activity)); // 10.24268 kg CO2e per US gallon
  assert.equal(distillate.kg_co2e_per_unit, 10.24268);
  const earlier = await entry(who.producer, { date: '2027-02-25', department: 'Production', factor: DIESEL, quantity: 100, unit: 'L' });
  assert.equal(earlier.json.kg_co2e, 251.279);
  assertProblem(await call(server, who.producer, 'PATCH', S('/settings'), { body: { factor_set: 'no-such-set' } }), 400);
  assertProblem(await call(server, who.producer, 'PATCH', S('/settings'), { body: { factor_set: 'custom' } }), 400);
  const put = await call(server, who.producer, 'PATCH', S('/settings'), { body: { factor_set: 'us-epa-2025' } });
  assert.equal(put.status, 200, put.body);
  assert.deepEqual([put.json.factor_set, put.json.factor_set_version], ['us-epa-2025', 1]);
  try {
    // 100 US gallons, and the same in litres: 100 × 10.24268 = 1,024.268 kg
    for (const [quantity, unit, code] of [[100, 'US gallon', 'gal_us'], [378.5411784, 'litres', 'L']]) {
      const r = await entry(who.producer, { date: '2027-02-25', department: 'Production', factor: distillate.key, quantity, unit });
      assert.equal(r.status, 201, r.body);
      assert.equal(r.json.kg_co2e, 1024.268, unit);
      assert.deepEqual([r.json.factor.set, r.json.factor.version, r.json.factor.id, r.json.unit], ['us-epa-2025', 1, distillate.id, code]);
    }
    const uk = await entry(who.producer, { date: '2027-02-25', department: 'Production', factor: DIESEL, quantity: 1, unit: 'L' });
    assertProblem(uk, 400);
    assert.match(uk.json.errors[0].detail, /no factor 'diesel-average-biofuel-blend' in us-epa-2025/);
    const again = (await call(server, who.producer, 'GET', S(`/entries/${earlier.json.id}`))).json;
    assert.deepEqual([again.kg_co2e, again.factor.set], [251.279, 'uk-desnz-2024']);
  } finally {
    assert.equal((await call(server, who.producer, 'PATCH', S('/settings'), { body: { factor_set: 'uk-desnz-2024' } })).status, 200);
  }
});

test('bad entries are refused with the field named, and nothing is stored', async () => {
  const before = entryCount();
  const cases = [
    [{ date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 10, unit: 'kg' }, '/unit', /kg cannot be converted to litres/],
    [{ date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: -5, unit: 'L' }, '/quantity', /above 0/],
    [{ date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 0, unit: 'L' }, '/quantity', /above 0/],
    [{ date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 1e12, unit: 'L' }, '/quantity', /1000000000/],
    [{ date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 500000, unit: 'L' }, '/quantity', /1,000 t/],
    [{ date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 1, unit: 'furlongs' }, '/unit', /not one Slate knows/],
    [{ date: '2027-02-26', department: 'Transport', factor: 'moon-rocket', quantity: 1, unit: 'L' }, '/factor', /no factor 'moon-rocket' in uk-desnz-2024/],
    [{ date: '2027-02-30', department: 'Transport', factor: DIESEL, quantity: 1, unit: 'L' }, '/date', /YYYY-MM-DD/],
    [{ date: '2027-02-26', department: 'Stunt Submarines', factor: DIESEL, quantity: 1, unit: 'L' }, '/department', /no such department/],
    [{ date: '2027-02-26', department_id: dept.Transport, day_id: 'day_nosuchdayxxxxxxxxxxxxxxxxxx', factor: DIESEL, quantity: 1, unit: 'L' }, '/day_id', /no such shoot day/],
    [{ date: '2027-01-01', day_id: prod.day, department: 'Transport', factor: DIESEL, quantity: 1, unit: 'L' }, '/date', /2027-03-01/],
  ];
  for (const [body, pointer, detail] of cases) {
    const r = await entry(who.producer, body);
    assertProblem(r, 400, JSON.stringify(body));
    assert.equal(r.json.errors[0].pointer, pointer, r.body);
    assert.match(r.json.errors[0].detail, detail);
  }
  const extra = await entry(who.producer, { date: '2027-02-26', department: 'Transport', factor: DIESEL, quantity: 1, unit: 'L', co2e_g: 0 });
  assertProblem(extra, 400);
  assert.equal(entryCount(), before);
});

test('the sustainability rows of docs/ROLES.md hold for a real member of every role', async () => {
  const mine = {}; // role → entry id it made, if its scope let it
  const totalsShared = async (on) => {
    const r = await call(server, admin, 'PATCH', S('/settings'), { body: { share_totals: on } });
    assert.equal(r.status, 200, r.body);
  };
  const transport = (await entry(admin, { date: '2027-02-27', department: 'Transport', factor: DIESEL, quantity: 10, unit: 'L' })).json.id;
  const grip = (await entry(admin, { date: '2027-02-27', department: 'Grip', factor: DIESEL, quantity: 20, unit: 'L' })).json.id;
  const receipt = Buffer.from('%PDF-1.4 fuel receipt\n');
  const pdf = { headers: { 'content-type': 'application/pdf' } };
  assert.equal((await call(server, admin, 'PUT', S(`/entries/${transport}/evidence?name=r.pdf`), { ...pdf, body: receipt })).status, 201);
  assert.equal((await call(server, admin, 'PATCH', S('/settings'), { body: { budget_kg: 50000 } })).status, 200);
  for (const role of ROLES) {
    const s = who[role];
    const own = role === 'department_head' || role === 'crew' ? 'Transport' : 'Production';
    // write: an entry in their own department and one in another
    const wScope = documentedScope('write', 'sustainability', role);
    const w1 = await entry(s, { date: '2027-02-27', department: own, factor: DIESEL, quantity: 1, unit: 'L' });
    const w2 = await entry(s, { date: '2027-02-27', department: 'Grip', factor: DIESEL, quantity: 1, unit: 'L' });
    assert.equal(w1.status, wScope === 'none' ? 403 : 201, `${role} writes in their department: ${w1.body}`);
    assert.equal(w2.status, wScope === 'all' ? 201 : 403, `${role} writes in Grip: ${w2.body}`);
    if (w1.status === 201) mine[role] = w1.json.id;
    // evidence on a Transport entry, a dry-run import of one row of their own
    // department, removing a Grip entry, and a dry-run recalculation
    const ev = await call(server, s, 'PUT', S(`/entries/${transport}/evidence?name=r.pdf`), { ...pdf, body: receipt });
    assert.equal(ev.status, wScope === 'none' ? 403 : 201, `${role} attaches evidence: ${ev.body}`);
    const imp = await csvImport(s, `date,department,factor,quantity,unit\n2027-02-27,${own},${DIESEL},1,L\n`, true);
    assert.equal(imp.status, wScope === 'none' ? 403 : 200, `${role} imports: ${imp.body}`);
    const doomed = (await entry(admin, { date: '2027-02-27', department: 'Grip', factor: DIESEL, quantity: 2, unit: 'L' })).json.id;
    const del = await call(server, s, 'DELETE', S(`/entries/${doomed}`));
    assert.equal(del.status, { all: 204, department: 404, none: 403 }[wScope], `${role} removes a Grip entry: ${del.body}`);
    if (del.status !== 204) await call(server, admin, 'DELETE', S(`/entries/${doomed}`));
    const rc = await call(server, s, 'POST', S('/recalculate'), { body: { factor_set: 'uk-desnz-2024' } });
    assert.equal(rc.status, wScope === 'all' ? 200 : 403, `${role} recalculates: ${rc.body}`);
    // read entries: the list, one of their department, one of another
    const rScope = documentedScope('read', 'sustainability', role);
    const list = await call(server, s, 'GET', S('/entries?limit=1000'));
    const t = await call(server, s, 'GET', S(`/entries/${transport}`));
    const g = await call(server, s, 'GET', S(`/entries/${grip}`));
    if (rScope === 'none') {
      for (const r of [list, t, g]) assertProblem(r, 403, `${role} reads entries`);
    } else {
      assert.equal(list.status, 200, list.body);
      const depts = new Set(list.json.entries.map((e) => e.department_id));
      if (rScope === 'department') {
        assert.deepEqual([...depts], [dept.Transport], `${role} sees only Transport`);
        assert.equal(t.status, 200);
        assert.equal((await call(server, s, 'GET', S(`/entries/${transport}/evidence`))).status, 200);
        assertProblem(g, 404, `${role} reads another department's entry`);
        assertProblem(await call(server, s, 'GET', S(`/entries?department=${dept.Grip}`)), 403);
        assertProblem(await call(server, s, 'GET', S(`/entries/${grip}/evidence`)), 404);
      } else {
        assert.ok(depts.has(dept.Transport) && depts.has(dept.Grip), `${role} sees every department`);
        assert.equal(t.status, 200);
        assert.equal(g.status, 200);
        assert.equal((await call(server, s, 'GET', S(`/entries/${transport}/evidence`))).status, 200);
      }
    }
    if (rScope === 'none') assertProblem(await call(server, s, 'GET', S(`/entries/${transport}/evidence`)), 403, `${role} reads evidence`);
    // totals: the report, with and without sharing
    for (const shared of [false, true]) {
      await totalsShared(shared);
      let scope = documentedScope('read', 'sustainability_totals', role);
      if ((role === 'crew' || role === 'cast') && !shared) scope = 'none';
      const rep = await call(server, s, 'GET', S('/report'));
      if (scope === 'none') {
        assertProblem(rep, 403, `${role} reads the report (shared: ${shared})`);
        assertProblem(await call(server, s, 'GET', S('/settings')), 403);
      } else {
        assert.equal(rep.status, 200, `${role} reads the report (shared: ${shared}): ${rep.body}`);
        assert.equal(rep.json.scope, scope === 'department' ? 'department' : 'production');
        if (scope === 'department') assert.deepEqual(rep.json.by_department.map((d) => d.department), ['Transport']);
        else assert.ok(rep.json.by_department.some((d) => d.department === 'Grip'));
        // the budget is the production's: its use would tell a department head the others' total
        assert.equal(rep.json.budget === null, scope === 'department', `${role} sees the budget: ${JSON.stringify(rep.json.budget)}`);
        assert.ok(!('entries' in rep.json), 'a report carries totals, never entries');
      }
    }
    await totalsShared(false);
    // production settings and own factors: the whole of sustainability write
    const pw = documentedScope('write', 'sustainability', role) === 'all';
    const sp = await call(server, s, 'PATCH', S('/settings'), { body: { share_totals: false } });
    assert.equal(sp.status, pw ? 200 : 403, `${role} changes the settings`);
    const cf = await call(server, s, 'POST', S('/factors'), { body: { category: 'fuel', activity: `HVO from our own supplier ${role}`, unit: 'litres', kg_co2e_per_unit: 0.03558, source: 'supplier certificate 2026-114' } });
    assert.equal(cf.status, pw ? 201 : 403, `${role} adds a factor: ${cf.body}`);
  }
  await call(server, admin, 'PATCH', S('/settings'), { body: { budget_kg: 0 } });
  // a department head deletes their own department's entry, never another's
  assertProblem(await call(server, who.department_head, 'DELETE', S(`/entries/${grip}`)), 404);
  assert.equal((await call(server, who.department_head, 'DELETE', S(`/entries/${mine.department_head}`))).status, 204);
  assertProblem(await call(server, admin, 'GET', S(`/entries/${mine.department_head}`)), 404);
  // another production's entry ids answer 404, never data
  assertProblem(await call(server, admin, 'GET', P(other.id, `/sustainability/entries/${transport}`)), 404);
  assertProblem(await call(server, admin, 'DELETE', P(other.id, `/sustainability/entries/${transport}`)), 404);
});

test('a production’s own factor is cited like a published one and used by its key', async () => {
  const f = await call(server, who.producer, 'POST', S('/factors'), { body: { category: 'fuel', activity: 'Site generator HVO blend', unit: 'litres', kg_co2e_per_unit: 0.5, source: 'Supplier declaration SD-7', year: 2026 } });
  assert.equal(f.status, 201, f.body);
  assert.equal(f.json.key, 'custom-site-generator-hvo-blend');
  assert.equal(f.json.custom, true);
  const dup = await call(server, who.producer, 'POST', S('/factors'), { body: { category: 'fuel', activity: 'Site generator HVO blend', unit: 'litres', kg_co2e_per_unit: 0.7, source: 'again' } });
  assertProblem(dup, 409);
  assertProblem(await call(server, who.producer, 'POST', S('/factors'), { body: { category: 'fuel', activity: 'x', unit: 'litres', kg_co2e_per_unit: 1, source: '' } }), 400);
  const e = await entry(who.department_head, { date: '2027-03-02', department: 'Transport', factor: f.json.key, quantity: 100, unit: 'L' });
  assert.equal(e.status, 201, e.body);
  assert.equal(e.json.kg_co2e, 50);
  const list = (await call(server, who.department_head, 'GET', S('/factors'))).json;
  assert.ok(list.own.some((x) => x.key === f.json.key));
  assert.ok(list.factors.every((x) => x.radiative_forcing !== false), 'only the RF variant the production counts');
});

test('a CSV import with one bad row imports nothing and names the row; fixed, it imports everything', async () => {
  const header = 'date,department,factor,quantity,unit,note';
  const good = [
    `2027-03-03,Transport,${DIESEL},200,litres,"fuel log, truck 1"`,
    `2027-03-03,Transport,${DIESEL},50,US gallon,truck 2`,
    `2027-03-04,Transport,${HOTEL},4,room_night,crew hotel`,
  ];
  const bad = [...good.slice(0, 2), `2027-03-04,Transport,${DIESEL},-5,litres,typo`, good[2], `2027-03-05,Transport,${DIESEL},7,kg,wrong unit`];
  const before = entryCount();
  for (const dry of [true, false]) {
    const r = await csvImport(who.department_head, [header, ...bad].join('\r\n'), dry);
    assertProblem(r, 422, `dry run ${dry}`);
    assert.deepEqual(r.json.errors.map((x) => [x.line, x.pointer]), [[4, '/quantity'], [6, '/unit']]);
    assert.equal(entryCount(), before);
  }
  // another department's row, in the file of a department head: refused by line
  const foreign = await csvImport(who.department_head, [header, good[0], `2027-03-03,Grip,${DIESEL},1,L,`].join('\n'), false);
  assertProblem(foreign, 422);
  assert.deepEqual(foreign.json.errors.map((x) => x.line), [3]);
  const dry = await csvImport(who.department_head, [header, ...good].join('\n'), true);
  assert.equal(dry.status, 200, dry.body);
  // 200 × 2.51279 + 50 × 3.785411784 × 2.51279 + 4 × 10.4 = 502.558 + 475.597 + 41.6
  assert.deepEqual([dry.json.rows, dry.json.imported, dry.json.kg_co2e], [3, 0, 1019.755]);
  assert.equal(entryCount(), before);
  const real = await csvImport(who.department_head, [header, ...good].join('\n'), false);
  assert.equal(real.status, 201, real.body);
  assert.equal(real.json.imported, 3);
  assert.equal(entryCount(), before + 3);
  const mine = (await call(server, who.department_head, 'GET', S('/entries?limit=1000'))).json.entries.filter((x) => x.date >= '2027-03-03' && x.date <= '2027-03-04');
  assert.deepEqual(mine.map((x) => [x.date, x.factor.key, x.unit, x.kg_co2e, x.note]).sort(), [
    ['2027-03-03', DIESEL, 'L', 502.558, 'fuel log, truck 1'],
    ['2027-03-03', DIESEL, 'gal_us', 475.597, 'truck 2'],
    ['2027-03-04', HOTEL, 'room_night', 41.6, 'crew hotel'],
  ]);
  assert.equal(sql(`SELECT COUNT(*) FROM audit_event WHERE action = 'sustainability.import'`), '1');
  // a header that is not ours, and the wrong media type
  const h = await csvImport(who.department_head, 'when,what\n1,2\n', false);
  assertProblem(h, 400);
  assert.equal(h.json.errors[0].line, 1);
  assertProblem(await call(server, who.department_head, 'POST', S('/import'), { body: 'x', headers: { 'content-type': 'application/json' } }), 415);
  assertProblem(await csvImport(who.crew, [header, ...good].join('\n'), true), 403);
});

test('the report sums every entry exactly, cites its sources and draws its charts', async () => {
  await call(server, who.producer, 'PATCH', S('/settings'), { body: { budget_kg: 20000 } });
  const rep = (await call(server, who.producer, 'GET', S('/report'))).json;
  const all = (await call(server, who.producer, 'GET', S('/entries?limit=1000'))).json;
  const grams = all.entries.reduce((g, e) => g + Math.round(e.kg_co2e * 1000), 0);
  assert.equal(all.total, all.entries.length);
  assert.equal(Math.round(rep.total.kg * 1000), grams);
  assert.equal(rep.total.entries, all.total);
  for (const part of ['by_category', 'by_department', 'by_week']) {
    assert.equal(rep[part].reduce((g, x) => g + Math.round(x.kg * 1000), 0), grams, `${part} adds up`);
  }
  const onDays = rep.by_day.reduce((g, x) => g + Math.round(x.kg * 1000), 0);
  assert.equal(onDays + Math.round(rep.off_shoot_days.kg * 1000), grams);
  assert.equal(rep.shoot_days, 1);
  assert.deepEqual(rep.by_day.map((d) => [d.date, d.day_ids]), [['2027-03-01', [prod.day]]]);
  assert.equal(rep.per_shoot_day.kg, rep.total.kg);
  assert.deepEqual(rep.by_category.map((c) => c.category), ['fuel', 'electricity', 'travel_air', 'travel_land', 'travel_sea', 'accommodation', 'waste', 'materials', 'water', 'other']);
  assert.equal(rep.cumulative.at(-1).kg, rep.total.kg);
  assert.ok(rep.by_week.some((w) => w.week === '2027-W09'));
  assert.equal(rep.budget.kg, 20000);
  assert.equal(rep.budget.used_kg, rep.total.kg);
  assert.equal(Math.round(rep.budget.remaining_kg * 1000), 20000000 - grams);
  const cited = rep.sources.flatMap((s) => s.factors.map((f) => [s.set, f.key, f.source]));
  assert.ok(cited.some(([set, key, src]) => set === 'uk-desnz-2024' && key === DIESEL && /DESNZ/.test(src)));
  assert.ok(cited.some(([set, , src]) => set === 'custom' && src === 'Supplier declaration SD-7'));

  const csv = await call(server, who.producer, 'GET', S('/report?format=csv'));
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /^text\/csv/);
  const lines = csv.body.split('\r\n');
  assert.equal(lines[0], 'section,key,label,kg_co2e,t_co2e,entries');
  assert.ok(lines.includes(`total,total,Ships & <Sails>,${rep.total.kg.toFixed(3)},${rep.total.t.toFixed(3)},${rep.total.entries}`));
  assert.ok(lines.some((l) => l.startsWith(`source,${DIESEL},`) && l.includes('DESNZ 1_101_1011_8_1')));

  for (const chart of ['category', 'cumulative']) {
    const svg = await call(server, who.producer, 'GET', S(`/report?format=svg&chart=${chart}`));
    assert.equal(svg.status, 200);
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.match(svg.headers['content-security-policy'], /default-src 'none'/);
    assert.match(svg.body, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.body.includes('Ships &amp; &lt;Sails&gt;'), 'the title is escaped');
    assert.ok(!/<script|<foreignObject|href=/i.test(svg.body));
    // the sources at its foot, as at the foot of every report: its lines (tspans) joined again
    const last = svg.body.match(/<text[^>]*>((?:<tspan[^>]*>[^<]*<\/tspan>)+)<\/text>\n<\/svg>\n$/)?.[1];
    const foot = last && [...last.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1]).join(' ');
    assert.ok(foot?.includes('Emission factors: ') && foot.includes('uk-desnz-2024 version 1') && foot.includes('the production&#39;s own'), foot);
  }
  assert.match((await call(server, who.producer, 'GET', S('/report?format=svg&chart=category'))).body, /<rect[^>]*><title>Fuel: /);
  assertProblem(await call(server, who.producer, 'GET', S('/report?format=pdf')), 400);
  assertProblem(await call(server, who.producer, 'GET', S('/report?format=svg&chart=pie')), 400);
  assertProblem(await call(server, who.producer, 'GET', S(`/entries?department=${'x'.repeat(100)}`)), 400);
  // a budget too small to be a gram is no budget
  await call(server, who.producer, 'PATCH', S('/settings'), { body: { budget_kg: 0.0001 } });
  assert.equal((await call(server, who.producer, 'GET', S('/settings'))).json.budget_kg, null);
  await call(server, who.producer, 'PATCH', S('/settings'), { body: { budget_kg: 20000 } });
});

test('recalculating against a newer factor set shows before and after, then applies and is audited', async () => {
  const tmp = makeTempDir();
  after(tmp.cleanup);
  const file = path.join(tmp.dir, 'uk-desnz-2025.csv');
  writeFileSync(file, 'category,activity,unit,kg_co2e_per_unit,source,year,notes\n' +
    'fuel,Diesel (average biofuel blend),litres,2.40000,UK DESNZ 2025 (test copy),2025,DESNZ ID 1_101_1011_8_2\n' +
    'accommodation,Hotel stay - UK,Room per night,10.4,UK DESNZ 2025 (test copy),2025,\n');
  const imp = runSlate(['factors', 'import', file, '--data', server.data, '--set', 'uk-desnz-2025']);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /uk-desnz-2025 version 1 imported/);
  const again = runSlate(['factors', 'import', file, '--data', server.data, '--set', 'uk-desnz-2025']);
  assert.match(again.stdout, /already holds these factors/);

  const before = (await call(server, who.producer, 'GET', S('/report'))).json.total.kg;
  const dry = await call(server, who.producer, 'POST', S('/recalculate'), { body: { factor_set: 'uk-desnz-2025' } });
  assert.equal(dry.status, 200, dry.body);
  assert.equal(dry.json.applied, false);
  assert.equal(dry.json.before_kg, before);
  const diesel = dry.json.changes.find((c) => c.factor_before.key === DIESEL);
  assert.equal(diesel.factor_after.set, 'uk-desnz-2025');
  assert.equal(diesel.factor_after.kg_co2e_per_unit, 2.4);
  assert.ok(dry.json.unmatched.some((u) => u.factor === LONG_HAUL), 'flights have no factor in the new set and stay');
  assert.ok(dry.json.after_kg < before);
  assert.equal((await call(server, who.producer, 'GET', S('/report'))).json.total.kg, before, 'a dry run changes nothing');
  assert.equal((await call(server, who.producer, 'GET', S('/settings'))).json.factor_set, 'uk-desnz-2024');

  assertProblem(await call(server, who.department_head, 'POST', S('/recalculate'), { body: { factor_set: 'uk-desnz-2025', apply: true } }), 403);
  assertProblem(await call(server, who.producer, 'POST', S('/recalculate'), { body: { factor_set: 'nope' } }), 400);
  const applied = await call(server, who.producer, 'POST', S('/recalculate'), { body: { factor_set: 'uk-desnz-2025', apply: true } });
  assert.equal(applied.status, 200, applied.body);
  assert.equal(applied.json.after_kg, dry.json.after_kg);
  const rep = (await call(server, who.producer, 'GET', S('/report'))).json;
  assert.equal(rep.total.kg, dry.json.after_kg);
  assert.equal(rep.factor_set, 'uk-desnz-2025');
  const e = (await call(server, who.producer, 'GET', S(`/entries/${diesel.id}`))).json;
  assert.equal(e.factor.set, 'uk-desnz-2025');
  assert.equal(e.kg_co2e, diesel.after_kg);
  const audit = sql(`SELECT object FROM audit_event WHERE action = 'sustainability.recalculate'`);
  assert.match(audit, new RegExp(`^${prod.id}:uk-desnz-2024@1->uk-desnz-2025@1:\\d+ g->\\d+ g$`));

  // other rows under the same set id are its next version; the first stays for its entries
  writeFileSync(file, 'category,activity,unit,kg_co2e_per_unit,source,year,notes\n' +
    'fuel,Diesel (average biofuel blend),litres,2.45000,UK DESNZ 2025 (test copy; corrected),2025,DESNZ ID 1_101_1011_8_2\n');
  const v2 = runSlate(['factors', 'import', file, '--data', server.data, '--set', 'uk-desnz-2025']);
  assert.equal(v2.code, 0, v2.stderr);
  assert.match(v2.stdout, /uk-desnz-2025 version 2 imported/);
  const sets = (await call(server, who.crew, 'GET', '/api/v1/factor-sets')).json.factor_sets.filter((x) => x.id === 'uk-desnz-2025');
  assert.deepEqual(sets.map((x) => [x.version, x.factors]).sort(), [[1, 2], [2, 1]]);
  const v1list = (await call(server, who.crew, 'GET', '/api/v1/factor-sets/uk-desnz-2025/factors?version=1')).json;
  assert.equal(v1list.factors.find((f) => f.key === DIESEL).kg_co2e_per_unit, 2.4);
  const fresh = await entry(who.producer, { date: '2027-03-07', department: 'Transport', factor: DIESEL, quantity: 100, unit: 'L' });
  assert.equal(fresh.status, 201, fresh.body);
  assert.deepEqual([fresh.json.factor.version, fresh.json.kg_co2e], [2, 245]);
  const kept = (await call(server, who.producer, 'GET', S(`/entries/${diesel.id}`))).json;
  assert.deepEqual([kept.factor.set, kept.factor.version, kept.kg_co2e], ['uk-desnz-2025', 1, diesel.after_kg]);
});

test('evidence is stored encrypted, readable by the entry’s readers only', async () => {
  const e = await entry(who.department_head, { date: '2027-03-06', department: 'Transport', factor: DIESEL, quantity: 30, unit: 'L' });
  const pdf = Buffer.from('%PDF-1.4 fuel receipt: 30 litres, pump 4, Calder services\n');
  const up = await call(server, who.department_head, 'PUT', S(`/entries/${e.json.id}/evidence?name=receipt.pdf`), { body: pdf, headers: { 'content-type': 'application/pdf' } });
  assert.equal(up.status, 201, up.body);
  assert.equal((await call(server, admin, 'GET', S(`/entries/${e.json.id}`))).json.evidence_id, up.json.id);
  const got = await call(server, who.producer, 'GET', S(`/entries/${e.json.id}/evidence`));
  assert.equal(got.status, 200);
  assert.equal(Buffer.from(got.raw ?? got.body).toString(), pdf.toString());
  assertProblem(await call(server, who.crew, 'GET', S(`/entries/${e.json.id}/evidence`)), 403);
  assertProblem(await call(server, who.griphead, 'GET', S(`/entries/${e.json.id}/evidence`)), 404);
  assertProblem(await call(server, who.griphead, 'PUT', S(`/entries/${e.json.id}/evidence?name=x.pdf`), { body: pdf, headers: { 'content-type': 'application/pdf' } }), 404);
  // evidence is not a production file: the file list and download do not reach it
  const files = await call(server, who.ad, 'GET', P(prod.id, '/attachments'));
  assert.equal(files.status, 200);
  assert.ok(!files.json.attachments.some((a) => a.id === up.json.id));
  assertProblem(await call(server, who.ad, 'GET', P(prod.id, `/attachments/${up.json.id}`)), 404);
  assertProblem(await call(server, admin, 'GET', P(prod.id, `/attachments/${up.json.id}`)), 404);
  const plain = spawnSync('grep', ['-rl', 'Calder services', path.join(server.data)], { encoding: 'utf8' });
  assert.equal(plain.stdout, '', 'the receipt is nowhere in the clear');
});

test('slate factors refuses a bad file with one line naming the row, and lists the sets', () => {
  const tmp = makeTempDir();
  after(tmp.cleanup);
  const file = path.join(tmp.dir, 'bad.csv');
  writeFileSync(file, 'category,activity,unit,kg_co2e_per_unit,source,year\nfuel,Diesel,litres,2.5,S,2025\nfuel,Petrol,furlongs,2.1,S,2025\n');
  const r = runSlate(['factors', 'import', file, '--data', server.data, '--set', 'bad-set']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /line 3: unit 'furlongs'/);
  const usage = runSlate(['factors', 'import', file, '--data', server.data, '--set', 'Bad Set']);
  assert.equal(usage.code, 2);
  const list = runSlate(['factors', 'list', '--data', server.data]);
  assert.equal(list.code, 0, list.stderr);
  const ids = list.stdout.trim().split('\n').map((l) => JSON.parse(l).id);
  assert.ok(ids.includes('uk-desnz-2024') && !ids.includes('bad-set'));
});

test('the demo production shows its footprint so far, cited, to everyone (it shares its totals)', async () => {
  const demo = (await call(server, admin, 'GET', '/api/v1/productions')).json.productions.find((p) => p.name === 'Northern Lights (demo)');
  assert.ok(demo, 'slate init made the demo production');
  const rep = await call(server, admin, 'GET', P(demo.id, '/sustainability/report'));
  assert.equal(rep.status, 200, rep.body);
  assert.ok(rep.json.total.entries > 100, `${rep.json.total.entries} entries`);
  assert.equal(rep.json.shoot_days, 25);
  assert.equal(rep.json.off_shoot_days.entries, 0, 'every demo entry is on a shoot day');
  const fuel = rep.json.by_category.find((c) => c.category === 'fuel');
  assert.ok(fuel.kg > 1000 && fuel.kg < rep.json.total.kg);
  assert.ok(rep.json.budget.kg === 150000 && rep.json.budget.used_kg === rep.json.total.kg);
  assert.ok(rep.json.sources.every((s) => s.set === 'uk-desnz-2024' && s.factors.every((f) => /DESNZ/.test(f.source))));
  const entries = (await call(server, admin, 'GET', P(demo.id, '/sustainability/entries?limit=1000'))).json;
  assert.equal(entries.total, rep.json.total.entries);
  assert.equal(entries.entries.reduce((g, e) => g + Math.round(e.kg_co2e * 1000), 0), Math.round(rep.json.total.kg * 1000));
});
