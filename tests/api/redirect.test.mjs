// CONTRACT.md, HTTP: the plain-HTTP port answers every request with 308 and
// Location: https://<host>:<https port><path>, and nothing else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawHttpRequest, request } from './lib/harness.mjs';

let server;

before(async () => {
  server = await startServer({ http: true });
});

after(async () => {
  await server?.stop();
});

test('the listening line names both ports and they differ', () => {
  assert.ok(server.port > 0 && server.httpPort > 0);
  assert.notEqual(server.port, server.httpPort);
});

test('a plain-HTTP GET gets 308 to the same path and query on the HTTPS port', async () => {
  const res = await rawHttpRequest(
    server.httpPort,
    `GET /healthz?x=1 HTTP/1.1\r\nHost: localhost:${server.httpPort}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(res.status, 308);
  assert.equal(res.headers.location, `https://localhost:${server.port}/healthz?x=1`);
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
  assert.equal(res.headers.location, `https://localhost:${server.port}/api/v1/auth/login`);
  assert.ok(res.body.length <= 256, `redirect body is ${res.body.length} bytes: ${res.text}`);
});

test('a plain-HTTP request to an unknown path still gets 308', async () => {
  const res = await rawHttpRequest(
    server.httpPort,
    `DELETE /no/such/thing HTTP/1.1\r\nHost: localhost:${server.httpPort}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(res.status, 308);
  assert.equal(res.headers.location, `https://localhost:${server.port}/no/such/thing`);
});
