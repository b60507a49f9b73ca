// GET /api/v1/productions/{id} says what the caller's role may do there:
// `rights`, their scope for every resource and action, read from the same
// policy table every request is checked against, and their department.
// The web app draws its controls from it. These tests hold it to the
// tables of docs/ROLES.md, role by role, so that the page and the
// documentation can never drift from what the API enforces.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, request, REPO_ROOT } from './lib/harness.mjs';
import { call, newAccount, readyAdmin, enrolTotp } from './lib/session.mjs';

const ROLES = ['production_admin', 'producer', 'ad', 'department_head', 'crew', 'cast'];

/** docs/ROLES.md's read, write and publish tables: {role: {resource: {action: scope}}}. */
function documented() {
  const text = readFileSync(path.join(REPO_ROOT, 'docs', 'ROLES.md'), 'utf8');
  const out = Object.fromEntries(ROLES.map((r) => [r, {}]));
  for (const action of ['read', 'write', 'publish']) {
    const at = text.indexOf(`\n## ${action}\n`);
    assert.ok(at >= 0, `ROLES.md has a "## ${action}" table`);
    const lines = text.slice(at).split('\n').slice(2);
    const header = lines[1].split('|').map((c) => c.trim()).filter(Boolean);
    assert.deepEqual(header.slice(1), ROLES, `the ${action} table's columns`);
    for (const line of lines.slice(3)) {
      if (!line.startsWith('|')) break;
      const cells = line.split('|').map((c) => c.trim()).filter(Boolean);
      const resource = cells[0].replaceAll('`', '');
      ROLES.forEach((role, i) => {
        out[role][resource] ??= {};
        out[role][resource][action] = cells[i + 1];
      });
    }
  }
  return out;
}

let server, admin, prod;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  const made = await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Rights', timezone: 'Europe/London' } });
  assert.equal(made.status, 201, made.body);
  prod = made.json; /* a new production comes with the usual departments, Camera among them */
});

after(async () => {
  await server?.stop();
});

test('each role is told exactly the scopes docs/ROLES.md gives it, and its department', async () => {
  const table = documented();
  let n = 0;
  for (const role of ROLES) {
    const email = `rights.${role}@example.org`;
    const session = await newAccount(server, email, `a long passphrase for the rights check ${n++}`);
    const body = role === 'department_head' ? { email, role, department: 'Camera' } : { email, role };
    assert.equal((await call(server, admin, 'POST', P('/members'), { body })).status, 201);
    if (role === 'production_admin' || role === 'producer') await enrolTotp(server, session); /* required of them */
    const res = await call(server, session, 'GET', P());
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.role, role);
    assert.deepEqual(res.json.rights, table[role], `the rights of ${role}`);
    if (role === 'department_head') assert.equal(res.json.department.name, 'Camera');
    else assert.equal(res.json.department, null);
  }
});

test('a revoked member is refused, and learns no rights', async () => {
  const email = 'rights.revoked@example.org';
  const session = await newAccount(server, email, 'a long passphrase for the revoked one');
  const m = await call(server, admin, 'POST', P('/members'), { body: { email, role: 'crew' } });
  assert.equal((await call(server, admin, 'POST', P(`/members/${m.json.id}/revoke`))).status, 200);
  const res = await call(server, session, 'GET', P());
  assert.ok(res.status === 403 || res.status === 401, `refused: ${res.status}`);
  assert.equal(res.json?.rights, undefined);
});

test('asked with an API token, the rights are the token\'s: a read-only token may write nothing, whatever the role', async () => {
  const table = documented();
  const mint = async (access) => {
    const r = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: `rights ${access}`, production_id: prod.id, access } });
    assert.equal(r.status, 201, r.body);
    return r.json.token;
  };
  const asked = async (token) => {
    const r = await request(server, { path: P(), headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, r.body);
    return r.json.rights;
  };
  const readOnly = await asked(await mint('read'));
  for (const [resource, acts] of Object.entries(table.production_admin)) {
    for (const [action, scope] of Object.entries(acts)) {
      assert.equal(readOnly[resource][action], action === 'read' ? scope : 'none', `${resource} ${action} with a read-only token`);
    }
  }
  assert.deepEqual(await asked(await mint('read_write')), table.production_admin, 'a read-write token: the role\'s rights');
  // and the answer is the rule: the read-only token is refused the write its rights deny
  const refused = await request(server, { method: 'POST', path: P('/departments'), body: { name: 'Not by a read token' }, headers: { authorization: `Bearer ${await mint('read')}` } });
  assert.equal(refused.status, 403);
});
