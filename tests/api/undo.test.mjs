// Mistakes can be undone (issue 16): days, scenes, locations and departments
// can be deleted by those who may write them (docs/ROLES.md), never from
// under a record that holds them (409 naming the holders); a day whose call
// sheet was published is cancelled instead, and the next version says so;
// one scene can be read; an invitation can be withdrawn; a production can be
// renamed and moved to another time zone; deleting a performer does not
// silently empty scenes' casts. Every change is audited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem } from './lib/harness.mjs';
import { mailedToken } from './lib/mail.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';
import { ROLES, documentedScope } from './lib/roles.mjs';

let server;
let admin;
let prod;
let other;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const sessions = {}; // role → session
const people = {}; // role → person record
let n = 0;

const mk = async (who, rest, body) => {
  const r = await call(server, who, 'POST', P(prod.id, rest), { body });
  assert.equal(r.status, 201, `${rest}: ${r.body}`);
  return r.json;
};
const day = (body = {}) => mk(admin, '/days', { date: `2028-0${1 + Math.floor(n / 28)}-${String(1 + (n++ % 28)).padStart(2, '0')}`, general_call: '07:00', wrap_estimate: '19:00', ...body });
const scene = (body = {}) => mk(admin, '/scenes', { number: `U${n++}`, int_ext: 'INT', day_night: 'DAY', set: 'Kitchen', eighths: 3, ...body });
const location = (body = {}) => mk(admin, '/locations', { name: `Yard ${n++}`, ...body });
const department = async () => {
  const r = await call(server, admin, 'POST', P(prod.id, '/departments'), { body: { name: `Dept ${n++}` } });
  assert.equal(r.status, 201, r.body);
  return r.json;
};
const auditActions = async () => (await call(server, admin, 'GET', P(prod.id, '/audit?limit=500'))).json.events;

const linkFor = (to) => mailedToken(server, to);

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Second Take', timezone: 'Europe/London' } })).json;
  other = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Elsewhere', timezone: 'UTC' } })).json;
  sessions.production_admin = admin;
  const roles = [['producer', null], ['ad', 'Direction/AD'], ['department_head', 'Camera'], ['crew', 'Camera'], ['cast', 'Cast']];
  let i = 0;
  for (const [role, dept] of roles) {
    const email = `${role}@second.example`;
    const s = await newAccount(server, email, `a long passphrase for the second take ${i++}`);
    if (role === 'producer') await enrolTotp(server, s);
    const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: dept ? { email, role, department: dept } : { email, role } });
    assert.equal(m.status, 201, m.body);
    const body = { name: `Person ${role}`, kind: role === 'cast' ? 'cast' : 'crew', account_email: email };
    if (dept) body.department = dept;
    if (role === 'cast') body.character_name = 'The Keeper';
    people[role] = await mk(admin, '/people', body);
    sessions[role] = s;
  }
});
after(async () => { await server?.stop(); });

test('crew and cast cannot delete; each role deletes days, scenes, locations and departments exactly as its write right in docs/ROLES.md says', async () => {
  const kinds = [
    ['days', 'schedule', day],
    ['scenes', 'schedule', scene],
    ['locations', 'location', location],
    ['departments', 'production', department],
  ];
  for (const role of ROLES) {
    for (const [rest, resource, make] of kinds) {
      const rec = await make();
      const res = await call(server, sessions[role], 'DELETE', P(prod.id, `/${rest}/${rec.id}`));
      const may = documentedScope('write', resource, role) === 'all';
      const what = `${role} deleting one of ${rest}`;
      if (!may) {
        assertProblem(res, 403, what);
        if (rest !== 'departments') assert.equal((await call(server, admin, 'GET', P(prod.id, `/${rest}/${rec.id}`))).status, 200, `${what}: still there`);
        else assert.ok((await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments.some((d) => d.id === rec.id), `${what}: still there`);
        continue;
      }
      assert.equal(res.status, 204, `${what}: ${res.body}`);
      if (rest !== 'departments') assertProblem(await call(server, admin, 'GET', P(prod.id, `/${rest}/${rec.id}`)), 404, `${what}: gone`);
      else assert.ok(!(await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments.some((d) => d.id === rec.id), `${what}: gone`);
      assertProblem(await call(server, admin, 'DELETE', P(prod.id, `/${rest}/${rec.id}`)), 404, `${what}: twice`);
    }
  }
  assert.equal(documentedScope('write', 'schedule', 'crew'), 'none');
  assert.equal(documentedScope('write', 'schedule', 'cast'), 'none');
});

test("another production's days, scenes, locations and departments are not found", async () => {
  for (const [rest, make] of [['days', day], ['scenes', scene], ['locations', location], ['departments', department]]) {
    const rec = await make();
    assertProblem(await call(server, admin, 'DELETE', P(other.id, `/${rest}/${rec.id}`)), 404, rest);
  }
});

test('a day with a published call sheet cannot be deleted, but can be cancelled: it stays, marked, and the next call sheet version says so', async () => {
  const d = await day();
  const put = await call(server, admin, 'PUT', P(prod.id, `/days/${d.id}/calls/${people.crew.id}`), { body: { call: '07:30' } });
  assert.equal(put.status, 200, put.body);
  const v1 = await call(server, admin, 'POST', P(prod.id, `/days/${d.id}/callsheets`));
  assert.equal(v1.status, 201, v1.body);
  assert.equal(v1.json.sheet.cancelled, false);

  const del = await call(server, sessions.ad, 'DELETE', P(prod.id, `/days/${d.id}`));
  assertProblem(del, 409, 'deleting a published day');
  assert.match(del.json.detail, /published/);
  assert.match(del.json.detail, /cancel/);
  assert.deepEqual(del.json.held_by.map((h) => [h.kind, h.id]), [['callsheet', v1.json.id]]);
  assert.equal((await call(server, admin, 'GET', P(prod.id, `/days/${d.id}`))).status, 200, 'the day is still there');

  assertProblem(await call(server, sessions.crew, 'POST', P(prod.id, `/days/${d.id}/cancel`)), 403, 'crew cancelling');
  assertProblem(await call(server, sessions.department_head, 'POST', P(prod.id, `/days/${d.id}/cancel`)), 403, 'a department head cancelling');
  const cancel = await call(server, sessions.ad, 'POST', P(prod.id, `/days/${d.id}/cancel`));
  assert.equal(cancel.status, 200, cancel.body);
  assert.equal(cancel.json.cancelled, true);
  assert.match(cancel.json.cancelled_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  const again = await call(server, sessions.producer, 'POST', P(prod.id, `/days/${d.id}/cancel`));
  assert.equal(again.json.cancelled_at, cancel.json.cancelled_at, 'cancelling twice keeps the first time');
  const read = await call(server, admin, 'GET', P(prod.id, `/days/${d.id}`));
  assert.equal(read.json.cancelled, true, 'the day read says cancelled');
  assert.equal((await call(server, admin, 'GET', P(prod.id, '/days'))).json.days.find((x) => x.id === d.id).cancelled, true, 'the day list says cancelled');

  const v2 = await call(server, admin, 'POST', P(prod.id, `/days/${d.id}/callsheets`));
  assert.equal(v2.status, 201, v2.body);
  assert.equal(v2.json.version, 2);
  assert.equal(v2.json.sheet.cancelled, true, 'the next version is marked cancelled');
  assert.equal((await call(server, admin, 'GET', P(prod.id, `/callsheets/${v1.json.id}`))).json.sheet.cancelled, false, 'the version people were sent is unchanged');

  const back = await call(server, sessions.ad, 'POST', P(prod.id, `/days/${d.id}/reinstate`));
  assert.equal(back.status, 200, back.body);
  assert.equal(back.json.cancelled, false);
  assert.ok(!('cancelled_at' in back.json));

  const events = await auditActions();
  assert.ok(events.some((e) => e.action === 'day.cancel' && e.object === d.id), 'the cancel is audited');
  assert.ok(events.some((e) => e.action === 'day.reinstate' && e.object === d.id), 'the reinstatement is audited');
});

test('a day that was never published is deleted with its calls, and the delete is audited', async () => {
  const d = await day();
  assert.equal((await call(server, admin, 'PUT', P(prod.id, `/days/${d.id}/calls/${people.crew.id}`), { body: { call: '08:00' } })).status, 200);
  const res = await call(server, sessions.ad, 'DELETE', P(prod.id, `/days/${d.id}`));
  assert.equal(res.status, 204, res.body);
  assertProblem(await call(server, admin, 'GET', P(prod.id, `/days/${d.id}/calls`)), 404, 'its calls went with it');
  assert.ok((await auditActions()).some((e) => e.action === 'day.delete' && e.object === d.id && e.outcome === 'success'));
});

test('a location used by a day answers 409 naming the day, and can be deleted once taken off it', async () => {
  const loc = await location();
  const d = await day({ locations: [loc.id] });
  const res = await call(server, sessions.ad, 'DELETE', P(prod.id, `/locations/${loc.id}`));
  assertProblem(res, 409, 'deleting a location in use');
  assert.deepEqual(res.json.held_by, [{ kind: 'day', id: d.id, name: `${d.date} Main` }]);
  assert.match(res.json.detail, new RegExp(d.date));
  assert.equal((await call(server, admin, 'GET', P(prod.id, `/locations/${loc.id}`))).status, 200, 'still there');
  assert.equal((await call(server, admin, 'PATCH', P(prod.id, `/days/${d.id}`), { body: { locations: [] } })).status, 200);
  assert.equal((await call(server, sessions.ad, 'DELETE', P(prod.id, `/locations/${loc.id}`))).status, 204);
  assert.ok((await auditActions()).some((e) => e.action === 'location.delete' && e.object === loc.id));
});

test('a scene on a day answers 409 naming the day', async () => {
  const sc = await scene();
  const d = await day({ scenes: [sc.id] });
  const res = await call(server, admin, 'DELETE', P(prod.id, `/scenes/${sc.id}`));
  assertProblem(res, 409, 'deleting a scene on a day');
  assert.deepEqual(res.json.held_by, [{ kind: 'day', id: d.id, name: `${d.date} Main` }]);
  assert.equal((await call(server, admin, 'PATCH', P(prod.id, `/days/${d.id}`), { body: { scenes: [] } })).status, 200);
  assert.equal((await call(server, admin, 'DELETE', P(prod.id, `/scenes/${sc.id}`))).status, 204);
  assert.ok((await auditActions()).some((e) => e.action === 'scene.delete' && e.object === sc.id));
});

test('a department with people answers 409 naming them', async () => {
  const dep = await department();
  const p = await mk(admin, '/people', { name: 'Dora Dolly', kind: 'crew', department: dep.name });
  const res = await call(server, admin, 'DELETE', P(prod.id, `/departments/${dep.id}`));
  assertProblem(res, 409, 'deleting a department with people');
  assert.deepEqual(res.json.held_by, [{ kind: 'person', id: p.id, name: 'Dora Dolly' }]);
  assert.ok((await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments.some((d) => d.id === dep.id), 'still there');
  // members hold it too
  const held = await call(server, admin, 'DELETE', P(prod.id, '/departments/' + (await call(server, admin, 'GET', P(prod.id, '/departments'))).json.departments.find((d) => d.name === 'Camera').id));
  assertProblem(held, 409, 'deleting a department with members');
  assert.ok(held.json.held_by.some((h) => h.kind === 'member'), held.body);
  assert.equal((await call(server, admin, 'DELETE', P(prod.id, `/people/${p.id}`))).status, 204);
  assert.equal((await call(server, admin, 'DELETE', P(prod.id, `/departments/${dep.id}`))).status, 204);
  assert.ok((await auditActions()).some((e) => e.action === 'department.delete' && e.object === dep.id));
});

test('one scene is read as the scene list shows it, to those who may see it', async () => {
  const sc = await scene({ synopsis: 'The keeper lights the lamp.', cast: [people.cast.id] });
  const res = await call(server, admin, 'GET', P(prod.id, `/scenes/${sc.id}`));
  assert.equal(res.status, 200, res.body);
  assert.deepEqual(res.json, (await call(server, admin, 'GET', P(prod.id, '/scenes'))).json.scenes.find((x) => x.id === sc.id));
  assert.equal(res.json.synopsis, 'The keeper lights the lamp.');
  assert.deepEqual(res.json.cast, [people.cast.id]);
  // crew and cast see a scene only on a day they are called on
  assertProblem(await call(server, sessions.crew, 'GET', P(prod.id, `/scenes/${sc.id}`)), 403, 'crew, not called');
  const d = await day({ scenes: [sc.id] });
  for (const role of ['crew', 'cast']) {
    assert.equal((await call(server, admin, 'PUT', P(prod.id, `/days/${d.id}/calls/${people[role].id}`), { body: { call: '09:00' } })).status, 200);
  }
  const crew = await call(server, sessions.crew, 'GET', P(prod.id, `/scenes/${sc.id}`));
  assert.equal(crew.status, 200, crew.body);
  assert.ok(!('synopsis' in crew.json), 'crew read no synopsis');
  const cast = await call(server, sessions.cast, 'GET', P(prod.id, `/scenes/${sc.id}`));
  assert.equal(cast.json.synopsis, 'The keeper lights the lamp.', 'cast called on the day read it');
  assertProblem(await call(server, admin, 'GET', P(other.id, `/scenes/${sc.id}`)), 404, 'another production');
  assertProblem(await call(server, admin, 'GET', P(prod.id, '/scenes/scn_aaaaaaaaaaaaaaaaaaaaaaaaaa')), 404, 'no such scene');
});

test("a withdrawn invitation's link stops working", async () => {
  const inv = await mk(admin, '/invitations', { email: 'withdrawn@second.example', role: 'crew', department: 'Camera' });
  const token = await linkFor('withdrawn@second.example');
  assertProblem(await call(server, sessions.ad, 'DELETE', P(prod.id, `/invitations/${inv.id}`)), 403, 'an AD withdrawing');
  assertProblem(await call(server, sessions.crew, 'DELETE', P(prod.id, `/invitations/${inv.id}`)), 403, 'crew withdrawing');
  assertProblem(await call(server, admin, 'DELETE', P(other.id, `/invitations/${inv.id}`)), 404, 'from another production');
  assert.equal((await call(server, sessions.producer, 'DELETE', P(prod.id, `/invitations/${inv.id}`))).status, 204);
  assert.ok(!(await call(server, admin, 'GET', P(prod.id, '/invitations'))).json.invitations.some((v) => v.id === inv.id), 'no longer pending');
  const accept = await request(server, { method: 'POST', path: '/api/v1/invitations/accept', body: { token, password: 'a passphrase nobody will ever use here' } });
  assertProblem(accept, 400, 'accepting a withdrawn invitation');
  assertProblem(await call(server, admin, 'DELETE', P(prod.id, `/invitations/${inv.id}`)), 404, 'withdrawn twice');
  assert.ok((await auditActions()).some((e) => e.action === 'invitation.withdraw' && e.object === inv.id));
});

test('a production is renamed and moved to another time zone; a zone the system does not know is refused', async () => {
  assertProblem(await call(server, sessions.ad, 'PATCH', P(prod.id), { body: { name: 'Not Mine' } }), 403, 'an AD renaming');
  const bad = await call(server, admin, 'PATCH', P(prod.id), { body: { name: '', timezone: 'Mars/Olympus_Mons' } });
  assertProblem(bad, 400, 'a bad name and zone');
  assert.deepEqual(bad.json.errors.map((x) => x.pointer).sort(), ['/name', '/timezone']);
  assertProblem(await call(server, admin, 'PATCH', P(prod.id), { body: {} }), 400, 'nothing to change');
  const res = await call(server, admin, 'PATCH', P(prod.id), { body: { name: 'Second Take (US)', timezone: 'America/New_York' } });
  assert.equal(res.status, 200, res.body);
  assert.equal(res.json.name, 'Second Take (US)');
  assert.equal(res.json.timezone, 'America/New_York');
  assert.equal(res.json.require_mfa, false, 'require_mfa untouched');
  const read = await call(server, sessions.crew, 'GET', P(prod.id));
  assert.deepEqual([read.json.name, read.json.timezone], ['Second Take (US)', 'America/New_York']);
  const events = await auditActions();
  assert.ok(events.some((e) => e.action === 'production.rename' && e.object === prod.id));
  assert.ok(events.some((e) => e.action === 'production.timezone' && e.object === prod.id));
  // require_mfa alone still works and leaves the name
  const mfa = await call(server, admin, 'PATCH', P(prod.id), { body: { require_mfa: false } });
  assert.equal(mfa.json.name, 'Second Take (US)');
});

test("deleting a performer who is in scenes' casts is refused naming the scenes unless forced, and what was removed is audited", async () => {
  const actor = await mk(admin, '/people', { name: 'Ada Actor', kind: 'cast', character_name: 'The Ferryman', department: 'Cast' });
  const a = await scene({ cast: [actor.id, people.cast.id] });
  const b = await scene({ cast: [actor.id] });
  assertProblem(await call(server, sessions.crew, 'DELETE', P(prod.id, `/people/${actor.id}`)), 403, 'crew deleting a person');
  const res = await call(server, admin, 'DELETE', P(prod.id, `/people/${actor.id}`));
  assertProblem(res, 409, 'deleting a performer in two scenes');
  assert.deepEqual(res.json.held_by.map((h) => h.id).sort(), [a.id, b.id].sort());
  assert.deepEqual(res.json.held_by.map((h) => h.name).sort(), [a.number, b.number].sort());
  assert.deepEqual((await call(server, admin, 'GET', P(prod.id, `/scenes/${a.id}`))).json.cast.sort(), [actor.id, people.cast.id].sort(), 'nothing removed');
  assertProblem(await call(server, admin, 'DELETE', P(prod.id, `/people/${actor.id}?force=maybe`)), 400, 'force must be a boolean');
  const forced = await call(server, admin, 'DELETE', P(prod.id, `/people/${actor.id}?force=true`));
  assert.equal(forced.status, 204, forced.body);
  assert.deepEqual((await call(server, admin, 'GET', P(prod.id, `/scenes/${a.id}`))).json.cast, [people.cast.id]);
  assert.deepEqual((await call(server, admin, 'GET', P(prod.id, `/scenes/${b.id}`))).json.cast, []);
  const events = await auditActions();
  const del = events.find((e) => e.action === 'person.delete' && e.object === actor.id);
  assert.ok(del, 'the delete is audited');
  const removed = events.filter((e) => e.action === 'scene.cast_remove' && e.request_id === del.request_id).map((e) => e.object).sort();
  assert.deepEqual(removed, [a.id, b.id].sort(), 'each scene the performer left is audited with the delete');
  // a performer in no scene is deleted without force
  const lone = await mk(admin, '/people', { name: 'Lone Extra', kind: 'cast', department: 'Cast' });
  assert.equal((await call(server, admin, 'DELETE', P(prod.id, `/people/${lone.id}`))).status, 204);
});

test('a department a pending invitation names answers 409 naming it, and is free once the invitation is withdrawn', async () => {
  const dep = await department();
  const inv = await mk(admin, '/invitations', { email: 'pending@second.example', role: 'crew', department: dep.name });
  const res = await call(server, sessions.producer, 'DELETE', P(prod.id, `/departments/${dep.id}`));
  assertProblem(res, 409, 'deleting a department a pending invitation names');
  assert.deepEqual(res.json.held_by, [{ kind: 'invitation', id: inv.id, name: 'crew' }]);
  assert.ok(!res.body.includes('pending@second.example'), 'the invited address is not repeated');
  assert.equal((await call(server, admin, 'DELETE', P(prod.id, `/invitations/${inv.id}`))).status, 204);
  assert.equal((await call(server, sessions.producer, 'DELETE', P(prod.id, `/departments/${dep.id}`))).status, 204);
});
