// CONTRACT.md, serve: SLATE_REQUEST_TIMEOUT — a whole request must arrive
// within this of the connection opening; a slow client cannot hold a slot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, tlsConnect, whenClosed, withTimeout } from './lib/harness.mjs';

let server;

before(async () => {
  server = await startServer({ env: { SLATE_REQUEST_TIMEOUT: '2', SLATE_IDLE_TIMEOUT: '10' } });
});

after(async () => {
  await server?.stop();
});

test('a client trickling one header byte every 250 ms is cut off after the 2 s request timeout', async () => {
  // The timeout runs from the connection opening, so the clock starts before
  // the TLS handshake (which takes a while under valgrind).
  const t0 = Date.now();
  const s = await tlsConnect(server);
  const closed = whenClosed(s);
  let isClosed = false;
  closed.then(() => { isClosed = true; });
  s.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${server.port}\r\n`);
  const header = 'X-Slow: ' + 'a'.repeat(200);
  let i = 0;
  const trickle = setInterval(() => {
    if (isClosed || s.destroyed) return clearInterval(trickle);
    s.write(header[i++ % header.length]);
  }, 250);
  try {
    // Meanwhile a normal request on another connection is served.
    await new Promise((r) => setTimeout(r, 500));
    const res = await request(server, { path: '/healthz', timeout: 5_000 });
    assert.equal(res.status, 200, 'a normal request failed while the slow client was connected');
    assert.equal(isClosed, false, 'the slow connection was closed before the request timeout');

    const c = await withTimeout(closed, Math.max(0, t0 + 8_000 - Date.now()), null);
    assert.ok(c, `the slow connection was still open ${Date.now() - t0} ms after it opened`);
    const elapsed = c.at - t0;
    assert.ok(elapsed >= 1_500, `closed after only ${elapsed} ms`);
    assert.ok(elapsed < 8_000, `closed after ${elapsed} ms`);
  } finally {
    clearInterval(trickle);
    s.destroy();
  }
});

test('a connection that sends nothing is closed after the request timeout', async () => {
  const t0 = Date.now(); // from the connection opening, as above
  const s = await tlsConnect(server);
  try {
    const c = await withTimeout(whenClosed(s), 8_000, null);
    assert.ok(c, 'an idle new connection was still open after 8 s');
    const elapsed = c.at - t0;
    assert.ok(elapsed >= 1_500, `closed after only ${elapsed} ms`);
  } finally {
    s.destroy();
  }
});

test('the server still answers after slow clients were cut off', async () => {
  const res = await request(server, { path: '/healthz' });
  assert.equal(res.status, 200);
});
