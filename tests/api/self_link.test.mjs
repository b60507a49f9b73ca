// Whose record is it (issue 15 item 1): `self` in docs/ROLES.md is the person
// record linked to the reader's account, so the link is an identity decision.
// Only production admins and producers set or change `account_email`; a link
// made to a record that already holds sealed fields someone else wrote opens
// them only once the linked account confirms it. Every way found to make a
// record "self" is tried here as the attacker would try it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem } from './lib/harness.mjs';
import { mailedToken } from './lib/mail.mjs';
import { call, newAccount, readyAdmin, enrolTotp, signIn } from './lib/session.mjs';

let server;
let admin;
let prod;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

const PERSONAL = ['personal_phone', 'personal_email'];
const PRIVATE = ['home_address', 'emergency_contact', 'date_of_birth', 'dietary', 'medical', 'id_numbers'];
const who = {}; // key → {session, email, id (account id), record (person JSON as the admin sees it)}
const victims = {}; // key → person JSON as the admin sees it

function sealedFor(key, n) {
  return {
    work_phone: `+44 20 7946 ${2000 + n}`,
    work_email: `${key}.work@self.example`,
    personal_phone: `+44 7700 900${300 + n}`,
    personal_email: `${key}.home@private.example`,
    home_address: `${n} Juniper Close, ${key}`,
    emergency_contact: `Next of kin of ${key}, +44 7700 900888`,
    date_of_birth: `198${n % 10}-0${1 + (n % 9)}-2${n % 9}`,
    dietary: `no peanuts (${key})`,
    medical: `type 1 diabetic (${key})`,
    id_numbers: `PASSPORT-${key.toUpperCase()}-${n}`,
  };
}

const pointerOf = (res) => res.json?.errors?.[0]?.pointer;

function assertNoneOf(res, fields, victim, what) {
  for (const f of fields) assert.ok(!(f in res.json), `${what}: ${f} is not shown`);
  for (const f of fields) assert.ok(!res.body.includes(victim[f]), `${what}: ${f}'s value is nowhere in the answer`);
}

async function accountId(session) {
  const me = await call(server, session, 'GET', '/api/v1/me');
  assert.equal(me.status, 200, me.body);
  return me.json.user.id;
}

async function addPerson(body) {
  const res = await call(server, admin, 'POST', P(prod.id, '/people'), { body });
  assert.equal(res.status, 201, res.body);
  return res.json;
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Whose Record', timezone: 'Europe/London' } })).json;
  let n = 0;
  for (const [key, role, dept, record] of [
    ['producer', 'producer', null, false],
    ['ad', 'ad', 'Direction/AD', true],
    ['camhead', 'department_head', 'Camera', true],
    ['camop', 'crew', 'Camera', true],
    ['lead', 'cast', 'Cast', true],
    ['newbie', 'crew', 'Grip', false], // a member without a record yet
    ['other', 'crew', 'Grip', false],
  ]) {
    const email = `${key}@self.example`;
    const session = await newAccount(server, email, `a long passphrase for the record keeper ${n++}`);
    if (role === 'producer') await enrolTotp(server, session);
    const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: dept ? { email, role, department: dept } : { email, role } });
    assert.equal(m.status, 201, m.body);
    who[key] = { session, email, id: await accountId(session) };
    // their own record: linked by the admin, with no sealed field yet
    if (record) who[key].record = await addPerson({ name: `Person ${key}`, kind: role === 'cast' ? 'cast' : 'crew', department: dept, account_email: email });
  }
  who.admin = { session: admin, id: await accountId(admin) };
  for (const [key, dept] of [['victim', 'Grip'], ['camvictim', 'Camera'], ['gripvictim', 'Grip'], ['fresh', 'Grip'], ['castvictim', 'Cast']]) {
    victims[key] = await addPerson({ name: `Victim ${key}`, kind: dept === 'Cast' ? 'cast' : 'crew', department: dept, ...sealedFor(key, n++) });
  }
});
after(async () => { await server?.stop(); });

test("an AD cannot make another person's record their own", async () => {
  const ad = who.ad;
  const victim = victims.victim;
  // the attack: clear the link on one's own record, put one's address on another's, read it
  const clear = await call(server, ad.session, 'PATCH', P(prod.id, `/people/${ad.record.id}`), { body: { account_email: '' } });
  const take = await call(server, ad.session, 'PATCH', P(prod.id, `/people/${victim.id}`), { body: { account_email: ad.email } });
  const read = await call(server, ad.session, 'GET', P(prod.id, `/people/${victim.id}`));
  assert.equal(read.status, 200, read.body);
  assertNoneOf(read, PRIVATE, victim, 'the AD reading the victim after the attempt');
  assert.equal(read.json.linked, false, "the record is still nobody's");
  const exp = await call(server, ad.session, 'GET', P(prod.id, '/export?format=json'));
  assert.equal(exp.status, 200, exp.body);
  for (const f of PRIVATE) assert.ok(!exp.body.includes(victim[f]), `the AD's own export holds no ${f} of the victim`);
  // each step was refused, naming the field
  assertProblem(clear, 403, 'an AD clearing the link on their own record');
  assert.equal(pointerOf(clear), '/account_email');
  assertProblem(take, 403, "an AD linking another person's record to their account");
  assert.equal(pointerOf(take), '/account_email');
  const own = await call(server, admin, 'GET', P(prod.id, `/people/${ad.record.id}`));
  assert.equal(own.json.linked, true, "the AD's own record is still linked to the AD");
});

test('a department head cannot make a record in their department their own', async () => {
  const head = who.camhead;
  const victim = victims.camvictim;
  const clear = await call(server, head.session, 'PATCH', P(prod.id, `/people/${head.record.id}`), { body: { account_email: '' } });
  const take = await call(server, head.session, 'PATCH', P(prod.id, `/people/${victim.id}`), { body: { account_email: head.email } });
  const read = await call(server, head.session, 'GET', P(prod.id, `/people/${victim.id}`));
  assert.equal(read.status, 200, read.body);
  assertNoneOf(read, PRIVATE, victim, 'the department head reading a crew member of their department');
  assert.equal(read.json.personal_phone, victim.personal_phone, 'the department scope still shows the personal phone');
  assertProblem(clear, 403, 'a department head clearing the link on their own record');
  assert.equal(pointerOf(clear), '/account_email');
  assertProblem(take, 403, 'a department head linking a record of their department to their account');
  assert.equal(pointerOf(take), '/account_email');
});

test('a department head cannot move a record into their department to read it', async () => {
  const head = who.camhead;
  const victim = victims.gripvictim;
  const move = await call(server, head.session, 'PATCH', P(prod.id, `/people/${victim.id}`), { body: { department: 'Camera' } });
  assertProblem(move, 403, 'a Camera head moving a Grip record into Camera');
  const read = await call(server, head.session, 'GET', P(prod.id, `/people/${victim.id}`));
  assert.equal(read.status, 200, read.body);
  assert.equal(read.json.department, 'Grip');
  assertNoneOf(read, [...PERSONAL, ...PRIVATE], victim, 'the Camera head reading a Grip record');
});

test('nobody but production admins and producers sets account_email, on create or change, in any spelling', async () => {
  for (const key of ['ad', 'camhead', 'camop', 'lead']) {
    const { session, email, record } = who[key];
    const kind = key === 'lead' ? 'cast' : 'crew';
    for (const value of [email, email.toUpperCase(), ` ${email}`, email.replace('@', '\uFF20'), email.replace('e', '\u0435'), '']) {
      const create = await call(server, session, 'POST', P(prod.id, '/people'), { body: { name: `Another ${key}`, kind, account_email: value } });
      assertProblem(create, 403, `${key} creating a person with account_email ${JSON.stringify(value)}`);
      assert.equal(pointerOf(create), '/account_email', `${key} create: ${create.body}`);
    }
    // even a change that changes nothing: the field is not theirs to send
    const same = await call(server, session, 'PATCH', P(prod.id, `/people/${record.id}`), { body: { account_email: email } });
    assertProblem(same, 403, `${key} re-sending their own link`);
    assert.equal(pointerOf(same), '/account_email');
  }
  const names = (await call(server, admin, 'GET', P(prod.id, '/people?limit=500'))).json.people.map((p) => p.name);
  assert.ok(!names.some((x) => x.startsWith('Another ')), 'no refused person was created');
  // a producer may: they manage members
  const made = await call(server, who.producer.session, 'POST', P(prod.id, '/people'), { body: { name: 'Producer made', kind: 'crew', account_email: who.other.email } });
  assert.equal(made.status, 201, made.body);
  assert.equal(made.json.linked, true);
  assert.equal(made.json.link_confirmed, true, 'a link to a record with nothing sealed in it is confirmed at once');
  const unlink = await call(server, who.producer.session, 'PATCH', P(prod.id, `/people/${made.json.id}`), { body: { account_email: '' } });
  assert.equal(unlink.status, 200, unlink.body);
  assert.equal(unlink.json.linked, false);
});

test('one account has at most one record in a production, whatever the spelling of its email', async () => {
  const ad = who.ad;
  for (const value of [ad.email, ad.email.toUpperCase(), ad.email.replace('ad', 'Ad')]) {
    const second = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: 'Second AD record', kind: 'crew', account_email: value } });
    assertProblem(second, 409, `a second record for the AD via ${JSON.stringify(value)}`);
    assert.equal(pointerOf(second), '/account_email');
  }
  for (const value of [ad.email.replace('e', '\u0435'), ad.email.replace('@', '\uFF20'), `  ${ad.email}`, `${ad.email}\u200B`]) {
    const lookalike = await call(server, admin, 'PATCH', P(prod.id, `/people/${victims.fresh.id}`), { body: { account_email: value } });
    assertProblem(lookalike, 400, `a look-alike of the AD's email ${JSON.stringify(value)}`);
    assert.equal(pointerOf(lookalike), '/account_email');
  }
  const open = (await call(server, ad.session, 'GET', P(prod.id, '/people?limit=500'))).json.people.filter((p) => PRIVATE.some((f) => f in p));
  assert.deepEqual(open.map((p) => p.id), [ad.record.id], 'the AD reads private fields of their own record only');
});

test("a link an admin makes to a record holding others' fields opens them only when the linked account confirms it", async () => {
  const newbie = who.newbie;
  const victim = victims.victim;
  const link = await call(server, admin, 'PATCH', P(prod.id, `/people/${victim.id}`), { body: { account_email: newbie.email } });
  assert.equal(link.status, 200, link.body);
  assert.equal(link.json.linked, true);
  assert.equal(link.json.link_confirmed, false, 'the record holds fields someone else wrote');
  let read = await call(server, newbie.session, 'GET', P(prod.id, `/people/${victim.id}`));
  assert.equal(read.status, 200, read.body);
  assert.equal(read.json.link_confirmed, false);
  assertNoneOf(read, [...PERSONAL, ...PRIVATE], victim, 'the linked account before confirming');
  const exp = await call(server, newbie.session, 'GET', P(prod.id, '/export?format=json'));
  assert.equal(exp.status, 200, exp.body);
  for (const f of [...PERSONAL, ...PRIVATE]) assert.ok(!exp.body.includes(victim[f]), `the unconfirmed export holds no ${f}`);
  const write = await call(server, newbie.session, 'PATCH', P(prod.id, `/people/${victim.id}`), { body: { medical: 'nothing at all' } });
  assertProblem(write, 403, 'writing private fields before confirming');
  assert.equal(pointerOf(write), '/medical');
  // only the linked account confirms: not another member, not the admin who linked it
  for (const k of ['other', 'ad', 'admin']) {
    assertProblem(await call(server, who[k].session, 'POST', P(prod.id, `/people/${victim.id}/confirm-link`)), 403, `${k} confirming someone else's link`);
  }
  assertProblem(await call(server, newbie.session, 'POST', P(prod.id, `/people/${victims.fresh.id}/confirm-link`)), 403, 'confirming a record not linked to you');
  assertProblem(await call(server, newbie.session, 'POST', P(prod.id, '/people/per_nosuchpersonxxxxxxxxxxxxxx/confirm-link')), 404, 'confirming no record');
  const confirm = await call(server, newbie.session, 'POST', P(prod.id, `/people/${victim.id}/confirm-link`));
  assert.equal(confirm.status, 204, confirm.body);
  read = await call(server, newbie.session, 'GET', P(prod.id, `/people/${victim.id}`));
  assert.equal(read.json.link_confirmed, true);
  for (const f of [...PERSONAL, ...PRIVATE]) assert.equal(read.json[f], victim[f], `confirmed: ${f} is the person's own`);
  const events = (await call(server, admin, 'GET', P(prod.id, '/audit?limit=500'))).json.events.filter((e) => e.action === 'person.confirm_link');
  assert.deepEqual(events.filter((e) => e.outcome === 'success').map((e) => [e.actor, e.object]), [[newbie.id, victim.id]], 'the confirmation is audited, by whom and of what');
  assert.ok(events.some((e) => e.outcome === 'denied' && e.actor === who.other.id), 'a refused confirmation is audited');
  // a new link starts over: unlink and link again, and the record is not open until confirmed
  assert.equal((await call(server, admin, 'PATCH', P(prod.id, `/people/${victim.id}`), { body: { account_email: '' } })).status, 200);
  const again = await call(server, admin, 'PATCH', P(prod.id, `/people/${victim.id}`), { body: { account_email: newbie.email } });
  assert.equal(again.json.link_confirmed, false, 'a link made again waits for confirmation again');
  read = await call(server, newbie.session, 'GET', P(prod.id, `/people/${victim.id}`));
  assertNoneOf(read, [...PERSONAL, ...PRIVATE], victim, 'after a new link');
});

test('a link to a record with nothing sealed in it is confirmed at once; the person then keeps their own fields', async () => {
  const ad = who.ad;
  const own = await call(server, ad.session, 'GET', P(prod.id, `/people/${ad.record.id}`));
  assert.equal(own.status, 200, own.body);
  assert.equal(own.json.link_confirmed, true);
  const w = await call(server, ad.session, 'PATCH', P(prod.id, `/people/${ad.record.id}`), { body: { home_address: '1 Assistant Way', dietary: 'vegan' } });
  assert.equal(w.status, 200, w.body);
  assert.equal(w.json.home_address, '1 Assistant Way');
  const cast = who.lead;
  const c = await call(server, cast.session, 'PATCH', P(prod.id, `/people/${cast.record.id}`), { body: { personal_phone: '+44 7700 900777' } });
  assert.equal(c.status, 200, c.body);
  assert.equal(c.json.personal_phone, '+44 7700 900777');
});

test('being added as a member or accepting an invitation links no record, even one that carries the same email', async () => {
  const email = 'invitee@self.example';
  const rec = await addPerson({ name: 'Invitee record', kind: 'crew', department: 'Grip', ...sealedFor('invitee', 90), personal_email: email });
  const inv = await call(server, admin, 'POST', P(prod.id, '/invitations'), { body: { email, role: 'crew', department: 'Grip' } });
  assert.equal(inv.status, 201, inv.body);
  const token = await mailedToken(server, email);
  const password = 'a grip who reads every record twice';
  const acc = await request(server, { method: 'POST', path: '/api/v1/invitations/accept', body: { token, password }, headers: { origin: server.origin } });
  assert.equal(acc.status, 201, acc.body);
  const s = await signIn(server, { email, password });
  const read = await call(server, s, 'GET', P(prod.id, `/people/${rec.id}`));
  assert.equal(read.status, 200, read.body);
  assert.equal(read.json.linked, false, 'the invitation did not link the record');
  assertNoneOf(read, [...PERSONAL, ...PRIVATE], rec, 'the invitee reading the record with their email');
  // a member added by email: the same
  const email2 = 'added@self.example';
  const rec2 = await addPerson({ name: 'Added record', kind: 'crew', department: 'Grip', ...sealedFor('added', 91), personal_email: email2 });
  const s2 = await newAccount(server, email2, 'a gaffer who climbs the lighting rig');
  const added = await call(server, admin, 'POST', P(prod.id, '/members'), { body: { email: email2, role: 'crew', department: 'Grip' } });
  assert.equal(added.status, 201, added.body);
  const read2 = await call(server, s2, 'GET', P(prod.id, `/people/${rec2.id}`));
  assert.equal(read2.status, 200, read2.body);
  assert.equal(read2.json.linked, false, 'adding the member did not link the record');
  assertNoneOf(read2, [...PERSONAL, ...PRIVATE], rec2, 'a member added by the email the record carries');
});
