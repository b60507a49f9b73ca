// Client mistakes do not fill the error log (issue 15 item 13): a malformed
// request (400, 501, 505) or any other 4xx is logged at info, and at most 20
// such lines a second per loop; the lines left out are counted in a
// "client errors not logged" line once the next second begins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tlsConnect, rawTlsRequest, request, waitFor } from './lib/harness.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

/** Send a request and wait until its own "request" log line is in (every line before it is too). */
async function sentinel() {
  const res = await request(server, { path: '/healthz' });
  assert.equal(res.status, 200);
  const id = res.headers['x-request-id'];
  await server.waitForLog((o) => o.msg === 'request' && o.request_id === id, { what: `the line of request ${id}` });
}

test('a burst of one client\'s mistakes is logged at info, at most 20 lines a second, and the rest is counted', async () => {
  const n = 400;
  const s = await tlsConnect(server);
  s.on('error', () => {});
  let got = '';
  s.setEncoding('latin1');
  s.on('data', (c) => { got += c; });
  const started = Date.now();
  const one = `GET /no/such/page HTTP/1.1\r\nHost: localhost:${server.port}\r\n\r\n`;
  const count404 = () => (got.match(/HTTP\/1\.1 404 /g) ?? []).length;
  for (let sent = 50; sent <= n; sent += 50) { // pipelined, 50 at a time
    s.write(one.repeat(50));
    await waitFor(() => count404() === sent, { timeout: 30_000, what: () => `${sent} answers, got ${count404()}` });
  }
  const seconds = Math.ceil((Date.now() - started) / 1000);
  await sentinel();
  const logged = () => server.logs.filter((o) => o.msg === 'request' && o.status === 404).length;
  assert.ok(logged() <= 20 * (seconds + 1), `${logged()} lines for ${n} mistakes in ${seconds} s`);
  assert.ok(logged() < n, `${logged()} lines for ${n} mistakes`);
  // the next second, the same loop (the same connection) says how many it left out
  const counted = () => server.logs.filter((o) => o.msg === 'client errors not logged')
    .reduce((sum, o) => sum + o.lines, 0);
  await waitFor(async () => {
    s.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${server.port}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 100));
    return logged() + counted() === n;
  }, { timeout: 15_000, interval: 200, what: () => `logged ${logged()} + counted ${counted()} = ${n}` });
  s.destroy();
  assert.ok(!server.logs.some((o) => o.level === 'error'), 'no error-level line');
});

test('malformed requests (400, 501, 505) are client mistakes: no error-level line', async () => {
  const host = `Host: localhost:${server.port}\r\n`;
  const cases = [
    [505, `GET / HTTP/2.0\r\n${host}\r\n`],
    [505, `GET / HTTP/1.7\r\n${host}\r\n`],
    [501, `POST /api/v1/auth/login HTTP/1.1\r\n${host}Transfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}`],
    [400, `GET / HTTP/1.1\r\nHost localhost\r\n\r\n`],
    [400, `\x01\x02 nonsense\r\n\r\n`],
  ];
  for (let round = 0; round < 6; round++) {
    await Promise.all(cases.map(async ([status, raw]) => {
      const res = await rawTlsRequest(server, raw);
      assert.equal(res.status, status, JSON.stringify(raw));
    }));
  }
  await sentinel();
  const errors = server.logs.filter((o) => o.level === 'error');
  assert.deepEqual(errors, [], 'error-level lines');
  assert.ok(server.logs.some((o) => o.msg === 'request' && o.status === 505 && o.level === 'info'),
    'a 505 is logged at info');
});
