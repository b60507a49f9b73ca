// CONTRACT.md, HTTP / Errors: application/problem+json with type, title,
// status, detail, request_id; the statuses named there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, request, tlsConnect, readResponse, rawTlsRequest, assertProblem, ADMIN_EMAIL,
} from './lib/harness.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

const LOGIN = '/api/v1/auth/login';

function postLogin(body, headers = {}) {
  return request(server, {
    method: 'POST',
    path: LOGIN,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

test('a 2 MiB JSON body to the login endpoint gets 413 problem+json', async () => {
  const pad = 'a'.repeat(2 * 1024 * 1024);
  const body = Buffer.from(JSON.stringify({ email: 'a@example.com', password: pad }));
  assert.ok(body.length > 2 * 1024 * 1024);
  const s = await tlsConnect(server);
  s.on('error', () => {}); // the server may close on us mid-upload: that is its right
  try {
    const resP = readResponse(s);
    s.write(
      `POST ${LOGIN} HTTP/1.1\r\nHost: localhost:${server.port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    // Stream the body, stopping as soon as the answer is in.
    let answered = false;
    resP.then(() => { answered = true; }, () => { answered = true; });
    for (let off = 0; off < body.length && !answered && !s.destroyed; off += 64 * 1024) {
      if (!s.write(body.subarray(off, off + 64 * 1024))) {
        await Promise.race([new Promise((r) => s.once('drain', r)), resP.catch(() => {}), new Promise((r) => setTimeout(r, 200))]);
      }
    }
    const res = await resP;
    assertProblem(res, 413, '2 MiB body');
  } finally {
    s.destroy();
  }
});

test('a 413 is sent without waiting for the body', async () => {
  const s = await tlsConnect(server);
  try {
    const resP = readResponse(s, { timeout: 5_000 });
    s.write(
      `POST ${LOGIN} HTTP/1.1\r\nHost: localhost:${server.port}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 2097152\r\n\r\n',
    );
    assertProblem(await resP, 413, 'announced 2 MiB body, none sent');
  } finally {
    s.destroy();
  }
});

test('malformed JSON gets 400 problem+json', async () => {
  assertProblem(await postLogin('{"email": "a@example.com", "password": '), 400, 'truncated JSON');
  assertProblem(await postLogin('{"email": "a@example.com" "password": "x"}'), 400, 'missing comma');
  assertProblem(await postLogin(''), 400, 'empty body');
});

test('invalid UTF-8 inside a JSON string gets 400 problem+json', async () => {
  const body = Buffer.concat([
    Buffer.from('{"email":"a'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('@example.com","password":"correct-horse-battery"}'),
  ]);
  assertProblem(await postLogin(body), 400, 'invalid UTF-8');
});

test('wrong JSON types get 400 with an errors array naming /email', async () => {
  const res = await postLogin({ email: 1, password: [] });
  const p = assertProblem(res, 400, 'wrong types');
  assert.ok(Array.isArray(p.errors), `no "errors" array: ${res.body}`);
  for (const e of p.errors) {
    assert.equal(typeof e.pointer, 'string', `error without a pointer: ${JSON.stringify(e)}`);
    assert.equal(typeof e.detail, 'string', `error without a detail: ${JSON.stringify(e)}`);
  }
  assert.ok(p.errors.some((e) => e.pointer === '/email'), `no error names /email: ${JSON.stringify(p.errors)}`);
});

test('a JSON body that is not an object gets 400', async () => {
  assertProblem(await postLogin('[]'), 400, 'array body');
  assertProblem(await postLogin('"x"'), 400, 'string body');
});

test('an unknown route gets 404 problem+json', async () => {
  assertProblem(await request(server, { path: '/no/such/route' }), 404, 'unknown route');
  assertProblem(await request(server, { path: '/api/v1/nope' }), 404, 'unknown API route');
});

test('a wrong method gets 405 with an Allow header listing GET', async () => {
  const res = await request(server, { method: 'DELETE', path: '/healthz' });
  assertProblem(res, 405, 'DELETE /healthz');
  const allow = (res.headers.allow ?? '').split(',').map((m) => m.trim().toUpperCase());
  assert.ok(allow.includes('GET'), `Allow: ${res.headers.allow}`);
  assert.ok(!allow.includes('DELETE'), `Allow lists DELETE: ${res.headers.allow}`);
});

test('GET on the login endpoint gets 405 with an Allow header listing POST', async () => {
  const res = await request(server, { method: 'GET', path: LOGIN });
  assertProblem(res, 405, 'GET login');
  const allow = (res.headers.allow ?? '').split(',').map((m) => m.trim().toUpperCase());
  assert.ok(allow.includes('POST'), `Allow: ${res.headers.allow}`);
});

test('a login body sent as text/plain gets 415 problem+json', async () => {
  const res = await request(server, {
    method: 'POST',
    path: LOGIN,
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ email: 'a@example.com', password: 'x' }),
  });
  assertProblem(res, 415, 'text/plain body');
});

test('a body without Content-Length (chunked) gets 411 problem+json', async () => {
  const s = await tlsConnect(server);
  try {
    const resP = readResponse(s);
    const body = '{"email":"a@example.com","password":"x"}';
    s.write(
      `POST ${LOGIN} HTTP/1.1\r\nHost: localhost:${server.port}\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    assertProblem(await resP, 411, 'chunked body');
  } finally {
    s.destroy();
  }
});

test('a malformed HTTP request gets 400', async () => {
  const s = await tlsConnect(server);
  try {
    const resP = readResponse(s);
    s.write('THIS IS NOT HTTP\r\n\r\n');
    const res = await resP;
    assert.equal(res.status, 400, `status (body: ${res.text})`);
  } finally {
    s.destroy();
  }
});

test('headers over the limit get 431', async () => {
  const s = await tlsConnect(server);
  s.on('error', () => {});
  try {
    const resP = readResponse(s);
    s.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${server.port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const res = await resP;
    assert.equal(res.status, 431, `status (body: ${res.text})`);
  } finally {
    s.destroy();
  }
});

test('a login for an unknown email and for the admin with a wrong password get identical 401s', async () => {
  const unknown = await postLogin({ email: 'nobody@example.com', password: 'Wrong-Password-123!' });
  const wrong = await postLogin({ email: server.init?.admin_email ?? ADMIN_EMAIL, password: 'Wrong-Password-123!' });
  const a = assertProblem(unknown, 401, 'unknown email');
  const b = assertProblem(wrong, 401, 'wrong password');
  assert.notEqual(a.request_id, b.request_id, 'two requests share a request_id');
  delete a.request_id;
  delete b.request_id;
  assert.deepEqual(a, b, 'the two 401 bodies differ beyond request_id');
  assert.equal(unknown.headers['content-type'], wrong.headers['content-type']);
});

test('a POST with neither Content-Length nor Transfer-Encoding has an empty body (RFC 9112 §6.3)', async () => {
  const res = await rawTlsRequest(server,
    `POST ${LOGIN} HTTP/1.1\r\nHost: localhost:${server.port}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`,
    { method: 'POST' });
  assertProblem(res, 400, 'an empty login body');
  assert.match(res.json.detail, /empty/);
});
