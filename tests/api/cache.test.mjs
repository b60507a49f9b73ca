// The loop threads' caches (src/api/cache.c) never answer from a stale
// memory. Each test first asks the same thing twice, so the session, the
// reader and the call sheet are kept by the server, then changes what they
// depend on (through the API, or through `slate` from another process) and
// checks that the very next request already answers from the new state.
// The server runs one loop thread, so every request meets the same cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSlate, assertProblem, request } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let other;
let day1;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const people = {}; // key → person record (as the admin sees it)
const members = {}; // key → membership
const sessions = {}; // key → session

async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, r.body);
  return r.json;
}

/** Asks twice, so that the answer is the cached one the second time; returns it. */
async function warm(session, path) {
  await ok(call(server, session, 'GET', path));
  return ok(call(server, session, 'GET', path));
}

const sheetOf = (cs) => P(prod.id, `/callsheets/${cs.id}`);
const personIn = (list, key) => list.people.find((p) => p.id === people[key].id);

before(async () => {
  server = await startServer({ env: { SLATE_THREADS: '1' } });
  admin = await readyAdmin(server);
  prod = await ok(call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Cache Harbour', timezone: 'Europe/London' } }), 201);
  other = await ok(call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Elsewhere', timezone: 'UTC' } }), 201);
  let n = 0;
  for (const [key, role, dept] of [
    ['ad', 'ad', 'Direction/AD'],
    ['head', 'department_head', 'Camera'],
    ['crew', 'crew', 'Camera'],
    ['shell', 'crew', 'Grip'],
    ['leaver', 'crew', 'Grip'],
    ['gone', 'crew', 'Grip'],
  ]) {
    const email = `${key}@cache.example`;
    sessions[key] = await newAccount(server, email, `a long passphrase for the cache test ${n}`);
    members[key] = await ok(call(server, admin, 'POST', P(prod.id, '/members'), { body: { email, role, department: dept } }), 201);
    // a member elsewhere too, so that a revocation here leaves the session alive
    await ok(call(server, admin, 'POST', P(other.id, '/members'), { body: { email, role: 'crew', department: 'Grip' } }), 201);
    people[key] = await ok(call(server, admin, 'POST', P(prod.id, '/people'), {
      body: { name: `Person ${key}`, kind: 'crew', department: dept, job_title: role, account_email: email, personal_phone: `+44 7700 900${100 + n}`, work_phone: `+44 20 7946 ${1000 + n}` },
    }), 201);
    n++;
  }
  for (const [key, dept] of [['focus', 'Camera'], ['grip', 'Grip']]) {
    people[key] = await ok(call(server, admin, 'POST', P(prod.id, '/people'), {
      body: { name: `Person ${key}`, kind: 'crew', department: dept, job_title: 'crew', personal_phone: `+44 7700 900${100 + n++}` },
    }), 201);
  }
  day1 = await ok(call(server, sessions.ad, 'POST', P(prod.id, '/days'), { body: { date: '2027-04-01', general_call: '07:00', wrap_estimate: '19:00' } }), 201);
  for (const key of ['crew', 'shell', 'leaver', 'gone']) {
    await ok(call(server, sessions.ad, 'PUT', P(prod.id, `/days/${day1.id}/calls/${people[key].id}`), { body: { call: '06:30' } }));
  }
});

after(async () => {
  await server?.stop();
});

const publish = () => ok(call(server, sessions.ad, 'POST', P(prod.id, `/days/${day1.id}/callsheets`)), 201);

test("a revoked member's very next call sheet and people list are refused; reinstated, the next ones are answered", async () => {
  const cs = await publish();
  await warm(sessions.crew, sheetOf(cs));
  await warm(sessions.crew, P(prod.id, '/people'));
  await ok(call(server, admin, 'POST', P(prod.id, `/members/${members.crew.id}/revoke`)));
  assertProblem(await call(server, sessions.crew, 'GET', sheetOf(cs)), 403, 'the call sheet, just after the revocation');
  assertProblem(await call(server, sessions.crew, 'GET', P(prod.id, '/people')), 403, 'the people list, just after the revocation');
  await ok(call(server, sessions.crew, 'GET', P(other.id)));
  await ok(call(server, admin, 'POST', P(prod.id, `/members/${members.crew.id}/reinstate`)));
  await ok(call(server, sessions.crew, 'GET', sheetOf(cs)));
  await ok(call(server, sessions.crew, 'GET', P(prod.id, '/people')));
});

test('a member revoked from the shell (another process) is refused on the very next request', async () => {
  const cs = await publish();
  await warm(sessions.shell, sheetOf(cs));
  const r = runSlate(['member', 'revoke', '--data', server.data, '--production', prod.id, '--email', 'shell@cache.example']);
  assert.equal(r.code, 0, r.stderr);
  assertProblem(await call(server, sessions.shell, 'GET', sheetOf(cs)), 403, 'the call sheet after slate member revoke');
  assertProblem(await call(server, sessions.shell, 'GET', P(prod.id, '/people')), 403, 'the people list after slate member revoke');
});

test('an account disabled from the shell is signed out on the very next request', async () => {
  const cs = await publish();
  await warm(sessions.gone, sheetOf(cs));
  const r = runSlate(['user', 'disable', '--data', server.data, '--email', 'gone@cache.example']);
  assert.equal(r.code, 0, r.stderr);
  assertProblem(await call(server, sessions.gone, 'GET', sheetOf(cs)), 401, 'the call sheet of a disabled account');
});

test('a signed-out session is refused on its very next request', async () => {
  const cs = await publish();
  await warm(sessions.leaver, sheetOf(cs));
  await ok(call(server, sessions.leaver, 'POST', '/api/v1/auth/logout'), 204);
  assertProblem(await call(server, sessions.leaver, 'GET', sheetOf(cs)), 401, 'the call sheet after signing out');
});

test('a role change re-shapes the very next people list', async () => {
  const before_ = await warm(sessions.ad, P(prod.id, '/people'));
  assert.ok(personIn(before_, 'grip').personal_phone, 'an AD reads personal phones');
  await ok(call(server, admin, 'PATCH', P(prod.id, `/members/${members.ad.id}`), { body: { role: 'crew' } }));
  const after_ = await ok(call(server, sessions.ad, 'GET', P(prod.id, '/people')));
  assert.ok(!('personal_phone' in personIn(after_, 'grip')), 'crew read no one else\'s personal phone');
  await ok(call(server, admin, 'PATCH', P(prod.id, `/members/${members.ad.id}`), { body: { role: 'ad' } }));
  assert.ok(personIn(await ok(call(server, sessions.ad, 'GET', P(prod.id, '/people'))), 'grip').personal_phone, 'an AD again');
});

test('a department change re-shapes the very next people list', async () => {
  const camera = await warm(sessions.head, P(prod.id, '/people'));
  assert.ok(personIn(camera, 'focus').personal_phone, 'the head of camera reads camera');
  assert.ok(!('personal_phone' in personIn(camera, 'grip')), 'but not grip');
  await ok(call(server, admin, 'PATCH', P(prod.id, `/members/${members.head.id}`), { body: { role: 'department_head', department: 'Grip' } }));
  const grip = await ok(call(server, sessions.head, 'GET', P(prod.id, '/people')));
  assert.ok(personIn(grip, 'grip').personal_phone, 'now grip');
  assert.ok(!('personal_phone' in personIn(grip, 'focus')), 'and no longer camera');
  await ok(call(server, admin, 'PATCH', P(prod.id, `/members/${members.head.id}`), { body: { role: 'department_head', department: 'Camera' } }));
});

test("a call taken away refuses the very next call sheet read; given back, the next one is answered", async () => {
  const cs = await publish();
  await warm(sessions.crew, sheetOf(cs));
  await ok(call(server, sessions.ad, 'DELETE', P(prod.id, `/days/${day1.id}/calls/${people.crew.id}`)), 204);
  assertProblem(await call(server, sessions.crew, 'GET', sheetOf(cs)), 403, 'no longer called on the day');
  await ok(call(server, sessions.ad, 'PUT', P(prod.id, `/days/${day1.id}/calls/${people.crew.id}`), { body: { call: '06:30' } }));
  await ok(call(server, sessions.crew, 'GET', sheetOf(cs)));
});

test('an edited call and a new call sheet version are seen at once; the old version stays as published', async () => {
  const v1 = await publish();
  const callOf = (sheet) => sheet.sheet.calls.find((c) => c.person_id === people.crew.id).call;
  assert.equal(callOf(await warm(sessions.crew, sheetOf(v1))), '06:30');
  await warm(sessions.crew, P(prod.id, `/days/${day1.id}/callsheets`));
  await ok(call(server, sessions.ad, 'PUT', P(prod.id, `/days/${day1.id}/calls/${people.crew.id}`), { body: { call: '05:45' } }));
  const callIn = async (who) => (await ok(call(server, who, 'GET', P(prod.id, `/days/${day1.id}/calls`)))).calls.find((c) => c.person_id === people.crew.id).call;
  assert.equal(await callIn(sessions.ad), '05:45', 'the edited call, in the AD\'s draft at once');
  // crew read their calls as last published (docs/ROLES.md), so the edit reaches them with the next version
  assert.equal(await callIn(sessions.crew), '06:30', 'crew still read the published call');
  const v2 = await publish();
  assert.equal(v2.version, v1.version + 1);
  assert.equal(await callIn(sessions.crew), '05:45', 'the published edit, at once');
  const versions = await ok(call(server, sessions.crew, 'GET', P(prod.id, `/days/${day1.id}/callsheets`)));
  assert.equal(versions.callsheets[0].id, v2.id, 'the new version is listed first at once');
  assert.equal(callOf(await ok(call(server, sessions.crew, 'GET', sheetOf(v2)))), '05:45', 'the new version');
  assert.equal(callOf(await ok(call(server, sessions.crew, 'GET', sheetOf(v1)))), '06:30', 'version 1 as published');
  await ok(call(server, sessions.ad, 'PUT', P(prod.id, `/days/${day1.id}/calls/${people.crew.id}`), { body: { call: '06:30' } }));
});

test("one production's kept call sheet is never answered for another production's path", async () => {
  const cs = await publish();
  await warm(sessions.crew, sheetOf(cs));
  assertProblem(await call(server, sessions.crew, 'GET', P(other.id, `/callsheets/${cs.id}`)), 404, 'the same id under another production');
  assertProblem(await call(server, admin, 'GET', P(other.id, `/callsheets/${cs.id}`)), 404, 'the same id under another production, admin');
});

/** The people-page cache's hits and misses so far (/metrics). */
async function pageLookups() {
  const text = (await request(server, { path: '/metrics' })).body.toString();
  const n = {};
  for (const result of ['hit', 'miss']) {
    const m = text.match(new RegExp(`^slate_cache_lookups_total\\{cache="people",result="${result}"\\} (\\d+)$`, 'm'));
    assert.ok(m, `slate_cache_lookups_total{cache="people",result="${result}"} in /metrics`);
    n[result] = Number(m[1]);
  }
  return n;
}

/** The person.read_private events of the AD's account, newest first (the log is synced for its reader). */
async function adReads() {
  const events = await ok(call(server, admin, 'GET', P(prod.id, '/audit?limit=500')));
  return events.events.filter((e) => e.action === 'person.read_private' && e.actor === members.ad.user_id);
}

test('a kept people page is answered byte for byte again, each answer audited, and never to another reader or another query', async () => {
  const path = P(prod.id, '/people');
  // ask until an answer is the kept page (a write of the earlier tests may still be landing)
  let prev = await call(server, sessions.ad, 'GET', path);
  let kept = null;
  const reads = (await adReads()).length;
  let asked = 0;
  for (let i = 0; i < 10 && kept === null; i++) {
    const before_ = await pageLookups();
    const r = await call(server, sessions.ad, 'GET', path);
    asked++;
    const mid = await pageLookups();
    assert.equal(r.status, 200, r.body);
    if (mid.hit === before_.hit + 1) kept = r;
    else prev = r;
  }
  assert.ok(kept, 'one of ten answers was the kept page');
  assert.equal(kept.body.toString(), prev.body.toString(), 'the same bytes as the answer it kept');
  const events = await adReads();
  assert.equal(events.length, reads + asked, 'every answer, the kept one too, wrote its read audit');
  assert.equal(events[0].object, events[1].object, 'naming the same people');
  assert.ok(events[0].object.includes(people.grip.id), events[0].object);

  // the same path for another reader: their own page, never the AD's
  const head = await ok(call(server, sessions.head, 'GET', path));
  assert.ok(!('personal_phone' in personIn(head, 'grip')), 'the head of camera reads no grip personal phone');
  const crew = await ok(call(server, sessions.crew, 'GET', path));
  assert.ok(!('personal_phone' in personIn(crew, 'focus')), 'crew read no one else\'s personal phone');
  // the same reader, another page or filter: read again
  const two = await ok(call(server, sessions.ad, 'GET', `${path}?limit=2`));
  assert.equal(two.people.length, 2);
  const three = await ok(call(server, sessions.ad, 'GET', `${path}?limit=3`));
  assert.equal(three.people.length, 3);
  const grip = await ok(call(server, sessions.ad, 'GET', `${path}?department=Grip`));
  assert.ok(grip.people.length > 0 && grip.people.every((p) => p.department === 'Grip'), JSON.stringify(grip.people));
  assert.equal((await ok(call(server, sessions.ad, 'GET', `${path}?q=focus`))).people.length, 1);
});

test("a person's changed phone is in the very next people list of a reader whose page was kept", async () => {
  const path = P(prod.id, '/people');
  await warm(sessions.ad, path);
  await ok(call(server, admin, 'PATCH', P(prod.id, `/people/${people.grip.id}`), { body: { personal_phone: '+44 7700 900999' } }));
  assert.equal(personIn(await ok(call(server, sessions.ad, 'GET', path)), 'grip').personal_phone, '+44 7700 900999');
  // a write from another process too
  await warm(sessions.ad, path);
  const r = runSlate(['member', 'revoke', '--data', server.data, '--production', prod.id, '--email', 'ad@cache.example']);
  assert.equal(r.code, 0, r.stderr);
  assertProblem(await call(server, sessions.ad, 'GET', path), 403, 'the people list after slate member revoke');
  await ok(call(server, admin, 'POST', P(prod.id, `/members/${members.ad.id}/reinstate`)));
  await ok(call(server, sessions.ad, 'GET', path));
});

test("the AD's token gets the page kept for the AD's session only while the token lives; another production's token never", async () => {
  const path = P(prod.id, '/people');
  const mint = async (production) => ok(call(server, sessions.ad, 'POST', '/api/v1/me/tokens', { body: { name: 'people sync', production_id: production, access: 'read' } }), 201);
  const token = await mint(prod.id);
  const elsewhere = await mint(other.id);
  const bearer = (t) => request(server, { path, headers: { authorization: `Bearer ${t.token}` } });
  // the session reads, then the token asks (again, while a write of the set-up may still land)
  let kept = false;
  for (let i = 0; i < 10 && !kept; i++) {
    const bySession = await ok(call(server, sessions.ad, 'GET', path));
    const before_ = await pageLookups();
    const byToken = await bearer(token);
    assert.equal(byToken.status, 200, byToken.body);
    assert.deepEqual(JSON.parse(byToken.body.toString()), bySession, 'the same reader, the same page');
    kept = (await pageLookups()).hit === before_.hit + 1;
  }
  assert.ok(kept, 'one of ten token reads was answered from the page the session left');
  assertProblem(await bearer(elsewhere), 404, "a token for another production, on this production's kept page");
  await ok(call(server, sessions.ad, 'DELETE', `/api/v1/me/tokens/${token.id}`), 204);
  assertProblem(await bearer(token), 401, 'the revoked token, on the very next request');
  await ok(call(server, sessions.ad, 'GET', path));
});

test("with two loop threads, a revocation written through one is seen by the other's very next request", async () => {
  const two = await startServer({ env: { SLATE_THREADS: '2' } });
  try {
    const root = await readyAdmin(two);
    const q = await ok(call(two, root, 'POST', '/api/v1/productions', { body: { name: 'Two Loops', timezone: 'UTC' } }), 201);
    const elsewhere = await ok(call(two, root, 'POST', '/api/v1/productions', { body: { name: 'Two Loops Elsewhere', timezone: 'UTC' } }), 201);
    const crew = await newAccount(two, 'crew@two.example', 'a long passphrase for the second loop');
    const m = await ok(call(two, root, 'POST', P(q.id, '/members'), { body: { email: 'crew@two.example', role: 'crew', department: 'Grip' } }), 201);
    await ok(call(two, root, 'POST', P(elsewhere.id, '/members'), { body: { email: 'crew@two.example', role: 'crew', department: 'Grip' } }), 201);
    const person = await ok(call(two, root, 'POST', P(q.id, '/people'), { body: { name: 'Two Loops Grip', kind: 'crew', department: 'Grip', account_email: 'crew@two.example' } }), 201);
    const day = await ok(call(two, root, 'POST', P(q.id, '/days'), { body: { date: '2027-05-01', general_call: '07:00', wrap_estimate: '18:00' } }), 201);
    await ok(call(two, root, 'PUT', P(q.id, `/days/${day.id}/calls/${person.id}`), { body: { call: '06:00' } }));
    const cs = await ok(call(two, root, 'POST', P(q.id, `/days/${day.id}/callsheets`)), 201);
    // a connection per request, spread over both loops: sixteen leave both warm
    // unless every one landed on the same loop (1 in 32768)
    for (let i = 0; i < 16; i++) await ok(call(two, crew, 'GET', P(q.id, `/callsheets/${cs.id}`)));
    await ok(call(two, root, 'POST', P(q.id, `/members/${m.id}/revoke`)));
    for (let i = 0; i < 16; i++) {
      assertProblem(await call(two, crew, 'GET', P(q.id, `/callsheets/${cs.id}`)), 403, `request ${i + 1} after the revocation`);
    }
  } finally {
    await two.stop();
  }
});
