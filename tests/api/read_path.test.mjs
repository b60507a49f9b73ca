// The read path (issue 17): a request opens only the sealed fields its
// answer shows. The caller's account email is sealed; the lookups that run
// on every request (the session, the caller's standing in a production)
// must not open it, and a person is read once with only the groups the
// reader may see opened. Seen from outside through the server's log: an
// envelope that does not open is logged ("a sealed field does not open",
// with table and column, never the value), so a damaged envelope shows
// whether a request tried to open it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, slateSql, waitFor } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let crew;
let crewId;
let person;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

const openFailures = (table, column) =>
  server.logs.filter((l) => l.msg === 'a sealed field does not open' && l.table === table && l.column === column).length;

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Read Path', timezone: 'Europe/London' } })).json;
  crew = await newAccount(server, 'grip@read.example', 'a long passphrase for the read path 1');
  const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: { email: 'grip@read.example', role: 'crew', department: 'Grip' } });
  assert.equal(m.status, 201, m.body);
  crewId = (await call(server, crew, 'GET', '/api/v1/me')).json.user.id;
  const res = await call(server, admin, 'POST', P(prod.id, '/people'), {
    body: { name: 'Ada Sealed', kind: 'crew', department: 'Grip', work_phone: '+44 20 7946 0101', personal_phone: '+44 7700 900101', medical: 'none of your business' },
  });
  assert.equal(res.status, 201, res.body);
  person = res.json;
});

after(async () => { await server?.stop(); });

test('a request whose answer shows no email opens none: the session and standing lookups leave the caller\'s email sealed', async () => {
  // damage the crew member's sealed email (the same key, an envelope that cannot open)
  slateSql(server.data, `UPDATE app_user SET email_sealed = 'sf1.' || id || '.AAAA' WHERE id = '${crewId}'`, { write: true });
  const before = openFailures('app_user', 'email');
  // cold lookups (the write above changed the store's generation, so no cache answers)
  for (const path of [P(prod.id, '/people'), P(prod.id), P(prod.id, `/people/${person.id}`)]) {
    const res = await call(server, crew, 'GET', path);
    assert.equal(res.status, 200, `${path}: ${res.body}`);
  }
  assert.equal(openFailures('app_user', 'email'), before, 'no request above tried to open the account email');
  // the answer that shows the email does open it (so the damage above is real)
  const me = await call(server, crew, 'GET', '/api/v1/me');
  assert.equal(me.status, 200, me.body);
  assert.equal(me.json.user.email, '[unreadable]');
  await waitFor(() => openFailures('app_user', 'email') > before, { what: 'the /me read of the damaged email to be logged' });
});

test('a person is read with only the groups the reader may see opened: a crew member never opens another person\'s private fields', async () => {
  // damage the private group only: a reader allowed to see it reads it as unreadable, others never touch it
  slateSql(server.data, `UPDATE person SET private = 'sf1.' || id || '.AAAA' WHERE id = '${person.id}'`, { write: true });
  const before = openFailures('person', 'private');
  const one = await call(server, crew, 'GET', P(prod.id, `/people/${person.id}`));
  assert.equal(one.status, 200, one.body);
  assert.ok(!('medical' in one.json), 'a crew member does not see private fields');
  const list = await call(server, crew, 'GET', P(prod.id, '/people'));
  assert.equal(list.status, 200, list.body);
  assert.equal(openFailures('person', 'private'), before, 'the crew member\'s reads did not open the private group');
  const asAdmin = await call(server, admin, 'GET', P(prod.id, `/people/${person.id}`));
  assert.equal(asAdmin.status, 200, asAdmin.body);
  assert.equal(asAdmin.json.medical, '[unreadable]');
  assert.equal(asAdmin.json.work_phone, '+44 20 7946 0101');
  await waitFor(() => openFailures('person', 'private') > before, { what: 'the admin\'s read of the damaged group to be logged' });
});

test('a page of the people list is the same whether it ends early or not: limit, offset and next_offset', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await call(server, admin, 'POST', P(prod.id, '/people'), { body: { name: `Page ${i}`, kind: 'crew', work_email: `p${i}@read.example` } });
    assert.equal(r.status, 201, r.body);
  }
  const all = await call(server, admin, 'GET', P(prod.id, '/people?limit=500'));
  assert.equal(all.status, 200, all.body);
  assert.equal(all.json.next_offset, null);
  const names = all.json.people.map((p) => p.name);
  const got = [];
  let offset = 0;
  for (;;) {
    const page = await call(server, admin, 'GET', P(prod.id, `/people?limit=2&offset=${offset}`));
    assert.equal(page.status, 200, page.body);
    got.push(...page.json.people.map((p) => p.name));
    if (page.json.next_offset === null) break;
    assert.equal(page.json.next_offset, offset + 2);
    offset = page.json.next_offset;
  }
  assert.deepEqual(got, names);
});
