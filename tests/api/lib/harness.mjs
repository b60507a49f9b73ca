// Black-box harness for the Slate API tests: runs the real binary, talks to it
// over real sockets, and cleans up after itself. Node built-ins only.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { checkResponse } from './openapi.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SLATE_BIN = path.resolve(REPO_ROOT, process.env.SLATE_BIN || 'build/slate');
// The binary of the setup and inspection helpers below (initDataDir, slateSql,
// newAccount), which prepare what a test then exercises on SLATE_BIN. The
// valgrind lane sets it to the release binary: there one process start costs
// a second and `slate init` seven, and 500 of them a run are plumbing. Every
// command a test is about (init.test.mjs, cli_*.test.mjs, backup, …) still
// runs on SLATE_BIN through runSlate.
export const SETUP_BIN = path.resolve(REPO_ROOT, process.env.SLATE_SETUP_BIN || process.env.SLATE_BIN || 'build/slate');
export const ADMIN_PASSWORD = 'Correct-Horse-Battery-Staple-42!';
export const ADMIN_EMAIL = 'admin@localhost'; // the contract's default

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Race `promise` against a timer that is always cleared (a stray timer would
 * keep the test process alive). Resolves `onTimeout` (default: the string
 * 'timeout') if the deadline passes first.
 */
export function withTimeout(promise, ms, onTimeout = 'timeout') {
  let timer;
  const t = new Promise((r) => { timer = setTimeout(() => r(onTimeout), ms); });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** If the server has died, say so (with its stderr) in `err`. */
function explain(server, err) {
  if (server?.exitStatus) {
    err.message += `\n(slate serve had exited: ${JSON.stringify(server.exitStatus)}; stderr:\n${server.stderrText()})`;
  }
  return err;
}

/** Poll `fn` until it returns a truthy value; throw `what()` at the deadline. */
export async function waitFor(fn, { timeout = 10_000, interval = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(interval);
  }
}

/** The environment children get: ours minus any SLATE_* that could leak in, plus `extra`. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLATE_')) env[k] = v;
  return { ...env, ...extra };
}

/** Run the binary to completion: {code, signal, stdout, stderr}. */
export function runSlate(args, { env = {}, timeout = 30_000, cwd, bin = SLATE_BIN } = {}) {
  const r = spawnSync(bin, args, {
    env: childEnv(env),
    encoding: 'utf8',
    timeout,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) {
    if (r.error.code === 'ENOENT') r.error.message += ` (no binary at ${bin}: build it with make, or set SLATE_BIN)`;
    throw r.error;
  }
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run SQL on a data directory's database, decrypted, through `slate sql`
 * (read-only unless `write`): its stdout, trimmed. Rows are lines of columns
 * joined by '|', or with `json` one JSON array per statement.
 */
export function slateSql(data, q, { json = false, write = false } = {}) {
  const args = ['sql', q, '--data', data];
  if (json) args.push('--json');
  if (write) args.push('--write');
  const r = runSlate(args, { timeout: 120_000, bin: SETUP_BIN });
  assert.equal(r.code, 0, `slate sql ${q}\n${r.stderr}`);
  return r.stdout.trim();
}

/** A fresh temp directory, removed by `cleanup()`. */
export function makeTempDir(prefix = 'slate-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Make a temp dir and run `slate init --data <tmp>/data --json` in it with a
 * known admin password. Returns {root, data, cert, init, cleanup}.
 */
export function initDataDir({ env = {} } = {}) {
  const tmp = makeTempDir();
  const data = path.join(tmp.dir, 'data');
  let r;
  try {
    r = runSlate(['init', '--data', data, '--json'], {
      env: { SLATE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env },
      bin: SETUP_BIN,
    });
  } catch (e) {
    tmp.cleanup();
    throw e;
  }
  if (r.code !== 0) {
    tmp.cleanup();
    throw new Error(`slate init exited ${r.code} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  let init;
  try {
    init = JSON.parse(r.stdout);
  } catch {
    tmp.cleanup();
    throw new Error(`slate init --json printed no JSON object:\n${r.stdout}`);
  }
  const cert = fs.readFileSync(path.join(data, 'tls', 'cert.pem'));
  return { root: tmp.dir, data, cert, init, cleanup: tmp.cleanup };
}

/** Parse one stderr line as JSON, or null. */
function parseLogLine(line) {
  try {
    const o = JSON.parse(line);
    return o && typeof o === 'object' ? o : null;
  } catch {
    return null;
  }
}

function portOf(hostport) {
  const m = /:(\d+)$/.exec(String(hostport));
  if (!m) throw new Error(`cannot read a port from ${JSON.stringify(hostport)}`);
  return Number(m[1]);
}

/**
 * Start `slate serve` on a fresh (or given) data dir, on a free port (or
 * `port`, for a test that must know it before the start). Resolves once the
 * "listening" line is logged. The returned object:
 *   port, httpPort, cert, data, proc, lines (stderr lines), logs (parsed),
 *   waitForLog(pred), exited (promise of {code, signal}), stop(), cleanup().
 */
export async function startServer({ http = false, env = {}, dataDir, startTimeout = 15_000, port = 0 } = {}) {
  const dd = dataDir ?? initDataDir();
  const args = ['serve', '--data', dd.data, '--listen', `127.0.0.1:${port}`];
  if (http) args.push('--http-listen', '127.0.0.1:0');
  const proc = spawn(SLATE_BIN, args, {
    env: childEnv({ SLATE_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const srv = {
    proc,
    data: dd.data,
    cert: dd.cert,
    init: dd.init,
    lines: [],
    logs: [],
    stdout: '',
    exitStatus: null,
    port: undefined,
    httpPort: undefined,
    // the Origin of Slate's own pages: the server compares Origin with its public_url only,
    // never with the Host a client sends (the default public_url unless a test sets one)
    origin: String(env.SLATE_PUBLIC_URL ?? 'https://localhost:8443').replace(/\/+$/, ''),
  };
  let partial = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    partial += chunk;
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      srv.lines.push(line);
      const o = parseLogLine(line);
      if (o) srv.logs.push(o);
    }
  });
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (c) => { srv.stdout += c; });
  srv.exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      srv.exitStatus = { code, signal };
      resolve(srv.exitStatus);
    });
  });
  proc.on('error', (e) => { srv.spawnError = e; });
  srv.stderrText = () => srv.lines.concat(partial ? [partial] : []).join('\n');

  /** Poll for a parsed log line matching `pred`; fail fast (with stderr) if the server dies. */
  srv.waitForLog = (pred, { timeout = 10_000, what = 'a log line' } = {}) =>
    waitFor(
      () => {
        const hit = srv.logs.find(pred);
        if (hit) return hit;
        if (srv.spawnError) throw new Error(`cannot run ${SLATE_BIN}: ${srv.spawnError.message}`);
        if (srv.exitStatus) {
          throw new Error(
            `slate serve exited early (${JSON.stringify(srv.exitStatus)}) before ${what}; stderr:\n${srv.stderrText()}`,
          );
        }
        return null;
      },
      { timeout, what: () => `${what}; stderr so far:\n${srv.stderrText()}` },
    );

  let stopped = false;
  /** SIGTERM, wait for exit (SIGKILL after a deadline), return {code, signal}. */
  srv.terminate = async ({ timeout = 15_000 } = {}) => {
    if (!srv.exitStatus && !srv.spawnError) proc.kill('SIGTERM');
    const r = await withTimeout(srv.exited, timeout);
    if (r === 'timeout') {
      proc.kill('SIGKILL');
      await srv.exited;
      throw new Error(`slate serve did not exit within ${timeout} ms of SIGTERM; stderr:\n${srv.stderrText()}`);
    }
    return r;
  };
  /** Stop the server and assert it exited 0; always removes the data dir (unless given). */
  srv.stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (srv.spawnError) return;
      const st = await srv.terminate();
      assert.deepEqual(st, { code: 0, signal: null }, `slate serve exit status on SIGTERM; stderr:\n${srv.stderrText()}`);
    } finally {
      if (!dataDir) dd.cleanup();
    }
  };
  /** Kill hard and clean up, without assertions (for error paths). */
  srv.kill = async () => {
    stopped = true;
    if (!srv.exitStatus && !srv.spawnError) {
      proc.kill('SIGKILL');
      await srv.exited;
    }
    if (!dataDir) dd.cleanup();
  };

  try {
    const ready = await srv.waitForLog((o) => o.msg === 'listening', {
      timeout: startTimeout,
      what: 'the "listening" log line',
    });
    srv.listening = ready;
    srv.port = portOf(ready.https);
    if (http) {
      if (ready.http === undefined) throw new Error(`"listening" line has no "http" field: ${JSON.stringify(ready)}`);
      srv.httpPort = portOf(ready.http);
    }
  } catch (e) {
    await srv.kill();
    throw e;
  }
  return srv;
}

// ---------------------------------------------------------------------------
// HTTPS client

function collectResponse(res) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const raw = Buffer.concat(chunks);
      // raw: the bytes as sent; body and json: what a client reads (a gzipped answer inflated)
      const body = (res.headers['content-encoding'] === 'gzip' && raw.length ? gunzipSync(raw) : raw).toString('utf8');
      let json;
      try {
        json = body.length ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ status: res.statusCode, headers: res.headers, body, raw, json });
    });
  });
}

/**
 * One HTTPS request on a fresh connection, trusting only `server.cert`.
 * opts: method, path, headers, body (string | Buffer | object → JSON), timeout.
 * Returns {status, headers, body, raw, json}. Every response on a path that
 * docs/openapi.yaml documents is checked against it (lib/openapi.mjs): one
 * that does not fit rejects with an AssertionError saying why.
 */
export function request(server, { method = 'GET', path: p = '/', headers = {}, body, timeout = 10_000, port } = {}) {
  let payload = body;
  const hdrs = { host: `localhost:${port ?? server.port}`, ...headers };
  if (payload !== undefined && !Buffer.isBuffer(payload) && typeof payload !== 'string') {
    payload = JSON.stringify(payload);
    if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type')) hdrs['content-type'] = 'application/json';
  }
  if (payload !== undefined && !Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-length')) {
    hdrs['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: port ?? server.port,
        method,
        path: p,
        headers: hdrs,
        ca: server.cert,
        servername: 'localhost',
        agent: false,
        timeout,
      },
      (res) => collectResponse(res).then((r) => {
        checkResponse(method, p, r);
        return r;
      }).then(resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no response within ${timeout} ms`)));
    req.on('error', (e) => reject(explain(server, e)));
    req.end(payload);
  });
}

// ---------------------------------------------------------------------------
// Raw sockets

/** A TLS connection to the server, resolved after the handshake. */
export function tlsConnect(server, opts = {}) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: server.port,
      ca: server.cert,
      servername: 'localhost',
      ...opts,
    });
    const onErr = (e) => reject(explain(server, e));
    s.once('error', onErr);
    s.once('secureConnect', () => {
      s.off('error', onErr);
      resolve(s);
    });
  });
}

/** A plain TCP connection. */
export function tcpConnect(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/**
 * Incremental reader of one HTTP/1.1 response from a socket.
 * Resolves {status, statusText, headers (lowercased; repeats joined with ", "),
 * rawHeaders, body (Buffer), text, json, closed (server closed the socket)}.
 * Handles Content-Length, chunked, and read-until-close bodies.
 */
export function readResponse(socket, { timeout = 10_000, method = 'GET' } = {}) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let head = null;
    let done = false;
    let closed = false;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (err) reject(err);
      else resolve(val);
    };
    const build = (body) => {
      const text = body.toString('utf8');
      let json;
      try {
        json = text.length ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { ...head, body, text, json, closed, rest: buf };
    };
    const tryParse = () => {
      if (!head) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        const lines = buf.subarray(0, i).toString('latin1').split('\r\n');
        buf = buf.subarray(i + 4);
        const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
        if (!m) return finish(new Error(`bad status line: ${JSON.stringify(lines[0])}`));
        const headers = {};
        const rawHeaders = [];
        for (const l of lines.slice(1)) {
          const c = l.indexOf(':');
          if (c <= 0) return finish(new Error(`bad header line: ${JSON.stringify(l)}`));
          const k = l.slice(0, c).trim().toLowerCase();
          const v = l.slice(c + 1).trim();
          rawHeaders.push([k, v]);
          headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
        }
        head = { status: Number(m[1]), statusText: m[2] ?? '', headers, rawHeaders };
      }
      const status = head.status;
      if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) {
        return finish(null, build(Buffer.alloc(0)));
      }
      const te = head.headers['transfer-encoding'];
      if (te && /chunked/i.test(te)) {
        const parts = [];
        let off = 0;
        for (;;) {
          const e = buf.indexOf('\r\n', off);
          if (e < 0) return;
          const size = parseInt(buf.subarray(off, e).toString('latin1'), 16);
          if (Number.isNaN(size)) return finish(new Error('bad chunk size'));
          if (size === 0) {
            // No trailers: "0\r\n\r\n"; with trailers: up to the first blank line.
            const end = buf.subarray(e + 2, e + 4).toString('latin1') === '\r\n' ? e + 4 : buf.indexOf('\r\n\r\n', e + 2) + 4;
            if (end < 4) return;
            buf = buf.subarray(end);
            return finish(null, build(Buffer.concat(parts)));
          }
          if (buf.length < e + 2 + size + 2) return;
          parts.push(buf.subarray(e + 2, e + 2 + size));
          off = e + 2 + size + 2;
        }
      }
      const cl = head.headers['content-length'];
      if (cl !== undefined) {
        const n = Number(cl);
        if (buf.length >= n) {
          const body = buf.subarray(0, n);
          buf = buf.subarray(n);
          return finish(null, build(body));
        }
        return;
      }
      if (closed) return finish(null, build(buf));
    };
    const onData = (c) => {
      buf = Buffer.concat([buf, c]);
      tryParse();
    };
    const onEnd = () => {
      closed = true;
      if (!head) return finish(new Error(`connection closed before a full response head; got ${JSON.stringify(buf.toString('latin1'))}`));
      tryParse();
      if (!done) finish(new Error(`connection closed mid-body; got ${buf.length} bytes`));
    };
    const onError = (e) => {
      // A reset after the full response is fine; before, it is a failure.
      closed = true;
      if (head) tryParse();
      finish(e);
    };
    const timer = setTimeout(
      () => finish(new Error(`no complete response within ${timeout} ms; got ${JSON.stringify(buf.toString('latin1').slice(0, 500))}`)),
      timeout,
    );
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  });
}

/** Send `data` on an open socket, read one response, close the socket. */
async function exchange(s, data, { timeout = 10_000, method } = {}) {
  try {
    const p = readResponse(s, { timeout, method });
    s.write(data);
    return await p;
  } finally {
    s.destroy();
  }
}

/** Open a TLS connection, send `data` (string/Buffer), read one response, close. */
export async function rawTlsRequest(server, data, opts = {}) {
  return exchange(await tlsConnect(server), data, opts);
}

/** Resolve with {at: Date.now(), hadError} when the socket closes. */
export function whenClosed(socket) {
  return new Promise((resolve) => {
    if (socket.destroyed && socket.closed) return resolve({ at: Date.now(), hadError: false });
    socket.on('error', () => {});
    socket.once('close', (hadError) => resolve({ at: Date.now(), hadError }));
  });
}

// ---------------------------------------------------------------------------
// Contract checks shared by several files

/** The security headers every response must carry (CONTRACT.md, HTTP). */
export function assertSecurityHeaders(headers, what = 'response') {
  assert.equal(
    headers['strict-transport-security'],
    'max-age=31536000; includeSubDomains',
    `${what}: Strict-Transport-Security`,
  );
  const csp = headers['content-security-policy'];
  assert.ok(typeof csp === 'string', `${what}: Content-Security-Policy missing`);
  assert.ok(csp.includes("default-src 'self'"), `${what}: CSP lacks default-src 'self': ${csp}`);
  assert.ok(csp.includes("frame-ancestors 'none'"), `${what}: CSP lacks frame-ancestors 'none': ${csp}`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assert.equal(headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  assert.ok(
    typeof headers['x-request-id'] === 'string' && headers['x-request-id'].length > 0,
    `${what}: X-Request-Id missing`,
  );
}

export function assertNoStore(headers, what = 'response') {
  const cc = headers['cache-control'] ?? '';
  const directives = cc.split(',').map((d) => d.trim().toLowerCase());
  assert.ok(directives.includes('no-store'), `${what}: Cache-Control lacks no-store: ${JSON.stringify(cc)}`);
}

/** An RFC 9457 problem document with the contract's members. */
export function assertProblem(res, status, what = 'response') {
  assert.equal(res.status, status, `${what}: status (body: ${res.body ?? res.text})`);
  const ct = res.headers['content-type'] ?? '';
  assert.match(ct, /^application\/problem\+json(\s*;|$)/, `${what}: Content-Type`);
  const j = res.json;
  assert.ok(j && typeof j === 'object', `${what}: body is not a JSON object: ${res.body ?? res.text}`);
  assert.equal(j.status, status, `${what}: problem "status"`);
  for (const k of ['type', 'title', 'detail', 'request_id']) {
    assert.equal(typeof j[k], 'string', `${what}: problem member "${k}" missing or not a string`);
  }
  return j;
}

/** Open a plain TCP connection to `port`, send `data`, read one response, close. */
export async function rawHttpRequest(port, data, opts = {}) {
  return exchange(await tcpConnect(port), data, opts);
}
