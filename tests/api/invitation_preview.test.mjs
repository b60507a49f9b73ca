// The invitation page (issue 18) shows what a link is for before anyone
// accepts it: POST /api/v1/invitations/preview {token} names the production,
// the role, the invited email and whether an account with it exists. It is
// checked as accept is (Slate's own pages only), changes nothing, and answers
// an unknown, used, withdrawn or expired link with accept's own 400.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem, slateSql } from './lib/harness.mjs';
import { mailedToken } from './lib/mail.mjs';
import { call, readyAdmin, newAccount } from './lib/session.mjs';

let server;
let admin;
let prod;

const preview = (body, headers = {}) => request(server, { method: 'POST', path: '/api/v1/invitations/preview', body, headers });
const accept = (body) => request(server, { method: 'POST', path: '/api/v1/invitations/accept', body });

const linkFor = (to) => mailedToken(server, to);

async function invite(email, role, department) {
  const r = await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/invitations`, { body: department ? { email, role, department } : { email, role } });
  assert.equal(r.status, 201, r.body);
  return r.json;
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Previewed Show', timezone: 'Europe/Paris' } })).json;
});
after(async () => { await server?.stop(); });

test('a pending invitation is previewed with its production, role, email and whether the account exists', async () => {
  await invite('preview.new@example.org', 'crew', 'Grip');
  const fresh = await linkFor('preview.new@example.org');
  let r = await preview({ token: fresh });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json, { production: { name: 'Previewed Show' }, role: 'crew', email: 'preview.new@example.org', account: 'new' });

  await newAccount(server, 'preview.old@example.org', 'a long passphrase for the preview test');
  await invite('preview.old@example.org', 'ad');
  r = await preview({ token: await linkFor('preview.old@example.org') });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json, { production: { name: 'Previewed Show' }, role: 'ad', email: 'preview.old@example.org', account: 'existing' });

  // previewing changes nothing: the invitation is still pending and can be accepted
  const pending = (await call(server, admin, 'GET', `/api/v1/productions/${prod.id}/invitations`)).json.invitations;
  assert.ok(pending.some((x) => x.email === 'preview.new@example.org'), 'still pending after the preview');
  assert.equal(slateSql(server.data, "SELECT count(*) FROM audit_event WHERE action = 'invitation.accept'"), '0', 'no accept is audited');
});

test('a used, withdrawn or unknown link gets the same 400 as accept gives', async () => {
  await invite('preview.used@example.org', 'crew', 'Camera');
  const used = await linkFor('preview.used@example.org');
  assert.equal((await accept({ token: used, password: 'a long passphrase for the used link' })).status, 201);
  const acceptAgain = await accept({ token: used, password: 'a long passphrase for the used link' });
  assertProblem(acceptAgain, 400, 'accepting twice');
  const afterUse = await preview({ token: used });
  assertProblem(afterUse, 400, 'previewing a used link');
  assert.equal(afterUse.json.detail, acceptAgain.json.detail, 'the same problem as accept');

  const inv = await invite('preview.gone@example.org', 'crew', 'Camera');
  const gone = await linkFor('preview.gone@example.org');
  assert.equal((await call(server, admin, 'DELETE', `/api/v1/productions/${prod.id}/invitations/${inv.id}`)).status, 204);
  const withdrawn = await preview({ token: gone });
  assertProblem(withdrawn, 400, 'previewing a withdrawn link');
  assert.equal(withdrawn.json.detail, acceptAgain.json.detail, 'withdrawn reads as used');

  const wrong = await preview({ token: 'A'.repeat(43) });
  assertProblem(wrong, 400, 'previewing an unknown link');
  assert.equal(wrong.json.detail, acceptAgain.json.detail, 'unknown reads as used');
  assertProblem(await preview({}), 400, 'no token');
});

test('a preview sent from another site is refused as accept refuses it', async () => {
  await invite('preview.xsite@example.org', 'crew', 'Grip');
  const token = await linkFor('preview.xsite@example.org');
  for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }]) {
    assertProblem(await request(server, { method: 'POST', path: '/api/v1/invitations/accept', body: { token }, headers }), 403, `accept with ${JSON.stringify(headers)}`);
    assertProblem(await preview({ token }, headers), 403, `preview with ${JSON.stringify(headers)}`);
  }
});
