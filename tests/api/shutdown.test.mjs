// CONTRACT.md, serve: on SIGTERM it logs "shutting down", stops accepting at
// once, finishes requests already started (with Connection: close), exits 0.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, tlsConnect, tcpConnect, readResponse, withTimeout, ADMIN_EMAIL,
} from './lib/harness.mjs';

const servers = [];
after(async () => {
  // The tests stop the servers themselves; this only reaps leftovers on failure.
  for (const s of servers) await s.kill();
});

const LOGIN = '/api/v1/auth/login';
// Loopback delivers at once; give the server's event loop a moment to read the
// bytes so the request is unambiguously "already started" when SIGTERM lands.
const settle = () => new Promise((r) => setTimeout(r, 300));

async function startHalfLogin(server) {
  const body = Buffer.from(JSON.stringify({ email: server.init?.admin_email ?? ADMIN_EMAIL, password: 'Wrong-Password-123!' }));
  const half = Math.floor(body.length / 2);
  const s = await tlsConnect(server);
  s.on('error', () => {});
  s.write(
    `POST ${LOGIN} HTTP/1.1\r\nHost: localhost:${server.port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`,
  );
  s.write(body.subarray(0, half));
  await settle();
  return { s, rest: body.subarray(half) };
}

function connectOutcome(port) {
  return tcpConnect(port).then(
    (sock) => { sock.destroy(); return 'connected'; },
    (e) => e.code,
  );
}

test('a request in flight at SIGTERM is finished with Connection: close, then the server exits 0', async () => {
  const server = await startServer();
  servers.push(server);
  const { s, rest } = await startHalfLogin(server);
  try {
    const resP = readResponse(s, { timeout: 15_000 });
    server.proc.kill('SIGTERM');
    await server.waitForLog((o) => o.msg === 'shutting down', { what: 'the "shutting down" log line' });
    s.write(rest);
    const res = await resP;
    assert.equal(res.status, 401, `status (body: ${res.text})`);
    const conn = (res.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase());
    assert.ok(conn.includes('close'), `Connection: ${res.headers.connection}`);
    assert.equal(res.json?.status, 401, `body: ${res.text}`);
  } finally {
    s.destroy();
  }
  const st = await withTimeout(server.exited, 15_000);
  assert.notEqual(st, 'timeout', `server did not exit after the drain; stderr:\n${server.stderrText()}`);
  assert.deepEqual(st, { code: 0, signal: null }, `exit status; stderr:\n${server.stderrText()}`);
  assert.equal(await connectOutcome(server.port), 'ECONNREFUSED', 'a new connection after exit');
});

test('after "shutting down" no new connection is served', async () => {
  const server = await startServer();
  servers.push(server);
  // Keep the server draining with a half-sent request.
  const { s, rest } = await startHalfLogin(server);
  try {
    const resP = readResponse(s, { timeout: 15_000 });
    resP.catch(() => {});
    server.proc.kill('SIGTERM');
    await server.waitForLog((o) => o.msg === 'shutting down', { what: 'the "shutting down" log line' });
    // A new client must not get a TLS session: refused, reset, or left unanswered.
    const outcome = await withTimeout(
      tlsConnect(server).then(
        (sock) => { sock.destroy(); return 'handshake completed'; },
        (e) => e.code ?? e.message,
      ),
      2_000,
      'no handshake',
    );
    assert.notEqual(outcome, 'handshake completed', 'a new connection was served after "shutting down"');
    s.write(rest);
    await resP.catch(() => {});
  } finally {
    s.destroy();
  }
  const st = await withTimeout(server.exited, 15_000);
  assert.deepEqual(st, { code: 0, signal: null }, `exit status; stderr:\n${server.stderrText()}`);
});

test('an idle server exits 0 promptly on SIGTERM', async () => {
  const server = await startServer();
  servers.push(server);
  const t0 = Date.now();
  const st = await server.terminate();
  assert.deepEqual(st, { code: 0, signal: null }, `exit status; stderr:\n${server.stderrText()}`);
  assert.ok(server.logs.some((o) => o.msg === 'shutting down'), 'no "shutting down" log line');
  assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms to exit`);
});
