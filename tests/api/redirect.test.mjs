// CONTRACT.md, HTTP: the plain-HTTP port answers every request with 308 and
// Location: <public_url><path>, and nothing else; the client's Host is never echoed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawHttpRequest, request } from './lib/harness.mjs';

let server;
const PUBLIC_URL = 'https://slate.example.test:9443';

before(async () => {
  server = await startServer({ http: true, env: { SLATE_PUBLIC_URL: PUBLIC_URL } });
});

after(async () => {
  await server?.stop();
});

test('the listening line names both ports and they differ', () => {
  assert.ok(server.port > 0 && server.httpPort > 0);
  assert.notEqual(server.port, server.httpPort);
});

test('a plain-HTTP GET gets 308 to the same path and query on public_url', async () => {
  const res = await rawHttpRequest(
    server.httpPort,
    `GET /healthz?x=1 HTTP/1.1\r\nHost: localhost:${server.httpPort}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(res.status, 308);
  assert.equal(res.headers.location, `${PUBLIC_URL}/healthz?x=1`);
  assert.ok(res.body.length <= 256, `redirect body is ${res.body.length} bytes: ${res.text}`);
});

test('the redirect target answers over HTTPS', async () => {
  const res = await request(server, { path: '/healthz?x=1' });
  assert.equal(res.status, 200);
});

test('a plain-HTTP POST gets 308 too', async () => {
  const body = '{"email":"a@example.com","password":"x"}';
  const res = await rawHttpRequest(
    server.httpPort,
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost:${server.httpPort}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  assert.equal(res.status, 308);
  assert.equal(res.headers.location, `${PUBLIC_URL}/api/v1/auth/login`);
  assert.ok(res.body.length <= 256, `redirect body is ${res.body.length} bytes: ${res.text}`);
});

test('a plain-HTTP request to an unknown path still gets 308', async () => {
  const res = await rawHttpRequest(
    server.httpPort,
    `DELETE /no/such/thing HTTP/1.1\r\nHost: localhost:${server.httpPort}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(res.status, 308);
  assert.equal(res.headers.location, `${PUBLIC_URL}/no/such/thing`);
});

test('a Host of the attacker\'s choosing is not echoed: the redirect goes to public_url', async () => {
  for (const host of ['evil.example', 'evil.example:443', '[::1]:8080', 'localhost']) {
    const res = await rawHttpRequest(
      server.httpPort,
      `GET /login?next=%2F HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(res.status, 308, `Host: ${host}`);
    assert.equal(res.headers.location, `${PUBLIC_URL}/login?next=%2F`, `Host: ${host}`);
  }
});

test('an absolute-form target cannot choose the host either', async () => {
  const res = await rawHttpRequest(
    server.httpPort,
    `GET http://evil.example/x HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
  );
  if (res.status === 308) assert.equal(res.headers.location, `${PUBLIC_URL}/`);
  else assert.equal(res.status, 400, `absolute-form answered ${res.status}`);
  assert.ok(!String(res.headers.location ?? '').includes('evil'), `Location ${res.headers.location}`);
});
