// An instance administrator's member right (issue 15 item 9): it manages the
// memberships of others and never reads people. A production admin who
// revokes an instance administrator is obeyed: the administrator cannot
// reinstate, re-add, re-invite or promote themselves, and, revoked or never a
// member, reads no person, contact or export of the production by any route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runSlate, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp, signInAndChangePassword } from './lib/session.mjs';

let server;
let admin; // the first instance admin, production admin of prod
let prod;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const ia = {}; // key → {session, email, id}
const person = { name: 'Marguerite Okonkwo-Bell', kind: 'crew', department: 'Camera', work_phone: '+44 20 7946 0555', personal_phone: '+44 7700 900555', personal_email: 'marguerite@private.example', home_address: '55 Quayside Mews', emergency_contact: 'Her brother, +44 7700 900556', date_of_birth: '1979-11-05', medical: 'epilepsy, carries medication', id_numbers: 'PASSPORT-555555555' };
const SECRETS = ['Marguerite', '55 Quayside', '900555', 'epilepsy', 'PASSPORT-555', 'marguerite@private'];
let pid;

async function instanceAdmin(email, n) {
  const add = runSlate(['user', 'add', '--email', email, '--admin', '--data', server.data, '--json']);
  assert.equal(add.code, 0, add.stderr);
  const session = await signInAndChangePassword(server, `the night watch keeps its ledger ${n}`, { email, oneTime: JSON.parse(add.stdout).password });
  await enrolTotp(server, session);
  const me = await call(server, session, 'GET', '/api/v1/me');
  return { session, email, id: me.json.user.id };
}

/** Every route that could show a person: none may carry the person's name or fields. */
async function assertReadsNoPeople(session, what) {
  const routes = ['/people', `/people/${pid}`, '/export?format=json', '/export?format=csv&table=people', '/export?format=vcf',
    '/audit?limit=500', '/locations', '/days', '/attachments', '/sustainability/entries'];
  for (const r of routes) {
    const res = await call(server, session, 'GET', P(prod.id, r));
    for (const s of SECRETS) assert.ok(!(res.body ?? '').includes(s), `${what}: GET ${r} (${res.status}) shows ${s}`);
    if (r === '/people') assert.deepEqual(res.status === 200 ? res.json.people : [], [], `${what}: the people list is empty`);
    else if (r !== '/locations' && r !== '/days' && r !== '/sustainability/entries') assert.ok(res.status === 403 || res.status === 404, `${what}: GET ${r} → ${res.status}`);
  }
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Operators Beware', timezone: 'UTC' } })).json;
  const p = await call(server, admin, 'POST', P(prod.id, '/people'), { body: person });
  assert.equal(p.status, 201, p.body);
  pid = p.json.id;
  ia.coadmin = await instanceAdmin('operator@ops.example', 1);
  ia.outsider = await instanceAdmin('outsider@ops.example', 2);
  const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: { email: ia.coadmin.email, role: 'production_admin' } });
  assert.equal(m.status, 201, m.body);
  ia.coadmin.mid = m.json.id;
});
after(async () => { await server?.stop(); });

test('an instance administrator revoked by the production admin cannot reinstate themselves, nor read anyone', async () => {
  const me = ia.coadmin;
  // while a production admin, they read the person's private fields: that is their role's right
  const before = await call(server, me.session, 'GET', P(prod.id, `/people/${pid}`));
  assert.equal(before.json?.home_address, person.home_address);
  const rev = await call(server, admin, 'POST', P(prod.id, `/members/${me.mid}/revoke`));
  assert.equal(rev.status, 200, rev.body);
  // the attack: reinstate oneself through the instance right, then read
  const back = await call(server, me.session, 'POST', P(prod.id, `/members/${me.mid}/reinstate`));
  await assertReadsNoPeople(me.session, 'the revoked instance admin after trying to reinstate themselves');
  const refused = assertProblem(back, 403, 'reinstating oneself');
  assert.match(refused.detail, /cannot .*reinstate themselves/);
  const list = await call(server, admin, 'GET', P(prod.id, '/members'));
  assert.equal(list.json.members.find((m) => m.id === me.mid).revoked, true, 'the membership stays revoked');
  // nor any other way back in through the instance right
  assertProblem(await call(server, me.session, 'PATCH', P(prod.id, `/members/${me.mid}`), { body: { role: 'producer' } }), 403, 'changing one\'s own revoked membership');
  assertProblem(await call(server, me.session, 'POST', P(prod.id, '/members'), { body: { email: me.email.toUpperCase(), role: 'production_admin' } }), 403, 'adding oneself again');
  assertProblem(await call(server, me.session, 'POST', P(prod.id, '/invitations'), { body: { email: me.email, role: 'production_admin' } }), 403, 'inviting oneself');
  await assertReadsNoPeople(me.session, 'the revoked instance admin');
  const denied = (await call(server, admin, 'GET', P(prod.id, '/audit?limit=500'))).json.events.filter((e) => e.action === 'member.write_self' && e.actor === me.id);
  assert.equal(denied.length, 4, 'each refused self-change is audited');
  assert.ok(denied.every((e) => e.outcome === 'denied'));
});

test('an instance administrator who is no member manages others but cannot make themselves a member or read people', async () => {
  const me = ia.outsider;
  await assertReadsNoPeople(me.session, 'an instance admin who is no member');
  assertProblem(await call(server, me.session, 'POST', P(prod.id, '/members'), { body: { email: me.email, role: 'production_admin' } }), 403, 'adding oneself');
  assertProblem(await call(server, me.session, 'POST', P(prod.id, '/invitations'), { body: { email: me.email.toUpperCase(), role: 'producer' } }), 403, 'inviting oneself');
  const members = await call(server, me.session, 'GET', P(prod.id, '/members'));
  assert.equal(members.status, 200, 'the member list is theirs to manage');
  assert.ok(!members.json.members.some((m) => m.email === me.email), 'and they are not on it');
  // the right itself still works, for others
  await newAccount(server, 'gaffer@ops.example', 'lamps and cables before sunrise');
  const add = await call(server, me.session, 'POST', P(prod.id, '/members'), { body: { email: 'gaffer@ops.example', role: 'crew', department: 'Electric' } });
  assert.equal(add.status, 201, add.body);
  // and the revoked co-admin may be reinstated by someone else
  const back = await call(server, me.session, 'POST', P(prod.id, `/members/${ia.coadmin.mid}/reinstate`));
  assert.equal(back.status, 200, back.body);
  const read = await call(server, ia.coadmin.session, 'GET', P(prod.id, `/people/${pid}`));
  assert.equal(read.status, 200, read.body);
});
