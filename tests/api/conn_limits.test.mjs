// Issue 15 item 4: one address must not be able to take every connection slot.
// README (limits): max_connections_per_address caps what one client address
// (an IPv4 address, an IPv6 /64) may hold open; the last loopback_reserve
// slots of max_connections are kept for 127.0.0.1 and ::1, so the host's own
// health check is answered while the server is full; a connection that has
// not finished its TLS handshake within tls_handshake_timeout is closed.
//
// The attackers connect from other loopback addresses (127.0.0.2, …): Linux
// routes all of 127/8 to lo, and to Slate each is its own address that gets
// no reserve. Only 127.0.0.1 (the health checker) is served from the reserve.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import {
  startServer, request, tlsConnect, whenClosed, withTimeout, waitFor, SLATE_BIN, initDataDir, childEnv,
} from './lib/harness.mjs';

const PER_ADDRESS = 20;
const MAX = 60;
const RESERVE = 10;
// A health probe must answer within 1 s; under valgrind a TLS handshake alone can take longer.
const PROBE_MS = /valgrind/.test(SLATE_BIN) ? 5_000 : 1_000;

/** Connections the server counts as open now (/metrics, which answers loopback without a token). */
async function serverConnections(server) {
  const res = await request(server, { path: '/metrics' });
  const m = /^slate_open_connections (\d+)$/m.exec(res.body);
  assert.ok(m, 'slate_open_connections in /metrics');
  return Number(m[1]) - 1; // less the one asking
}

/** A silent TCP connection from `from`; resolves once connected, with .closed set when the server closes it. */
function silent(port, from) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: from });
    s.closedAt = null;
    s.on('close', () => { s.closedAt = Date.now(); });
    s.on('error', () => {}); // a reset from the server is a close too
    s.once('connect', () => resolve(s));
    s.once('error', (e) => { if (!s.connecting) return; reject(e); });
  });
}

async function openSilent(port, from, n) {
  const socks = [];
  for (let i = 0; i < n; i += 25) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 25); k++) batch.push(silent(port, from));
    socks.push(...(await Promise.all(batch)));
  }
  return socks;
}

const openCount = (socks) => socks.filter((s) => s.closedAt === null).length;

/**
 * /healthz from 127.0.0.1 every 100 ms for `ms`; every probe must answer 200
 * within 1 s (availability, not only a status code). Returns the slowest.
 */
async function probeHealth(server, ms) {
  const until = Date.now() + ms;
  let slowest = 0;
  let n = 0;
  while (Date.now() < until) {
    const t0 = Date.now();
    const res = await request(server, { path: '/healthz', timeout: PROBE_MS }).catch((e) => e);
    const took = Date.now() - t0;
    assert.ok(!(res instanceof Error), `health probe ${n} failed after ${took} ms: ${res.message}`);
    assert.equal(res.status, 200, `health probe ${n}`);
    assert.ok(took < PROBE_MS, `health probe ${n} took ${took} ms`);
    slowest = Math.max(slowest, took);
    n++;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { slowest, probes: n };
}

let server;
let all = [];

before(async () => {
  server = await startServer({
    env: {
      SLATE_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      SLATE_MAX_CONNECTIONS: String(MAX),
      SLATE_LOOPBACK_RESERVE: String(RESERVE),
      // long deadlines here: this server tests the caps, the next one the handshake deadline
      SLATE_TLS_HANDSHAKE_TIMEOUT: '60',
      SLATE_REQUEST_TIMEOUT: '60',
    },
  });
});

after(async () => {
  for (const s of all) s.destroy();
  await server?.stop();
});

test('one address holds at most max_connections_per_address connections; the rest are closed at once', async () => {
  const socks = await openSilent(server.port, '127.0.0.2', 3 * PER_ADDRESS);
  all.push(...socks);
  try {
    // The refused ones are closed by the server without waiting for any deadline.
    await waitFor(() => openCount(socks) <= PER_ADDRESS, {
      timeout: 5_000,
      what: () => `the server to close connections over the per-address limit (${openCount(socks)} of ${socks.length} open)`,
    });
    assert.equal(openCount(socks), PER_ADDRESS, 'the first connections up to the limit stay open');
    // and a new one from the same address is refused too, while another address still gets in
    const extra = await silent(server.port, '127.0.0.2');
    socks.push(extra);
    await waitFor(() => extra.closedAt !== null, { timeout: 5_000, what: 'the extra connection to be closed' });
    const other = await tlsConnect(server, { localAddress: '127.0.0.3' });
    socks.push(other);
    assert.equal(other.destroyed, false);
    const res = await request(server, { path: '/healthz' });
    assert.equal(res.status, 200);
  } finally {
    for (const s of socks) s.destroy();
  }
});

test('while other addresses fill the server, /healthz from 127.0.0.1 answers within 1 s every time', async (t) => {
  // Wait for the previous test's connections to be gone from the server's count.
  await waitFor(async () => (await serverConnections(server)) === 0, { what: 'the previous connections to close' });
  const before = Date.now();
  // 127.0.0.2-.6 each try 2×PER_ADDRESS: more than the server's non-reserved slots in all.
  const socks = [];
  for (let a = 2; a <= 6; a++) socks.push(...(await openSilent(server.port, `127.0.0.${a}`, 2 * PER_ADDRESS)));
  all.push(...socks);
  // Until the server has taken every connection in: nothing closed for 300 ms.
  const lastClose = () => Math.max(0, ...socks.map((s) => s.closedAt ?? 0));
  await waitFor(() => openCount(socks) <= MAX && Date.now() - lastClose() > 300, {
    timeout: 5_000,
    what: () => `the server to take the connections in (${openCount(socks)} open)`,
  });
  const { slowest, probes } = await probeHealth(server, 3_000);
  assert.ok(probes >= 3, `only ${probes} probes in 3 s`);
  assert.equal(openCount(socks), MAX - RESERVE, 'the attackers fill every slot but the reserve, and still did while health was probed');
  // Another address gets nothing now: the server is full for everyone but the health checker.
  const late = await silent(server.port, '127.0.0.7');
  socks.push(late);
  await waitFor(() => late.closedAt !== null, { timeout: 5_000, what: 'a connection to the full server to be closed' });
  t.diagnostic(`${probes} probes, slowest ${slowest} ms, ${Date.now() - before} ms in all`);
  for (const s of socks) s.destroy();
});

test('a connection that does not finish its TLS handshake is closed after tls_handshake_timeout, not request_timeout', async () => {
  const srv = await startServer({ env: { SLATE_TLS_HANDSHAKE_TIMEOUT: '3', SLATE_REQUEST_TIMEOUT: '60' } });
  const open = [];
  try {
    const t0 = Date.now();
    const mute = await openSilent(srv.port, '127.0.0.2', 30);
    open.push(...mute);
    // one that did finish its handshake, opened at the same time, sending nothing after it
    const doneAt = Date.now();
    const done = await tlsConnect(srv, { localAddress: '127.0.0.3' });
    open.push(done);
    const doneClosed = whenClosed(done);
    await waitFor(() => openCount(mute) === 0, {
      timeout: 12_000,
      what: () => `silent connections to be cut (${openCount(mute)} of ${mute.length} still open after ${Date.now() - t0} ms)`,
    });
    const last = Math.max(...mute.map((s) => s.closedAt)) - t0;
    const first = Math.min(...mute.map((s) => s.closedAt)) - t0;
    assert.ok(first >= 2_000, `a silent connection was cut after only ${first} ms`);
    assert.ok(last < 12_000, `the last silent connection was cut after ${last} ms`);
    // the handshaken connection keeps the request deadline (60 s)
    // (it would have been cut 3 s after it opened; give that a second more to happen)
    const window = Math.max(500, doneAt + 4_000 - Date.now());
    assert.equal(await withTimeout(doneClosed, window, 'open'), 'open', 'a connection past its handshake was cut at the handshake deadline');
    const res = await request(srv, { path: '/healthz' });
    assert.equal(res.status, 200);
  } finally {
    for (const s of open) s.destroy();
    await srv.stop();
  }
});

/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

test('when file descriptors run out, accepting pauses instead of spinning, and the server recovers', async (t) => {
  // The server runs with 96 descriptors (soft and hard, so Slate cannot lift it) and
  // is sent more connections than that: accept() fails with EMFILE while they stay.
  const dd = initDataDir();
  const proc = spawn('sh', ['-c', 'ulimit -n 96 && exec "$0" "$@"', SLATE_BIN, 'serve', '--data', dd.data, '--listen', '127.0.0.1:0'], {
    env: childEnv({ SLATE_LOG_LEVEL: 'info', SLATE_TLS_HANDSHAKE_TIMEOUT: '3', SLATE_REQUEST_TIMEOUT: '60' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const socks = [];
  try {
    const port = Number(await waitFor(() => /"msg":"listening".*?"https":"[^"]*:(\d+)"/.exec(stderr)?.[1], {
      timeout: 20_000, what: () => `the server to listen; stderr:\n${stderr}`,
    }));
    const srv = { port, cert: dd.cert };
    for (let i = 0; i < 150; i++) socks.push(silent(port, `127.0.0.${2 + (i % 6)}`).catch(() => null));
    await Promise.all(socks);
    await waitFor(() => fs.readdirSync(`/proc/${proc.pid}/fd`).length >= 90, {
      timeout: 10_000, what: () => `the server to use up its descriptors; stderr:\n${stderr}`,
    });
    // While the descriptors are exhausted, the loop must not spin on the readable listener.
    const c0 = cpuSeconds(proc.pid);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 1_500)); // a measuring window, not a wait for a condition
    const used = cpuSeconds(proc.pid) - c0;
    t.diagnostic(`${used.toFixed(2)} CPU seconds in ${Date.now() - t0} ms with descriptors exhausted`);
    assert.ok(used < 0.5, `the server used ${used.toFixed(2)} CPU seconds in 1.5 s with its descriptors exhausted (spinning)`);
    // The silent connections are cut at the handshake deadline; then the queued ones get in and health answers.
    const res = await waitFor(() => request(srv, { path: '/healthz', timeout: 3_000 }).catch(() => null), {
      timeout: 20_000, interval: 200, what: 'the server to answer /healthz again',
    });
    assert.equal(res.status, 200);
    const lines = stderr.split('\n').filter((l) => l.includes('accept failed'));
    assert.ok(lines.length >= 1, `accept failing is logged; stderr:\n${stderr}`);
    assert.ok(lines.length <= 2, `"accept failed" is logged once per loop a minute at most, got ${lines.length} lines`);
  } finally {
    for (const s of await Promise.all(socks)) s?.destroy();
    proc.kill('SIGTERM');
    const st = await withTimeout(exited, 15_000);
    if (st === 'timeout') proc.kill('SIGKILL');
    dd.cleanup();
    assert.deepEqual(st, { code: 0, signal: null }, `exit status on SIGTERM; stderr:\n${stderr}`);
  }
});
