// Small contract mismatches a first week on a real production found
// (issue 16): every time of /api/v1 is RFC 3339; who acknowledged a call
// sheet is named, and a department head sees their department's; the audit
// log names its actors and objects as they are now, and an erased person
// stays erased; sustainability settings take PATCH (merge) and PUT (replace);
// the emission factor set follows the production's country and every report
// says which set it used.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const people = {}; // key → person JSON
const sessions = {}; // key → session

// a time answered now: RFC 3339 UTC, and within a minute of this machine's clock
function assertNow(v, what) {
  assert.equal(typeof v, 'string', `${what} is a string, not ${JSON.stringify(v)}`);
  assert.match(v, RFC3339, what);
  assert.ok(Math.abs(Date.parse(v) - Date.now()) < 60_000, `${what} ${v} is about now`);
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Contract Show', timezone: 'Europe/London' } })).json;
  // a head of camera and a camera operator with accounts; a grip without one
  for (const [key, role, dept] of [['camhead', 'department_head', 'Camera'], ['camop', 'crew', 'Camera']]) {
    const email = `${key}@contract.example`;
    sessions[key] = await newAccount(server, email, `a long passphrase for the night shoot ${key.length}x`);
    const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: { email, role, department: dept } });
    assert.equal(m.status, 201, m.body);
    const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: `Person ${key}`, kind: 'crew', department: dept, account_email: email } });
    assert.equal(p.status, 201, p.body);
    people[key] = p.json;
  }
  const grip = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: 'Person grip', kind: 'crew', department: 'Grip' } });
  assert.equal(grip.status, 201, grip.body);
  people.grip = grip.json;
});
after(async () => { await server?.stop(); });

test('sessions, API tokens and invitations answer their times in RFC 3339, as call sheets do', async () => {
  const mine = await call(server, admin, 'GET', '/api/v1/me/sessions');
  assert.equal(mine.status, 200, mine.body);
  const current = mine.json.sessions.find((x) => x.current);
  assertNow(current.created_at, "my session's created_at");
  assertNow(current.last_seen_at, "my session's last_seen_at");
  assert.match(current.expires_at, RFC3339, "my session's expires_at");
  assert.ok(Date.parse(current.expires_at) > Date.now(), 'it expires in the future');
  const me = (await call(server, admin, 'GET', '/api/v1/me')).json.user;
  const theirs = await call(server, admin, 'GET', `/api/v1/admin/users/${me.id}/sessions`);
  assert.equal(theirs.status, 200, theirs.body);
  assertNow(theirs.json.sessions[0].created_at, 'an admin view of a session: created_at');
  const tok = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'times', production_id: prod.id, access: 'read' } });
  assert.equal(tok.status, 201, tok.body);
  assertNow(tok.json.created_at, 'token created_at');
  assert.match(tok.json.expires_at, RFC3339, 'token expires_at');
  assert.equal(Date.parse(tok.json.expires_at) - Date.parse(tok.json.created_at), 90 * 86400e3);
  const inv = await call(server, admin, 'POST', P(prod.id, '/invitations'), { body: { email: 'times@contract.example', role: 'crew', department: 'Grip' } });
  assert.equal(inv.status, 201, inv.body);
  assertNow(inv.json.created_at, 'invitation created_at');
  assert.equal(Date.parse(inv.json.expires_at) - Date.parse(inv.json.created_at), 7 * 86400e3);
  const listed = (await call(server, admin, 'GET', P(prod.id, '/invitations'))).json.invitations.find((x) => x.id === inv.json.id);
  assert.equal(listed.created_at, inv.json.created_at);
});

test("the acknowledgement list names each recipient, and a department head sees their own department's", async () => {
  const day = await call(server, admin, 'POST', P(prod.id, '/days'), { body: { date: '2027-05-03', general_call: '07:00', wrap_estimate: '19:00' } });
  assert.equal(day.status, 201, day.body);
  for (const key of ['camhead', 'camop', 'grip']) {
    const c = await call(server, admin, 'PUT', P(prod.id, `/days/${day.json.id}/calls/${people[key].id}`), { body: { call: '06:30' } });
    assert.equal(c.status, 200, c.body);
  }
  const cs = await call(server, admin, 'POST', P(prod.id, `/days/${day.json.id}/callsheets`));
  assert.equal(cs.status, 201, cs.body);
  assert.equal((await call(server, sessions.camop, 'POST', P(prod.id, `/callsheets/${cs.json.id}/ack`))).status, 204);
  const acks = (who) => call(server, who, 'GET', P(prod.id, `/callsheets/${cs.json.id}/acks`));

  const all = await acks(admin);
  assert.equal(all.status, 200, all.body);
  assert.deepEqual(all.json.acknowledgements.map((a) => [a.name, a.department, a.acknowledged_at === null]),
    [['Person camhead', 'Camera', true], ['Person camop', 'Camera', false], ['Person grip', 'Grip', true]]);

  const head = await acks(sessions.camhead);
  assert.equal(head.status, 200, head.body);
  assert.deepEqual(head.json.acknowledgements.map((a) => a.person_id).sort(), [people.camhead.id, people.camop.id].sort(),
    'the head of camera sees the camera department, and not the grip');
  const op = await acks(sessions.camop);
  assert.deepEqual(op.json.acknowledgements.map((a) => a.name), ['Person camop'], 'crew see only their own');
});

test("the audit log names actors and objects as they are now; a deleted person stays erased", async () => {
  const me = (await call(server, admin, 'GET', '/api/v1/me')).json.user;
  const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: 'Ada Draft', kind: 'crew', department: 'Sound' } });
  assert.equal(p.status, 201, p.body);
  assert.equal((await call(server, admin, 'PATCH', P(prod.id, `/people/${p.json.id}`), { body: { name: 'Ada Lovelace' } })).status, 200);
  const loc = await call(server, admin, 'POST', P(prod.id, '/locations'), { body: { name: 'Old Mill' } });
  assert.equal(loc.status, 201, loc.body);
  const doomed = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: 'Gone Person', kind: 'crew' } });
  assert.equal(doomed.status, 201, doomed.body);
  assert.equal((await call(server, admin, 'DELETE', P(prod.id, `/people/${doomed.json.id}`))).status, 204);

  const log = await call(server, admin, 'GET', P(prod.id, '/audit?limit=500'));
  assert.equal(log.status, 200, log.body);
  const ev = (action, object) => log.json.events.find((e) => e.action === action && e.object === object);
  const created = ev('person.create', p.json.id);
  assert.ok(created, 'the creation is logged');
  assert.equal(created.actor, me.id, 'the log keeps the id');
  assert.equal(created.actor_name, me.display_name);
  assert.equal(created.object_name, 'Ada Lovelace', 'the name as it is now, not as it was');
  assert.equal(ev('location.create', loc.json.id).object_name, 'Old Mill');
  for (const action of ['person.create', 'person.delete']) {
    const gone = ev(action, doomed.json.id);
    assert.ok(gone, `${action} is logged`);
    assert.equal(gone.object_name, '[erased]', `${action}: a deleted person is not named`);
  }
  assert.ok(!log.body.includes('Gone Person'), 'the erased name is nowhere in the log');
  const exp = log.json.events.find((e) => e.object === null || !/^[a-z]+_[a-z2-7]{26}$/.test(e.object));
  if (exp) assert.equal(exp.object_name, null, 'an object of no nameable kind names nothing');
});

test('PATCH merges the sustainability settings; PUT replaces them, absent fields taking their defaults', async () => {
  const S = (rest) => P(prod.id, `/sustainability/settings${rest}`);
  const patch = (body) => call(server, admin, 'PATCH', S(''), { body });
  const put = (body) => call(server, admin, 'PUT', S(''), { body });
  let r = await patch({ budget_kg: 5000 });
  assert.equal(r.status, 200, r.body);
  r = await patch({ share_totals: true });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual([r.json.budget_kg, r.json.share_totals, r.json.factor_set], [5000, true, 'uk-desnz-2024'], 'PATCH kept the budget');
  r = await patch({ factor_set: 'us-epa-2025', flights_include_rf: false });
  assert.deepEqual([r.json.factor_set, r.json.flights_include_rf, r.json.budget_kg], ['us-epa-2025', false, 5000]);
  assertProblem(await patch({ budget_kg: -1 }), 400, 'a bad field');
  assert.equal((await call(server, admin, 'GET', S(''))).json.budget_kg, 5000, 'nothing written by a refused PATCH');

  r = await put({ share_totals: true });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json, { factor_set: 'uk-desnz-2024', factor_set_version: 1, flights_include_rf: true, budget_kg: null, share_totals: true },
    'PUT replaced the whole: the factor set of Europe/London, RF, no budget');
  r = await put({});
  assert.deepEqual(r.json, { factor_set: 'uk-desnz-2024', factor_set_version: 1, flights_include_rf: true, budget_kg: null, share_totals: false }, 'PUT {} resets');
  assertProblem(await put({ factor_set: 'custom' }), 400, 'custom is no set');
  assertProblem(await call(server, sessions.camhead, 'PATCH', S(''), { body: { share_totals: true } }), 403, 'a department head');
});

test("a production's factor set follows its time zone, and every report names the set in force", async () => {
  const make = async (name, timezone) => {
    const p = await call(server, admin, 'POST', '/api/v1/productions', { body: { name, timezone } });
    assert.equal(p.status, 201, p.body);
    return p.json;
  };
  for (const [tz, set] of [['America/New_York', 'us-epa-2025'], ['America/Los_Angeles', 'us-epa-2025'], ['Pacific/Honolulu', 'us-epa-2025'],
    ['US/Central', 'us-epa-2025'], ['Europe/London', 'uk-desnz-2024'], ['Europe/Paris', 'uk-desnz-2024'], ['America/Toronto', 'uk-desnz-2024'], ['Australia/Sydney', 'uk-desnz-2024']]) {
    const p = await make(`In ${tz}`, tz);
    const st = await call(server, admin, 'GET', P(p.id, '/sustainability/settings'));
    assert.equal(st.status, 200, st.body);
    assert.equal(st.json.factor_set, set, `a production in ${tz}`);
  }
  const ny = await make('Brooklyn Nights', 'America/New_York');
  const R = (q) => call(server, admin, 'GET', P(ny.id, `/sustainability/report${q}`));
  const json = await R('');
  assert.equal(json.status, 200, json.body);
  assert.deepEqual([json.json.factor_set, json.json.factor_set_version], ['us-epa-2025', 1]);
  assert.match(json.json.factor_set_name, /^US EPA /);
  const csv = await R('?format=csv');
  assert.equal(csv.status, 200, csv.body);
  assert.equal(csv.body.split('\r\n')[1], `factor_set,us-epa-2025,"factor set in force: ${json.json.factor_set_name}, version 1",,,`);
  for (const chart of ['category', 'cumulative']) {
    const svg = await R(`?format=svg&chart=${chart}`);
    assert.equal(svg.status, 200, svg.body);
    assert.ok(svg.body.includes('Factor set in force: us-epa-2025 version 1.'), `the ${chart} chart names the set`);
  }
  // PUT without a factor set takes the set of the zone
  assert.equal((await call(server, admin, 'PATCH', P(ny.id, '/sustainability/settings'), { body: { factor_set: 'uk-desnz-2024' } })).json.factor_set, 'uk-desnz-2024');
  assert.equal((await call(server, admin, 'PUT', P(ny.id, '/sustainability/settings'), { body: {} })).json.factor_set, 'us-epa-2025');
});
