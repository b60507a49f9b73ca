// Routes that only a signed-in session may use (ROUTE_SESSION_ONLY): an API
// token, even a read-write one of an instance administrator, is refused there
// before the handler runs — making or revoking a calendar feed (a secret URL
// handed out in the person's name) and importing a whole production (a
// token is bound to one production, and that route is under none).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem, slateSql } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let token;

const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const bearer = (method, p, { body, headers = {} } = {}) =>
  request(server, { method, path: p, body, headers: { authorization: `Bearer ${token}`, ...headers } });
const refusals = () => Number(slateSql(server.data, "SELECT COUNT(*) FROM audit_event WHERE action = 'token.session_only' AND outcome = 'denied'"));

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Feeds and Imports', timezone: 'UTC' } })).json;
  const t = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'sync', production_id: prod.id, access: 'read_write' } });
  assert.equal(t.status, 201, t.body);
  token = t.json.token;
  // the token works where tokens may go: a write with it succeeds
  const w = await bearer('POST', P('/locations'), { body: { name: 'Unit base' } });
  assert.equal(w.status, 201, w.body);
});
after(async () => { await server?.stop(); });

test('an API token cannot make or revoke a calendar feed; a session reaches the handler', async () => {
  const before = refusals();
  for (const method of ['POST', 'DELETE']) {
    const res = await bearer(method, P('/me/calendar-feed'));
    assertProblem(res, 403, `${method} calendar-feed with a token`);
    assert.match(res.json.detail, /signed-in session/, res.body);
  }
  assert.equal(refusals(), before + 2, 'each refusal is audited');
  assert.equal(Number(slateSql(server.data, 'SELECT COUNT(*) FROM calendar_feed')), 0, 'no feed was made');
  // the same requests with the session are not refused for want of a session
  for (const method of ['POST', 'DELETE']) {
    const res = await call(server, admin, method, P('/me/calendar-feed'));
    assert.notEqual(res.status, 403, `${method} calendar-feed with a session: ${res.body}`);
  }
});

test('an API token cannot import a production; a session reaches the handler', async () => {
  const exported = await call(server, admin, 'GET', P('/export?format=json'));
  assert.equal(exported.status, 200, exported.body);
  const res = await bearer('POST', '/api/v1/productions/import', { body: exported.body, headers: { 'content-type': 'application/json' } });
  // refused before the handler: a token is bound to one production and this route is none's
  // (ROUTE_SESSION_ONLY would refuse it too); the handler would have answered 409, as below
  assertProblem(res, 403, 'import with a token');
  assert.match(res.json.detail, /API token|signed-in session/, res.body);
  // with the session the handler runs: this production is here already (409), not a 403
  const again = await call(server, admin, 'POST', '/api/v1/productions/import', { body: exported.body, headers: { 'content-type': 'application/json' } });
  assertProblem(again, 409, 'import of a production held already, with a session');
});
