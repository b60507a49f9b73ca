// A write and its audit event commit together (issue 17): when the audit
// event cannot be written, the write is not kept either. From outside: once
// the server is up, a trigger makes every insert into the audit log fail;
// each write is then refused with a 5xx problem, and once the trigger is gone
// the record reads back exactly as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, slateSql, assertProblem, request, waitFor } from './lib/harness.mjs';
import { mailedToken } from './lib/mail.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let crew;
let prod;
let fixture;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const sql = (q, opts) => slateSql(server.data, q, opts);

const made = async (who, method, path, body) => {
  const r = await call(server, who, method, P(path), { body });
  assert.ok(r.status === 200 || r.status === 201, `${method} ${path}: ${r.status} ${r.body}`);
  return r.json;
};
const read = async (path, who = admin) => {
  const r = await call(server, who, 'GET', P(path));
  assert.equal(r.status, 200, `GET ${path}: ${r.body}`);
  return r.json;
};

function refuseAudits() {
  sql("CREATE TRIGGER test_audit_refused BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END", { write: true });
}
function allowAudits() {
  sql('DROP TRIGGER IF EXISTS test_audit_refused', { write: true });
}

/** Sends the write (to an absolute path) while audits fail: it must be refused with a 5xx problem. */
async function refusedWithoutAuditAt(who, method, url, body) {
  refuseAudits();
  let r;
  try {
    r = await call(server, who, method, url, { body });
  } finally {
    allowAudits();
  }
  assert.ok(r.status >= 500 && r.status < 600, `${method} ${url} was kept without its audit event: ${r.status} ${r.body}`);
  assertProblem(r, r.status, `${method} ${url}`);
}
/** The same for a path of the production. */
const refusedWithoutAudit = (who, method, path, body) => refusedWithoutAuditAt(who, method, P(path), body);

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Atomic', timezone: 'UTC' } })).json;
  const email = 'grip@atomic.example';
  crew = await newAccount(server, email, 'quiet lanterns drift over seven harbours');
  const m = await made(admin, 'POST', '/members', { email, role: 'crew', department: 'Grip' });
  const dept = await made(admin, 'POST', '/departments', { name: 'Foley' });
  const person = await made(admin, 'POST', '/people', { name: 'Gus Grip', kind: 'crew', department: 'Grip', account_email: email, home_address: '1 Quay Street' });
  const day = await made(admin, 'POST', '/days', { date: '2028-05-02', general_call: '07:00', wrap_estimate: '19:00' });
  const location = await made(admin, 'POST', '/locations', { name: 'The Yard' });
  await made(admin, 'PUT', `/days/${day.id}/calls/${person.id}`, { call: '07:30' });
  fixture = { member: m, dept, person, day, location };
});
after(async () => {
  await server?.stop();
});

test('a location is neither created, changed nor deleted without its audit event', async () => {
  const before = await read('/locations');
  await refusedWithoutAudit(admin, 'POST', '/locations', { name: 'Ghost yard' });
  await refusedWithoutAudit(admin, 'PATCH', `/locations/${fixture.location.id}`, { name: 'Renamed yard' });
  await refusedWithoutAudit(admin, 'DELETE', `/locations/${fixture.location.id}`);
  assert.deepEqual(await read('/locations'), before);
});

test('a person is neither created nor changed without its audit event', async () => {
  const before = await read('/people');
  await refusedWithoutAudit(admin, 'POST', '/people', { name: 'Ghost', kind: 'crew', department: 'Grip' });
  await refusedWithoutAudit(admin, 'PATCH', `/people/${fixture.person.id}`, { job_title: 'Key grip', home_address: '2 Dock Road' });
  assert.deepEqual(await read('/people'), before);
});

test('a person is not deleted without its audit event', async () => {
  const directory = ({ id, name, kind, department, job_title, linked, link_confirmed }) => ({ id, name, kind, department, job_title, linked, link_confirmed });
  const byId = (a, b) => a.id.localeCompare(b.id);
  const before = (await read('/people')).people.map(directory);
  const victim = await made(admin, 'POST', '/people', { name: 'Dee Lete', kind: 'crew', department: 'Grip' });
  await refusedWithoutAudit(admin, 'DELETE', `/people/${victim.id}`);
  assert.deepEqual((await read('/people')).people.map(directory).sort(byId), [...before, directory(victim)].sort(byId));
});

// The person key lives in the keystore, its own file, outside the database's
// transaction: it is destroyed only once the delete commits, so a delete rolled
// back keeps a row whose sealed fields still open.
test("a refused person delete keeps the person's sealed fields", async () => {
  const before = await read(`/people/${fixture.person.id}`);
  await refusedWithoutAudit(admin, 'DELETE', `/people/${fixture.person.id}`);
  assert.deepEqual(await read(`/people/${fixture.person.id}`), before);
});

test('a shoot day and a call are neither written nor deleted without their audit event', async () => {
  const days = await read('/days');
  const calls = await read(`/days/${fixture.day.id}/calls`);
  await refusedWithoutAudit(admin, 'POST', '/days', { date: '2028-05-03', general_call: '07:00', wrap_estimate: '19:00' });
  await refusedWithoutAudit(admin, 'PATCH', `/days/${fixture.day.id}`, { general_call: '06:00' });
  await refusedWithoutAudit(admin, 'POST', `/days/${fixture.day.id}/cancel`);
  await refusedWithoutAudit(admin, 'PUT', `/days/${fixture.day.id}/calls/${fixture.person.id}`, { call: '08:00' });
  await refusedWithoutAudit(admin, 'DELETE', `/days/${fixture.day.id}/calls/${fixture.person.id}`);
  await refusedWithoutAudit(admin, 'DELETE', `/days/${fixture.day.id}`);
  assert.deepEqual(await read('/days'), days);
  assert.deepEqual(await read(`/days/${fixture.day.id}/calls`), calls);
});

test('a call sheet is not published without its audit event', async () => {
  await refusedWithoutAudit(admin, 'POST', `/days/${fixture.day.id}/callsheets`);
  assert.deepEqual((await read(`/days/${fixture.day.id}/callsheets`)).callsheets, []);
});

test('a department is neither created, renamed nor deleted without its audit event', async () => {
  const before = await read('/departments');
  await refusedWithoutAudit(admin, 'POST', '/departments', { name: 'Ghosts' });
  await refusedWithoutAudit(admin, 'PATCH', `/departments/${fixture.dept.id}`, { name: 'Foley and Vision' });
  await refusedWithoutAudit(admin, 'DELETE', `/departments/${fixture.dept.id}`);
  assert.deepEqual(await read('/departments'), before);
});

test("a member's role does not change without its audit event", async () => {
  const before = await read('/members');
  await refusedWithoutAudit(admin, 'PATCH', `/members/${fixture.member.id}`, { role: 'department_head' });
  assert.deepEqual(await read('/members'), before);
});

test('a link is not confirmed without its audit event', async () => {
  assert.equal((await read(`/people/${fixture.person.id}`, crew)).link_confirmed, false, 'the link waits for its account');
  await refusedWithoutAudit(crew, 'POST', `/people/${fixture.person.id}/confirm-link`);
  assert.equal((await read(`/people/${fixture.person.id}`, crew)).link_confirmed, false);
});

test('a calendar feed is not made without its audit event', async () => {
  await refusedWithoutAudit(crew, 'POST', '/me/calendar-feed');
  assert.equal(sql(`SELECT COUNT(*) FROM calendar_feed WHERE production_id = '${prod.id}'`), '0');
});

test("an administrator does not end someone's sessions without its audit event", async () => {
  refuseAudits();
  let r;
  try {
    r = await call(server, admin, 'DELETE', `/api/v1/admin/users/${fixture.member.user_id}/sessions`);
  } finally {
    allowAudits();
  }
  assert.ok(r.status >= 500 && r.status < 600, `the sessions were ended without the audit event: ${r.status} ${r.body}`);
  assertProblem(r, r.status, 'ending sessions');
  assert.equal((await call(server, crew, 'GET', '/api/v1/me')).status, 200, "the grip's session still works");
});

test('a password is not changed without its audit event', async () => {
  await refusedWithoutAuditAt(crew, 'POST', '/api/v1/me/password', { current_password: 'quiet lanterns drift over seven harbours', new_password: 'amber orchards hum beneath the viaduct' });
  assert.equal((await call(server, crew, 'GET', '/api/v1/me')).status, 200, 'the session the change would have ended still works');
});

test('a production is not created without its audit event', async () => {
  const list = async () => (await call(server, admin, 'GET', '/api/v1/productions')).json;
  const productions = await list();
  await refusedWithoutAuditAt(admin, 'POST', '/api/v1/productions', { name: 'Ghost Show', timezone: 'UTC' });
  assert.deepEqual(await list(), productions);
});

test('a production is not renamed, moved to another zone or made to require a second factor without its audit events', async () => {
  const production = await read('');
  await refusedWithoutAudit(admin, 'PATCH', '', { name: 'Renamed Show', timezone: 'Europe/Paris' });
  await refusedWithoutAudit(admin, 'PATCH', '', { require_mfa: true });
  assert.deepEqual(await read(''), production);
});

const linkFor = (to) => mailedToken(server, to);

test('an invitation is not made without its audit event', async () => {
  const pending = await read('/invitations');
  await refusedWithoutAudit(admin, 'POST', '/invitations', { email: 'ghost@atomic.example', role: 'crew', department: 'Grip' });
  assert.deepEqual(await read('/invitations'), pending);
});

test('an invitation is not withdrawn without its audit event', async () => {
  const invitation = await made(admin, 'POST', '/invitations', { email: 'best.boy@atomic.example', role: 'crew', department: 'Grip' });
  const waiting = await read('/invitations');
  await refusedWithoutAudit(admin, 'DELETE', `/invitations/${invitation.id}`);
  assert.deepEqual(await read('/invitations'), waiting);
});

test('an invitation is not accepted without its audit event, and its link still works after', async () => {
  await made(admin, 'POST', '/invitations', { email: 'gaffer@atomic.example', role: 'crew', department: 'Grip' });
  const token = await linkFor('gaffer@atomic.example');
  const members = await read('/members');
  const accounts = sql('SELECT COUNT(*) FROM app_user');
  const accept = { token, password: 'copper kites circle the old lighthouse', display_name: 'Gaffer' };
  refuseAudits();
  let r;
  try {
    r = await request(server, { method: 'POST', path: '/api/v1/invitations/accept', body: accept });
  } finally {
    allowAudits();
  }
  assert.ok(r.status >= 500 && r.status < 600, `the invitation was accepted without its audit event: ${r.status} ${r.body}`);
  assertProblem(r, r.status, 'accepting');
  assert.deepEqual(await read('/members'), members);
  assert.equal(sql('SELECT COUNT(*) FROM app_user'), accounts, 'no account was created');
  r = await request(server, { method: 'POST', path: '/api/v1/invitations/accept', body: accept });
  assert.equal(r.status, 201, `the link still works once the audit log does: ${r.body}`);
});

test('a file is not uploaded without its audit event', async () => {
  const dir = path.join(server.data, 'uploads');
  const files = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sfe')).sort() : []);
  const listed = await read('/attachments');
  const stored = files();
  refuseAudits();
  let r;
  try {
    r = await call(server, admin, 'POST', P('/attachments?name=ghost.txt'), { body: 'boo', headers: { 'content-type': 'text/plain' } });
  } finally {
    allowAudits();
  }
  assert.ok(r.status >= 500 && r.status < 600, `the file was kept without its audit event: ${r.status} ${r.body}`);
  assertProblem(r, r.status, 'uploading');
  assert.deepEqual(await read('/attachments'), listed);
  await waitFor(() => JSON.stringify(files()) === JSON.stringify(stored), { what: 'the refused upload file removed' });
});

test('signing out does not end the session without its audit event', async () => {
  const grip = await newAccount(server, 'dolly@atomic.example', 'silver gulls nap on the warm slipway');
  await refusedWithoutAuditAt(grip, 'POST', '/api/v1/auth/logout');
  assert.equal((await call(server, grip, 'GET', '/api/v1/me')).status, 200, 'the session the sign-out would have ended still works');
});

test('a sustainability entry is added, changed and deleted only with its audit event', async () => {
  const { factors } = await read('/sustainability/factors');
  const factor = factors.find((f) => f.unit === 'L') || factors[0];
  const { departments } = await read('/departments');
  const entry = { date: '2026-05-01', department_id: departments[0].id, factor: factor.key, quantity: 10, unit: factor.unit };
  const before = (await read('/sustainability/entries')).entries.length;
  await refusedWithoutAudit(admin, 'POST', '/sustainability/entries', entry);
  assert.equal((await read('/sustainability/entries')).entries.length, before, 'no entry without its event');

  const kept = await made(admin, 'POST', '/sustainability/entries', entry);
  await refusedWithoutAudit(admin, 'PATCH', `/sustainability/entries/${kept.id}`, { quantity: 20 });
  assert.equal((await read(`/sustainability/entries/${kept.id}`)).quantity, 10, 'the change went with its event');
  await refusedWithoutAudit(admin, 'DELETE', `/sustainability/entries/${kept.id}`);
  assert.equal((await read(`/sustainability/entries/${kept.id}`)).id, kept.id, 'the entry stays without its event');
});
