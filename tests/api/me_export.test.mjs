// A person's own export (issue 22; GDPR Articles 15 and 20): GET /api/v1/me/export gives the
// signed-in account everything Slate holds about it across its productions — the account, its
// sessions and tokens, each membership (revoked ones too), the linked person record with every
// field, their calls and the call sheets they were sent with their acknowledgements, and the
// audit events by them and about them — and nothing of anyone else's. Only the account itself
// gets it, by session: an API token, another account and no session are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
const prods = {};
const people = {};
const sessions = {};
let day;
let sheet;
const P = (key, rest = '') => `/api/v1/productions/${prods[key].id}${rest}`;
const PASS = 'a long passphrase for the export of my own data';

async function ok(p, status = 200) {
  const r = await p;
  assert.equal(r.status, status, r.body);
  return r.json;
}

const exportOf = async (key) => {
  const r = await call(server, sessions[key], 'GET', '/api/v1/me/export');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers['cache-control'], 'no-store');
  return { json: r.json, text: r.body };
};

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  for (const name of ['Lighthouse', 'Harbour']) {
    prods[name] = await ok(call(server, admin, 'POST', '/api/v1/productions', { body: { name, timezone: 'Europe/London' } }), 201);
  }
  sessions.rowan = await newAccount(server, 'rowan@export.example', PASS);
  sessions.ash = await newAccount(server, 'ash@export.example', PASS);
  sessions.lone = await newAccount(server, 'lone@export.example', PASS);
  for (const [key, email] of [['rowan', 'rowan@export.example'], ['ash', 'ash@export.example']]) {
    await ok(call(server, admin, 'POST', P('Lighthouse', '/members'), { body: { email, role: 'crew', department: 'Grip' } }), 201);
    people[key] = await ok(call(server, admin, 'POST', P('Lighthouse', '/people'), {
      body: {
        name: `Person ${key}`, kind: 'crew', department: 'Grip', account_email: email,
        personal_phone: key === 'rowan' ? '+44 7700 900123' : '+44 7700 900999',
        home_address: key === 'rowan' ? '12 Rowan Lane' : '99 Ash Grove',
        dietary: key === 'rowan' ? 'no nuts' : 'vegan',
      },
    }), 201);
  }
  // Rowan was in a second production and was revoked there: still held, so still exported
  const m = await ok(call(server, admin, 'POST', P('Harbour', '/members'), { body: { email: 'rowan@export.example', role: 'crew', department: 'Camera' } }), 201);
  await ok(call(server, admin, 'POST', P('Harbour', `/members/${m.id}/revoke`)));
  day = await ok(call(server, admin, 'POST', P('Lighthouse', '/days'), { body: { date: '2027-06-01', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00' } }), 201);
  for (const key of ['rowan', 'ash']) await ok(call(server, admin, 'PUT', P('Lighthouse', `/days/${day.id}/calls/${people[key].id}`), { body: { call: key === 'rowan' ? '06:15' : '08:30' } }));
  sheet = await ok(call(server, admin, 'POST', P('Lighthouse', `/days/${day.id}/callsheets`)), 201);
  assert.equal((await call(server, sessions.rowan, 'POST', P('Lighthouse', `/callsheets/${sheet.id}/ack`))).status, 204);
});
after(async () => { await server?.stop(); });

test('the export holds the account, every field of the linked person, the calls, the sheets sent and acknowledged, and the revoked membership', async () => {
  const { json: x } = await exportOf('rowan');
  assert.equal(x.schema, 'slate.me-export/1');
  assert.match(x.exported_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(x.account.email, 'rowan@export.example');
  assert.equal(x.account.instance_admin, false);
  assert.ok(x.sessions.some((s) => s.current), 'the session in use');
  assert.deepEqual(x.api_tokens, []);
  const light = x.productions.find((p) => p.name === 'Lighthouse');
  assert.equal(light.membership.role, 'crew');
  assert.equal(light.membership.revoked, false);
  assert.equal(light.person.id, people.rowan.id);
  assert.equal(light.person.personal_phone, '+44 7700 900123');
  assert.equal(light.person.home_address, '12 Rowan Lane');
  assert.equal(light.person.dietary, 'no nuts');
  assert.deepEqual(light.calls.map((c) => [c.day_id, c.date, c.call]), [[day.id, '2027-06-01', '06:15']]);
  assert.equal(light.call_sheets_sent.length, 1);
  assert.equal(light.call_sheets_sent[0].callsheet_id, sheet.id);
  assert.equal(light.call_sheets_sent[0].acknowledged_via, 'app');
  assert.match(light.call_sheets_sent[0].acknowledged_at, /^\d{4}-/);
  const harbour = x.productions.find((p) => p.name === 'Harbour');
  assert.equal(harbour.membership.revoked, true, 'a revoked membership is still data held');
  assert.equal(harbour.person, null);
});

test('the audit events by the person and about them are there, once each, oldest first; another person\'s address is not', async () => {
  const { json: x } = await exportOf('rowan');
  const ev = x.audit_events;
  const seqs = ev.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
  const rowanId = x.account.id;
  const ack = ev.find((e) => e.action === 'callsheet.ack' && e.actor === rowanId);
  assert.ok(ack, 'their own acknowledgement');
  assert.ok(typeof ack.source === 'string' && ack.source.length > 0, 'their own events keep where they came from');
  const created = ev.find((e) => e.action === 'person.create' && e.object === people.rowan.id);
  assert.ok(created, 'the creation of their person record, by the administrator');
  assert.notEqual(created.actor, rowanId);
  assert.equal(created.source, undefined, "the administrator's address is the administrator's data");
  assert.ok(ev.some((e) => e.action === 'auth.login' && e.actor === rowanId), 'their sign-ins');
  assert.ok(!ev.some((e) => e.object === people.ash.id), 'nothing only about Ash');
});

test('nothing of anyone else: the other crew member\'s fields are not in the export', async () => {
  const { text } = await exportOf('rowan');
  for (const other of ['Person ash', '+44 7700 900999', '99 Ash Grove', 'vegan', 'ash@export.example', '08:30']) {
    assert.ok(!text.includes(other), `the export holds ${other}`);
  }
});

test('an account with no production gets its own account and nothing else; each export is audited', async () => {
  const { json: first } = await exportOf('lone');
  assert.equal(first.account.email, 'lone@export.example');
  assert.deepEqual(first.productions, []);
  const { json: second } = await exportOf('lone');
  const exports = second.audit_events.filter((e) => e.action === 'me.export' && e.actor === second.account.id);
  assert.ok(exports.length >= 1, 'the first export is in the log');
  assert.equal(exports[0].outcome, 'success');
});

test('only the account itself, by session: no session 401, an API token 403', async () => {
  const anon = await request(server, { path: '/api/v1/me/export' });
  assertProblem(anon, 401);
  const tok = await ok(call(server, sessions.ash, 'POST', '/api/v1/me/tokens', { body: { name: 'script', production_id: prods.Lighthouse.id, access: 'read' } }), 201);
  const viaToken = await request(server, { path: '/api/v1/me/export', headers: { authorization: `Bearer ${tok.token}` } });
  assertProblem(viaToken, 403);
  // the token is in its owner's export, by id and name, never the secret
  const { json: x, text } = await exportOf('ash');
  assert.deepEqual(x.api_tokens.map((t) => t.name), ['script']);
  assert.ok(!text.includes(tok.token), 'the token itself');
});

test('a record relinked to another account leaves the first one\'s export and joins the other\'s', async () => {
  // the administrator links Rowan's record to Lone's account instead (an identity decision)
  const r = await call(server, admin, 'PATCH', P('Lighthouse', `/people/${people.rowan.id}`), { body: { account_email: 'lone@export.example' } });
  assert.equal(r.status, 200, r.body);
  const { json: rowan, text } = await exportOf('rowan');
  const light = rowan.productions.find((p) => p.name === 'Lighthouse');
  assert.equal(light.person, null, 'the record is no longer Rowan\'s');
  assert.ok(!text.includes('12 Rowan Lane'), 'nor any of its fields');
  const { json: lone } = await exportOf('lone');
  assert.equal(lone.productions.find((p) => p.name === 'Lighthouse').person.home_address, '12 Rowan Lane');
});
