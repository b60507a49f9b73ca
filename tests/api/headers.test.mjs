// CONTRACT.md, HTTP: the security headers are on every response (errors and
// redirects too); Cache-Control: no-store on the API, probes, metrics and errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, request, rawTlsRequest, rawHttpRequest, assertSecurityHeaders, assertNoStore,
} from './lib/harness.mjs';

let server;

before(async () => {
  server = await startServer({ http: true });
});

after(async () => {
  await server?.stop();
});

const LOGIN = '/api/v1/auth/login';

// Each case: [name, expected status, fetch(), must carry no-store?]
const cases = [
  ['a 200 from /healthz', 200, () => request(server, { path: '/healthz' }), true],
  ['a 200 from /readyz', 200, () => request(server, { path: '/readyz' }), true],
  ['a 200 from /metrics', 200, () => request(server, { path: '/metrics' }), true],
  ['a 200 from /.well-known/security.txt', 200, () => request(server, { path: '/.well-known/security.txt' }), false],
  ['a 404', 404, () => request(server, { path: '/no/such/route' }), true],
  ['a 405', 405, () => request(server, { method: 'DELETE', path: '/healthz' }), true],
  [
    'a 413',
    413,
    // Announce 2 MiB and send none of it: the contract answers without reading the body.
    () => rawTlsRequest(
      server,
      `POST ${LOGIN} HTTP/1.1\r\nHost: localhost:${server.port}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 2097152\r\n\r\n',
    ),
    true,
  ],
  [
    'a 400',
    400,
    () => request(server, { method: 'POST', path: LOGIN, headers: { 'content-type': 'application/json' }, body: '{"email":' }),
    true,
  ],
  [
    'a 415',
    415,
    () => request(server, { method: 'POST', path: LOGIN, headers: { 'content-type': 'text/plain' }, body: 'hello' }),
    true,
  ],
  [
    'a 401 from the API',
    401,
    () => request(server, { method: 'POST', path: LOGIN, body: { email: 'nobody@example.com', password: 'wrong-password-123' } }),
    true,
  ],
  [
    'a 308 redirect from the plain-HTTP port',
    308,
    () => rawHttpRequest(server.httpPort, `GET /healthz HTTP/1.1\r\nHost: localhost:${server.httpPort}\r\nConnection: close\r\n\r\n`),
    false,
  ],
];

for (const [name, status, fetch, noStore] of cases) {
  test(`the security headers are on ${name}`, async () => {
    const res = await fetch();
    assert.equal(res.status, status, `status of ${name}`);
    assertSecurityHeaders(res.headers, name);
  });
  if (noStore) {
    test(`Cache-Control: no-store is on ${name}`, async () => {
      const res = await fetch();
      assert.equal(res.status, status, `status of ${name}`);
      assertNoStore(res.headers, name);
    });
  }
}

test('every response gets its own X-Request-Id', async () => {
  const a = await request(server, { path: '/healthz' });
  const b = await request(server, { path: '/healthz' });
  assert.ok(a.headers['x-request-id']);
  assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
});

// The loop draws request ids' random bytes 20 ids at a time (src/http/server.c):
// across several draws, on both loop threads, no id repeats and each is 24 hex digits.
test('request ids do not repeat across the batches their random bytes are drawn in', async () => {
  const ids = [];
  for (let round = 0; round < 5; round++) {
    const rs = await Promise.all(Array.from({ length: 30 }, () => request(server, { path: '/healthz' })));
    for (const r of rs) ids.push(r.headers['x-request-id']);
  }
  for (const id of ids) assert.match(id, /^[0-9a-f]{24}$/);
  assert.equal(new Set(ids).size, ids.length);
});
