// API tokens (issue 3): created by a user for one production, read or
// read-write, expiring, stored hashed, revocable, sent as a Bearer token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, request, runSlate, assertProblem } from './lib/harness.mjs';
import { call, readyAdmin, signInAndChangePassword } from './lib/session.mjs';

let server;
let admin;
let prod;
let other;

const bearer = (token, method, p, body) => request(server, { method, path: p, body, headers: { authorization: `Bearer ${token}` } });

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Token Show', timezone: 'UTC' } })).json;
  other = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Other Show', timezone: 'UTC' } })).json;
});
after(async () => { await server?.stop(); });

async function mint(access, production = prod.id) {
  const r = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: `${access} sync`, production_id: production, access } });
  assert.equal(r.status, 201, r.body);
  assert.match(r.json.token, /^slt_[A-Za-z0-9_-]{43}$/);
  return r.json;
}

test('a read token reads its production and nothing else', async () => {
  const t = await mint('read');
  assert.equal((await bearer(t.token, 'GET', `/api/v1/productions/${prod.id}`)).status, 200);
  assert.equal((await bearer(t.token, 'GET', `/api/v1/productions/${prod.id}/members`)).status, 200);
  assertProblem(await bearer(t.token, 'PATCH', `/api/v1/productions/${prod.id}`, { require_mfa: true }), 403, 'a write');
  assertProblem(await bearer(t.token, 'GET', `/api/v1/productions/${other.id}`), 404, 'another production');
  assertProblem(await bearer(t.token, 'GET', '/api/v1/me'), 403, 'an account route');
  assertProblem(await bearer(t.token, 'GET', '/api/v1/admin/users'), 403, 'an admin route');
  assertProblem(await bearer(t.token, 'GET', '/api/v1/productions'), 403, 'the list of productions');
});

test('a read-write token writes without a CSRF token, as its owner may', async () => {
  const t = await mint('read_write');
  const r = await bearer(t.token, 'POST', `/api/v1/productions/${prod.id}/locations`, { name: 'Unit base' });
  assert.equal(r.status, 201, r.body);
});

test('tokens are listed without their secret, stored hashed, and revoked on the next request', async () => {
  const t = await mint('read');
  const list = await call(server, admin, 'GET', '/api/v1/me/tokens');
  const mine = list.json.tokens.find((x) => x.id === t.id);
  assert.deepEqual(Object.keys(mine).sort(), ['access', 'created_at', 'expires_at', 'id', 'last_used_at', 'name', 'production_id']);
  assert.ok(Date.parse(mine.expires_at) - Date.parse(mine.created_at) === 90 * 86400e3, 'default 90 days');
  const db = readFileSync(path.join(server.data, 'slate.db'));
  assert.equal(db.indexOf(t.token.slice(4)), -1, 'the token is not in the database');
  assert.equal((await call(server, admin, 'DELETE', `/api/v1/me/tokens/${t.id}`)).status, 204);
  assertProblem(await bearer(t.token, 'GET', `/api/v1/productions/${prod.id}`), 401, 'a revoked token');
  assertProblem(await call(server, admin, 'DELETE', `/api/v1/me/tokens/${t.id}`), 404, 'revoking twice');
});

test('bad requests name the field; a token is made only for your own production', async () => {
  const post = (body) => call(server, admin, 'POST', '/api/v1/me/tokens', { body });
  let r = await post({ name: 'x', production_id: prod.id, access: 'admin' });
  assert.equal(r.json.errors[0].pointer, '/access');
  r = await post({ name: 'x', production_id: prod.id, access: 'read', expires_in_days: 0 });
  assert.equal(r.json.errors[0].pointer, '/expires_in_days');
  assertProblem(await post({ name: 'x', production_id: 'prd_notminexxxxxxxxxxxxxxxxxx', access: 'read' }), 404, 'not a member');
  assertProblem(await request(server, { path: `/api/v1/productions/${prod.id}`, headers: { authorization: 'Bearer slt_short' } }), 401, 'a malformed token');
  assertProblem(await request(server, { path: `/api/v1/productions/${prod.id}`, headers: { authorization: `Bearer slt_${'A'.repeat(43)}` } }), 401, 'an unknown token');
});

test("a token stops working when its owner's membership is revoked", async () => {
  const add = runSlate(['user', 'add', '--email', 'integrator@example.org', '--data', server.data, '--json']);
  const s = await signInAndChangePassword(server, 'a schedule sync that runs every night', { email: 'integrator@example.org', oneTime: JSON.parse(add.stdout).password });
  const m = (await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/members`, { body: { email: 'integrator@example.org', role: 'ad', department: 'Direction/AD' } })).json;
  const t = (await call(server, s, 'POST', '/api/v1/me/tokens', { body: { name: 'sync', production_id: prod.id, access: 'read' } })).json;
  assert.equal((await bearer(t.token, 'GET', `/api/v1/productions/${prod.id}/members`)).status, 200);
  await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/members/${m.id}/revoke`);
  assertProblem(await bearer(t.token, 'GET', `/api/v1/productions/${prod.id}`), 401, 'after revoke: the token has ended');
  assert.equal((await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/members/${m.id}/reinstate`)).status, 200);
  assertProblem(await bearer(t.token, 'GET', `/api/v1/productions/${prod.id}`), 401, 'a reinstatement does not bring the token back');
});
