// Productions, memberships and admin controls (issue 3): access is decided
// per request from the stored membership, so role changes and revocations
// apply on the very next request; other productions answer 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, runSlate, assertProblem, slateSql } from './lib/harness.mjs';
import { call, signInAndChangePassword, readyAdmin, enrolTotp } from './lib/session.mjs';
import { documentedScope } from './lib/roles.mjs';

let server;
let admin;
const people = {};
let prod;  // the production under test
let other; // a second production

async function person(email) {
  const add = runSlate(['user', 'add', '--email', email, '--data', server.data, '--json']);
  assert.equal(add.code, 0, add.stderr);
  const { password } = JSON.parse(add.stdout);
  const s = await signInAndChangePassword(server, `a long passphrase for the night shoot ${Object.keys(people).length}`, { email, oneTime: password });
  people[email] = s;
  return s;
}

const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

async function addMember(id, email, role, department) {
  const res = await call(server, admin, 'POST', P(id, '/members'), { body: department ? { email, role, department } : { email, role } });
  assert.equal(res.status, 201, `add ${email} as ${role}: ${res.body}`);
  return res.json;
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  const a = await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'The Long Night', timezone: 'Europe/London' } });
  assert.equal(a.status, 201, a.body);
  prod = a.json;
  const b = await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Other Show', timezone: 'America/New_York' } });
  other = b.json;
  for (const e of ['producer@x.org', 'ad@x.org', 'camhead@x.org', 'grip@x.org', 'camop@x.org', 'lead@x.org', 'both@x.org']) await person(e);
  // producers must have a second factor; camop becomes one for a while below
  await enrolTotp(server, people['producer@x.org']);
  await enrolTotp(server, people['camop@x.org']);
  people.producerM = await addMember(prod.id, 'producer@x.org', 'producer');
  people.adM = await addMember(prod.id, 'ad@x.org', 'ad', 'Direction/AD');
  people.camheadM = await addMember(prod.id, 'camhead@x.org', 'department_head', 'Camera');
  people.gripM = await addMember(prod.id, 'grip@x.org', 'crew', 'Grip');
  people.camopM = await addMember(prod.id, 'camop@x.org', 'crew', 'Camera');
  people.leadM = await addMember(prod.id, 'lead@x.org', 'cast', 'Cast');
  people.bothM = await addMember(prod.id, 'both@x.org', 'crew', 'Grip');
  await addMember(other.id, 'both@x.org', 'crew', 'Grip');
});
after(async () => { await server?.stop(); });

test('a production is created by an instance admin, who becomes its production admin', async () => {
  assert.equal(prod.role, 'production_admin');
  assert.match(prod.id, /^prd_[a-z2-7]{26}$/);
  const list = await call(server, admin, 'GET', '/api/v1/productions');
  const names = list.json.productions.map((p) => p.name);
  assert.ok(names.includes('The Long Night') && names.includes('Northern Lights (demo)'));
  assertProblem(await call(server, people['grip@x.org'], 'POST', '/api/v1/productions', { body: { name: 'Mine', timezone: 'UTC' } }), 403, 'crew creating a production');
  assertProblem(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Bad', timezone: '../../etc' } }), 400, 'bad time zone');
  assertProblem(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Bad', timezone: 'Mars/Olympus' } }), 400, 'a zone no system knows');
});

test('a member sees only their own productions; another production answers 404', async () => {
  const grip = people['grip@x.org'];
  const mine = await call(server, grip, 'GET', '/api/v1/productions');
  assert.deepEqual(mine.json.productions.map((p) => [p.name, p.role]), [['The Long Night', 'crew']]);
  assertProblem(await call(server, grip, 'GET', P(other.id)), 404, 'another production');
  assertProblem(await call(server, grip, 'GET', P(other.id, '/members')), 404, "another production's members");
  assertProblem(await call(server, grip, 'GET', P('prd_doesnotexistatallxxxxxxxxxx')), 404, 'no such production');
  assert.equal((await call(server, grip, 'GET', P(prod.id))).status, 200);
});

test('member lists are shaped by role: all, own department, or self', async () => {
  const emails = async (who) => (await call(server, people[who], 'GET', P(prod.id, '/members'))).json.members.map((m) => m.email).sort();
  assert.equal((await emails('producer@x.org')).length, 8);
  assert.equal((await emails('ad@x.org')).length, 8);
  assert.deepEqual(await emails('camhead@x.org'), ['camhead@x.org', 'camop@x.org']);
  assert.deepEqual(await emails('grip@x.org'), ['grip@x.org']);
  assert.deepEqual(await emails('lead@x.org'), ['lead@x.org']);
});

test('bad member input names the field; duplicates conflict', async () => {
  const post = (body) => call(server, admin, 'POST', P(prod.id, '/members'), { body });
  let r = await post({ email: 'grip@x.org', role: 'gaffer' });
  assertProblem(r, 400, 'unknown role');
  assert.equal(r.json.errors[0].pointer, '/role');
  r = await post({ email: 'grip@x.org', role: 'department_head' });
  assert.equal(r.json.errors[0].pointer, '/department');
  r = await post({ email: 'grip@x.org', role: 'crew', department: 'Catering and Crafty' });
  assert.equal(r.json.errors[0].pointer, '/department');
  r = await post({ email: 'nobody@x.org', role: 'crew' });
  assertProblem(r, 404, 'no such account');
  assertProblem(await post({ email: 'GRIP@x.org', role: 'crew' }), 409, 'already a member');
});

test('only production admins and producers manage members', async () => {
  for (const who of ['ad@x.org', 'camhead@x.org', 'grip@x.org', 'lead@x.org']) {
    const r = await call(server, people[who], 'POST', P(prod.id, '/members'), { body: { email: 'camop@x.org', role: 'producer' } });
    assertProblem(r, 403, `${who} adding a member`);
    const c = await call(server, people[who], 'PATCH', P(prod.id, `/members/${people.gripM.id}`), { body: { role: 'producer' } });
    assertProblem(c, 403, `${who} changing a role`);
  }
  const p = await call(server, people['producer@x.org'], 'PATCH', P(prod.id, `/members/${people.camopM.id}`), { body: { department: 'Grip' } });
  assert.equal(p.status, 200, p.body);
  assert.equal(p.json.department, 'Grip');
});

test('every role reads and uploads files exactly as docs/ROLES.md says (attachment cells)', async () => {
  const cast = [
    ['production_admin', admin], ['producer', people['producer@x.org']], ['ad', people['ad@x.org']],
    ['department_head', people['camhead@x.org']], ['crew', people['grip@x.org']], ['cast', people['lead@x.org']],
  ];
  const first = await call(server, admin, 'POST', P(prod.id, '/attachments?name=stripboard.csv'),
    { body: Buffer.from('scene,day\n12,3\n'), headers: { 'content-type': 'text/csv' } });
  assert.equal(first.status, 201, first.body);
  for (const [role, session] of cast) {
    const write = documentedScope('write', 'attachment', role);
    const read = documentedScope('read', 'attachment', role);
    const up = await call(server, session, 'POST', P(prod.id, `/attachments?name=${role}.txt`),
      { body: Buffer.from(`from the ${role}`), headers: { 'content-type': 'text/plain' } });
    assert.equal(up.status, write === 'all' ? 201 : 403, `${role} uploading (write: ${write}): ${up.body}`);
    const list = await call(server, session, 'GET', P(prod.id, '/attachments'));
    const get = await call(server, session, 'GET', P(prod.id, `/attachments/${first.json.id}`));
    assert.equal(list.status, read === 'all' ? 200 : 403, `${role} listing files (read: ${read})`);
    assert.equal(get.status, read === 'all' ? 200 : 403, `${role} downloading (read: ${read})`);
    if (read === 'all') assert.equal(get.raw.toString(), 'scene,day\n12,3\n');
  }
  // a file of this production asked for under another production: 404, whoever asks
  const both = await call(server, people['both@x.org'], 'GET', P(other.id, `/attachments/${first.json.id}`));
  assert.equal(both.status, 403, 'crew of the other production may not read its files at all');
  assert.equal((await call(server, admin, 'GET', P(other.id, `/attachments/${first.json.id}`))).status, 404);
});

test('a role change applies on the next request', async () => {
  const camop = people['camop@x.org'];
  assert.equal((await call(server, camop, 'GET', P(prod.id, '/members'))).json.members.length, 1);
  const r = await call(server, admin, 'PATCH', P(prod.id, `/members/${people.camopM.id}`), { body: { role: 'producer' } });
  assert.equal(r.json.role, 'producer');
  assert.equal((await call(server, camop, 'GET', P(prod.id, '/members'))).json.members.length, 8);
  await call(server, admin, 'PATCH', P(prod.id, `/members/${people.camopM.id}`), { body: { role: 'crew' } });
  assert.equal((await call(server, camop, 'GET', P(prod.id, '/members'))).json.members.length, 1);
});

test("a revoked member is refused on the next request, and their sessions end when they belong nowhere else", async () => {
  const grip = people['grip@x.org'];
  const both = people['both@x.org'];
  assert.equal((await call(server, grip, 'GET', P(prod.id))).status, 200);
  const r = await call(server, admin, 'POST', P(prod.id, `/members/${people.gripM.id}/revoke`));
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.revoked, true);
  assert.equal(r.json.sessions_ended, true);
  assertProblem(await call(server, grip, 'GET', P(prod.id)), 401, 'grip, who belongs nowhere else');
  // a member of another production keeps the session but loses this production
  const r2 = await call(server, admin, 'POST', P(prod.id, `/members/${people.bothM.id}/revoke`));
  assert.equal(r2.json.sessions_ended, false);
  assertProblem(await call(server, both, 'GET', P(prod.id)), 403, 'both, revoked here');
  assertProblem(await call(server, both, 'GET', P(prod.id, '/members')), 403, 'both, members');
  assert.equal((await call(server, both, 'GET', P(other.id))).status, 200, 'both, in the other production');
  // reinstated: access comes back on the next request
  await call(server, admin, 'POST', P(prod.id, `/members/${people.bothM.id}/reinstate`));
  assert.equal((await call(server, both, 'GET', P(prod.id))).status, 200);
});

test('a production keeps at least one production admin or producer', async () => {
  // the producer goes; the admin is then the last leader
  await call(server, admin, 'POST', P(prod.id, `/members/${people.producerM.id}/revoke`));
  const members = (await call(server, admin, 'GET', P(prod.id, '/members'))).json.members;
  const me = members.find((m) => m.email === 'admin@localhost');
  assertProblem(await call(server, admin, 'POST', P(prod.id, `/members/${me.id}/revoke`)), 409, 'revoking the last leader');
  assertProblem(await call(server, admin, 'PATCH', P(prod.id, `/members/${me.id}`), { body: { role: 'crew', department: 'Grip' } }), 409, 'demoting the last leader');
  assertProblem(await call(server, admin, 'POST', P(prod.id, '/members/mem_nosuchmember/revoke')), 404, 'no such member');
  assertProblem(await call(server, admin, 'POST', P(prod.id, `/members/${people.bothM.id.replace(/.$/, 'z')}/revoke`)), 404, 'a made-up member id');
});

test('admin controls are audited', () => {
  const r = { stdout: slateSql(server.data, "SELECT action || ':' || outcome FROM audit_event WHERE action LIKE 'member.%' OR action LIKE 'production.%'") };
  const seen = new Set(r.stdout.trim().split('\n'));
  for (const a of ['production.create:success', 'member.add:success', 'member.change:success', 'member.revoke:success', 'member.reinstate:success', 'member.write:denied']) {
    assert.ok(seen.has(a), `audited ${a}`);
  }
});
