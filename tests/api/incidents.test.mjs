// The incident register (issue 22, "Incidents"; docs/SECURITY.md "Incidents and the 72-hour
// promise"): instance administrators open incidents from the CLI and the API; the 72-hour
// clock runs from aware_at, warns past 48 h, is OVERDUE past 72 h and stops when the
// authority's notification is recorded; a late notification needs its reason; the status
// moves open -> contained -> notified -> closed and no other way; nobody else reaches the
// register; and "who is affected" is computed from the audit log: the people whose private
// fields an API token read, and not one it did not read. One server for the whole file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SETUP_BIN, assertProblem, request, runSlate, slateSql, startServer, waitFor } from './lib/harness.mjs';
import { call, enrolTotp, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const hoursAgo = (h) => new Date(Date.now() - h * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const PRIVATE = { home_address: '7 Lantern Yard', medical: 'penicillin allergy' };

function cli(args) {
  return runSlate(['incident', ...args, '--data', server.data]);
}

/** `slate incident … --json`, which must succeed: the incident it prints. */
function cliJson(args) {
  const r = cli([...args, '--json']);
  assert.equal(r.code, 0, `slate incident ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A bad input: one line on stderr, a non-zero exit. */
function cliRefused(args, pattern) {
  const r = cli(args);
  assert.notEqual(r.code, 0, `slate incident ${args.join(' ')} was accepted: ${r.stdout}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  return r;
}

const openBody = (awareHoursAgo) => ({
  discovered_at: hoursAgo(awareHoursAgo + 1),
  aware_at: hoursAgo(awareHoursAgo),
  nature: 'a laptop with an export of the crew list was stolen',
  contact: 'privacy@studio.example',
  data_categories: 'contact details, medical notes',
  people_categories: 'crew',
  approx_people: 'about 40',
});

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Incident Drill', timezone: 'UTC' } })).json;
  assert.ok(prod.id);
});
after(async () => { await server?.stop(); });

test('the CLI opens an incident and lists its clock: hours left, WARNING past 48 h, OVERDUE past 72 h, stopped once notified', () => {
  const fresh = cliJson(['open', '--discovered-at', hoursAgo(2), '--aware-at', hoursAgo(1), '--nature', 'phishing of a production account', '--contact', 'dpo@studio.example']);
  const warn = cliJson(['open', '--discovered-at', hoursAgo(51), '--aware-at', hoursAgo(50), '--nature', 'a misdirected call sheet', '--contact', 'dpo@studio.example']);
  const late = cliJson(['open', '--discovered-at', hoursAgo(81), '--aware-at', hoursAgo(80), '--nature', 'an open backup bucket', '--contact', 'dpo@studio.example']);
  assert.equal(fresh.status, 'open');
  assert.equal(fresh.clock.state, 'running');
  assert.ok(fresh.clock.hours_left > 70 && fresh.clock.hours_left <= 71.1, JSON.stringify(fresh.clock));
  assert.equal(warn.clock.state, 'WARNING');
  assert.equal(late.clock.state, 'OVERDUE');
  // each `slate incident` run costs seconds under valgrind: one list for the three clocks
  const rows = (r = cli(['list'])) => (id) => r.stdout.split('\n').find((l) => l.startsWith(id));
  const row = rows();
  assert.match(row(fresh.id), /\bopen\b.*\b(70|71)\.\dh left$/);
  assert.match(row(warn.id), /WARNING 2[12]\.\dh left$/);
  assert.match(row(late.id), /OVERDUE [78]\.\dh late$/);

  // open -> contained -> notified -> closed, and no other move
  cliRefused(['close', '--id', late.id], /cannot go from open to closed/);
  const contained = cliJson(['update', '--id', late.id, '--status', 'contained', '--measures', 'bucket made private, keys rotated']);
  assert.equal(contained.status, 'contained');
  assert.equal(contained.measures, 'bucket made private, keys rotated');
  // past 72 hours: refused without the reason for the delay, then recorded with it
  cliRefused(['notify-authority', '--id', late.id, '--reference', 'AP-2026-0001'], /late_reason is required/);
  const notified = cliJson(['notify-authority', '--id', late.id, '--reference', 'AP-2026-0001', '--reason', 'the bucket was found by a contractor who told us late']);
  assert.equal(notified.status, 'notified');
  assert.equal(notified.authority_reference, 'AP-2026-0001');
  assert.equal(notified.clock.state, 'stopped');
  assert.equal(notified.clock.late, true);
  assert.match(rows()(late.id), /\bnotified\b.*stopped \(late\)$/);
  // a reason for not notifying an incident that was notified is refused, not dropped
  cliRefused(['close', '--id', late.id, '--reason', 'nobody was at risk'], /only when closing a contained incident \(this one is notified\)/);
  const closed = cliJson(['close', '--id', late.id]);
  assert.equal(closed.status, 'closed');
  cliRefused(['update', '--id', late.id, '--measures', 'more'], /closed/);
  assert.deepEqual(closed.history.map((h) => h.change.action), ['incident.open', 'incident.update', 'incident.notify_authority', 'incident.close']);

  // bad input: one line each, non-zero
  cliRefused(['open', '--discovered-at', 'yesterday', '--aware-at', hoursAgo(1), '--nature', 'x', '--contact', 'y'], /discovered_at is not a time/);
  cliRefused(['open', '--nature', 'x'], /needs --discovered-at and --aware-at/);
  cliRefused(['show', '--id', 'inc_abcdefghijklmnopqrstuvwxyz'], /no incident/);
  cliRefused(['show'], /needs --id/);
  cliRefused(['delete', '--id', late.id], /say open, list/);
  // Article 33(5): an incident is never deleted, not even from the shell's SQL
  const del = runSlate(['sql', `DELETE FROM incident WHERE id = '${late.id}'`, '--data', server.data, '--write'], { bin: SETUP_BIN });
  assert.notEqual(del.code, 0);
  assert.match(del.stderr, /never deleted/);
  // the free text is sealed at rest, the audit events name the incident and nothing else
  const raw = slateSql(server.data, `SELECT details FROM incident WHERE id = '${late.id}'`);
  assert.ok(!raw.includes('bucket'), raw);
  const events = slateSql(server.data, `SELECT action || ' ' || object || ' ' || actor FROM audit_event WHERE action LIKE 'incident.%' AND object = '${late.id}' ORDER BY seq`);
  assert.deepEqual(events.trim().split('\n').map((l) => l.split(' ')[0]), ['incident.open', 'incident.update', 'incident.notify_authority', 'incident.close']);
  assert.ok(!events.includes('bucket') && !events.includes('AP-2026'), events);
});

test('the API: open, change, notify, with RFC 9457 errors; a contained incident unlikely to harm anyone closes only with its reason', async () => {
  const o = await call(server, admin, 'POST', '/api/v1/incidents', { body: openBody(30) });
  assert.equal(o.status, 201, o.body);
  assert.equal(o.json.clock.state, 'running');
  assert.ok(o.json.clock.hours_left > 41 && o.json.clock.hours_left <= 42.1);
  const id = o.json.id;
  const got = await call(server, admin, 'GET', `/api/v1/incidents/${id}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.nature, openBody(30).nature);
  assert.equal(got.json.history.length, 1);
  const list = await call(server, admin, 'GET', '/api/v1/incidents');
  assert.ok(list.json.incidents.some((i) => i.id === id));

  assertProblem(await call(server, admin, 'POST', '/api/v1/incidents', { body: { ...openBody(1), aware_at: 'soon' } }), 400);
  assertProblem(await call(server, admin, 'POST', '/api/v1/incidents', { body: { ...openBody(1), aware_at: hoursAgo(-5) } }), 400);
  assertProblem(await call(server, admin, 'POST', '/api/v1/incidents', { body: { aware_at: hoursAgo(1), discovered_at: hoursAgo(1), nature: 'x' } }), 400);
  const early = await call(server, admin, 'POST', '/api/v1/incidents', { body: { ...openBody(1), discovered_at: hoursAgo(0.5) } });
  assertProblem(early, 400);
  assert.equal(early.json.errors[0].pointer, '/aware_at');
  assert.match(early.json.errors[0].detail, /before discovered_at/);
  const blank = await call(server, admin, 'POST', '/api/v1/incidents', { body: { ...openBody(1), nature: ' ' } });
  assertProblem(blank, 400);
  assertProblem(await call(server, admin, 'PATCH', `/api/v1/incidents/${id}`, { body: { status: 'closed' } }), 409);
  assertProblem(await call(server, admin, 'PATCH', `/api/v1/incidents/${id}`, { body: { status: 'lost' } }), 400);
  const skip = await call(server, admin, 'PATCH', `/api/v1/incidents/${id}`, { body: { status: 'notified' } });
  assertProblem(skip, 409);
  assert.match(skip.json.errors[0].detail, /authority's notification/);
  assertProblem(await call(server, admin, 'GET', '/api/v1/incidents/inc_abcdefghijklmnopqrstuvwxyz'), 404);
  assertProblem(await call(server, admin, 'POST', `/api/v1/incidents/${id}/authority-notification`, { body: { reference: 'AP-1' } }), 409);

  const c = await call(server, admin, 'PATCH', `/api/v1/incidents/${id}`, { body: { status: 'contained', consequences: 'phishing risk for the crew' } });
  assert.equal(c.status, 200, c.body);
  // within 72 hours: no reason needed; a time before aware_at is refused
  assertProblem(await call(server, admin, 'POST', `/api/v1/incidents/${id}/authority-notification`, { body: { reference: 'AP-2', notified_at: hoursAgo(40) } }), 400);
  const at = hoursAgo(2);
  const n = await call(server, admin, 'POST', `/api/v1/incidents/${id}/authority-notification`, { body: { reference: 'AP-2', notified_at: at } });
  assert.equal(n.status, 200, n.body);
  assert.equal(n.json.clock.state, 'stopped');
  assert.equal(n.json.clock.late, false);
  assert.equal(n.json.notified_at, at);
  assertProblem(await call(server, admin, 'POST', `/api/v1/incidents/${id}/authority-notification`, { body: { reference: 'AP-again' } }), 409);

  const minor = (await call(server, admin, 'POST', '/api/v1/incidents', { body: openBody(3) })).json;
  assert.equal((await call(server, admin, 'PATCH', `/api/v1/incidents/${minor.id}`, { body: { status: 'contained' } })).status, 200);
  const noReason = await call(server, admin, 'PATCH', `/api/v1/incidents/${minor.id}`, { body: { status: 'closed' } });
  assertProblem(noReason, 409);
  assert.equal(noReason.json.errors[0].pointer, '/no_notification_reason');
  const closed = await call(server, admin, 'PATCH', `/api/v1/incidents/${minor.id}`, { body: { status: 'closed', no_notification_reason: 'the laptop was encrypted and recovered the same hour' } });
  assert.equal(closed.status, 200, closed.body);
  assert.equal(closed.json.clock.state, 'closed without notification');
});

test('/metrics shows open incidents, the fewest hours left and the clocks past 48 h and 72 h', async () => {
  const a = (await call(server, admin, 'POST', '/api/v1/incidents', { body: openBody(60) })).json;
  const m = await request(server, { path: '/metrics' });
  assert.equal(m.status, 200);
  const gauge = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(m.body)?.[1]);
  const incidents = (await call(server, admin, 'GET', '/api/v1/incidents')).json.incidents;
  const running = incidents.filter((i) => ['running', 'WARNING', 'OVERDUE'].includes(i.clock.state));
  assert.equal(gauge('slate_incidents_open'), incidents.filter((i) => i.status !== 'closed').length);
  assert.equal(gauge('slate_incidents_clock_running'), running.length);
  assert.equal(gauge('slate_incidents_past_48h'), running.filter((i) => i.clock.state !== 'running').length);
  assert.equal(gauge('slate_incidents_past_72h'), running.filter((i) => i.clock.state === 'OVERDUE').length);
  assert.ok(gauge('slate_incidents_past_48h') >= 2 && gauge('slate_incidents_past_72h') === 0, m.body);
  // the incident just opened (aware 60 h ago) is the nearest deadline: about 12 h left
  const least = gauge('slate_incidents_min_hours_left');
  assert.ok(least > 11.8 && least <= 12.01, `min hours left ${least}`);
  assert.ok(Math.abs(least - Math.min(...running.map((i) => i.clock.hours_left))) < 0.1);
  assert.ok(Math.abs(a.clock.hours_left - least) < 0.1);
});

test('a production admin, a crew member and an API token do not reach the register', async () => {
  const pa = await newAccount(server, 'pa@incident.example', 'violet tambourine gathers seven lanterns');
  await enrolTotp(server, pa);
  const crew = await newAccount(server, 'crew@incident.example', 'orange harbour whistles under quiet rain');
  for (const [email, role] of [['pa@incident.example', 'production_admin'], ['crew@incident.example', 'crew']]) {
    const m = await call(server, admin, 'POST', P('/members'), { body: role === 'crew' ? { email, role, department: 'Electric' } : { email, role } });
    assert.equal(m.status, 201, m.body);
  }
  const some = (await call(server, admin, 'GET', '/api/v1/incidents')).json.incidents[0].id;
  for (const s of [pa, crew]) {
    assertProblem(await call(server, s, 'GET', '/api/v1/incidents'), 403);
    assertProblem(await call(server, s, 'POST', '/api/v1/incidents', { body: openBody(1) }), 403);
    assertProblem(await call(server, s, 'GET', `/api/v1/incidents/${some}`), 403);
    assertProblem(await call(server, s, 'PATCH', `/api/v1/incidents/${some}`, { body: { status: 'contained' } }), 403);
    assertProblem(await call(server, s, 'POST', `/api/v1/incidents/${some}/authority-notification`, { body: { reference: 'x' } }), 403);
    assertProblem(await call(server, s, 'POST', `/api/v1/incidents/${some}/affected`, { body: { account: 'admin@localhost', from: hoursAgo(1), to: hoursAgo(0) } }), 403);
  }
  const t = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'probe', production_id: prod.id, access: 'read' } });
  assert.equal(t.status, 201, t.body);
  assertProblem(await request(server, { path: '/api/v1/incidents', headers: { authorization: `Bearer ${t.json.token}` } }), 403);
});

test('who is affected: the people whose private fields a token read, and not one it did not read', async () => {
  const from = hoursAgo(0.1);
  const people = {};
  for (const key of ['alice', 'bob', 'carol']) {
    const p = await call(server, admin, 'POST', P('/people'), { body: { name: `Person ${key}`, kind: 'crew', department: 'Electric', ...PRIVATE } });
    assert.equal(p.status, 201, p.body);
    people[key] = p.json.id;
  }
  const t = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'leaked sync', production_id: prod.id, access: 'read' } });
  assert.equal(t.status, 201, t.body);
  const bearer = (p) => request(server, { path: p, headers: { authorization: `Bearer ${t.json.token}` } });
  for (const key of ['alice', 'bob']) {
    const r = await bearer(P(`/people/${people[key]}`));
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.home_address, PRIVATE.home_address);
  }
  // carol's private fields are read by the same account, but in its session, not with the token
  assert.equal((await call(server, admin, 'GET', P(`/people/${people.carol}`))).status, 200);
  // the reads' events are committed in groups: wait until all three are in the log
  const readEvents = async () => (await call(server, admin, 'GET', P('/audit?limit=500'))).json.events.filter((e) => e.action === 'person.read_private');
  await waitFor(async () => {
    const objects = (await readEvents()).map((e) => e.object);
    return Object.values(people).every((id) => objects.includes(id));
  }, { timeout: 60_000, what: 'the three reads in the audit log' });
  const viaToken = (await readEvents()).filter((e) => (e.source ?? '').endsWith(` token:${t.json.id}`));
  assert.deepEqual(viaToken.map((e) => e.object).sort(), [people.alice, people.bob].sort(), 'the log names the token on its reads');

  const inc = (await call(server, admin, 'POST', '/api/v1/incidents', { body: { ...openBody(0.05), nature: 'a read-only API token was published in a repository' } })).json;
  const to = new Date(Date.now() + 60_000).toISOString();
  const r = await call(server, admin, 'POST', `/api/v1/incidents/${inc.id}/affected`, { body: { token: t.json.id, from, to } });
  assert.equal(r.status, 200, r.body);
  const affected = r.json.affected.people;
  assert.deepEqual(affected.map((p) => p.person_id).sort(), [people.alice, people.bob].sort());
  assert.ok(affected.every((p) => p.production_id === prod.id));
  assert.ok(!affected.some((p) => p.person_id === people.carol), 'carol was not read with the token');
  assert.equal(r.json.affected.queries[0].token, t.json.id);
  // a window that ends before the reads finds nobody new; bad windows are refused
  assertProblem(await call(server, admin, 'POST', `/api/v1/incidents/${inc.id}/affected`, { body: { token: t.json.id, from: to, to: from } }), 400);
  assertProblem(await call(server, admin, 'POST', `/api/v1/incidents/${inc.id}/affected`, { body: { from, to } }), 400);
  assertProblem(await call(server, admin, 'POST', `/api/v1/incidents/${inc.id}/affected`, { body: { account: 'nobody@nowhere.example', from, to } }), 404);

  // the CLI's equivalent, by account: the same account read all three (token and session)
  const byAccount = cliJson(['affected', '--id', inc.id, '--account', 'admin@localhost', '--from', from, '--to', to]);
  const ids = byAccount.affected.people.map((p) => p.person_id);
  for (const key of ['alice', 'bob', 'carol']) assert.ok(ids.includes(people[key]), `${key} read by the account`);
  cliRefused(['affected', '--id', inc.id, '--token', t.json.id, '--account', 'admin@localhost', '--from', from, '--to', to], /an account .* or an API token/);
  // the list on the incident holds ids, the audit event names the incident only
  const ev = slateSql(server.data, `SELECT object FROM audit_event WHERE action = 'incident.affected' ORDER BY seq`);
  assert.deepEqual(ev.trim().split('\n'), [inc.id, inc.id]);
});
