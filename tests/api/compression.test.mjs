// Compressed answers (issue 18): a call sheet is the page people open on a
// phone on set, often on a slow link, so its answer goes gzipped to a client
// that takes gzip. Only answers that hold no secret are ever compressed: a
// compressed length beside attacker-chosen text leaks a secret a byte at a
// time (BREACH), so the CSRF token of GET /me, a TOTP secret and the like
// always go as they are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startServer } from './lib/harness.mjs';
import { readyAdmin, call } from './lib/session.mjs';

let server, admin, prod, cid;
const get = (path, ae) => call(server, admin, 'GET', path, { headers: ae === undefined ? {} : { 'accept-encoding': ae } });

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'GET', '/api/v1/productions')).json.productions[0];
  const day = (await call(server, admin, 'GET', `/api/v1/productions/${prod.id}/days`)).json.days[0];
  cid = (await call(server, admin, 'POST', `/api/v1/productions/${prod.id}/days/${day.id}/callsheets`, { body: {} })).json.id;
});
after(async () => { await server?.stop(); });

test('a call sheet goes gzipped to a client that takes gzip, and inflates to the same JSON', async () => {
  for (const path of [`/api/v1/productions/${prod.id}/callsheets/${cid}`, '/api/v1/me/callsheets']) {
    const plain = await get(path);
    const gz = await get(path, 'br, gzip');
    assert.equal(plain.status, 200, plain.body);
    assert.equal(plain.headers['content-encoding'], undefined, `${path}: identity unless asked`);
    assert.match(plain.headers.vary ?? '', /Accept-Encoding/, `${path}: Vary`);
    assert.equal(gz.headers['content-encoding'], 'gzip', `${path}: gzip when asked`);
    assert.match(gz.headers.vary ?? '', /Accept-Encoding/);
    assert.equal(Number(gz.headers['content-length']), gz.raw.length);
    assert.ok(gz.raw.length * 3 < plain.raw.length, `${path}: ${gz.raw.length} bytes gzipped against ${plain.raw.length}`);
    assert.deepEqual(JSON.parse(gunzipSync(gz.raw).toString('utf8')), plain.json, `${path}: the same answer`);
    for (const refuses of ['gzip;q=0', 'identity', 'br']) {
      const res = await get(path, refuses);
      assert.equal(res.headers['content-encoding'], undefined, `${path} with Accept-Encoding: ${refuses}`);
    }
  }
});

test('an answer that holds a secret, or any other answer, never goes compressed', async () => {
  const me = await get('/api/v1/me', 'gzip');
  assert.equal(me.status, 200);
  assert.ok(me.json.csrf_token, 'GET /me carries the CSRF token');
  assert.equal(me.headers['content-encoding'], undefined, 'the CSRF token is never compressed');
  const people = await get(`/api/v1/productions/${prod.id}/people?limit=200`, 'gzip');
  assert.ok(people.raw.length > 4096, 'a large answer');
  assert.equal(people.headers['content-encoding'], undefined, 'only routes declared compressible are');
});
