// Slow work runs on the worker pool, never on an HTTP loop thread (issue 17):
// while a 100,000-row sustainability import is checked and stored, a light
// request on the same loop still answers at once. The server runs one loop
// thread, so every connection shares the loop the import arrived on: had the
// import run there, /healthz would wait for all of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startServer, request, slateSql } from './lib/harness.mjs';
import { readyAdmin } from './lib/session.mjs';
import { instrumented, healthProbe, assertLoopFree } from './lib/loop.mjs';

let server;
let admin;
let prod;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

if (!isMainThread) {
  // a heavy request's client (see sendFromWorker): the answer's status and size, its body
  // only when short (a 100 MB answer is counted, not parsed: the client stays light)
  const { server: srv, method, path, headers, body } = workerData;
  const req = https.request(
    { host: '127.0.0.1', port: srv.port, method, path, ca: srv.cert, servername: 'localhost', agent: false, timeout: 600_000, headers: { host: `localhost:${srv.port}`, ...headers, ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) } },
    (res) => {
      let length = 0;
      const head = [];
      res.on('data', (c) => {
        length += c.length;
        if (length <= 65536) head.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(head).toString('utf8');
        let json;
        if (length <= 65536) try { json = JSON.parse(text); } catch { /* not JSON */ }
        parentPort.postMessage({ status: res.statusCode, length, body: text.slice(0, 2000), json });
      });
    },
  );
  req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
  req.on('error', (e) => parentPort.postMessage({ status: 0, length: 0, body: String(e) }));
  req.end(body);
}

/*
 * A heavy request, sent from a worker thread of this process: a client that
 * encrypts 6 MB of body or takes in 100 MB of answer is busy for a while, and
 * the probe must time the server, not its own client.
 */
function sendFromWorker({ method, path, headers, body }) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), {
      workerData: { server: { port: server.port, cert: server.cert, origin: server.origin }, method, path, headers, body },
    });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

if (isMainThread) before(async () => {
  server = await startServer({ env: { SLATE_THREADS: '1', SLATE_REQUEST_TIMEOUT: '600' } });
  admin = await readyAdmin(server);
  const res = await request(server, {
    method: 'POST',
    path: '/api/v1/productions',
    headers: { cookie: admin.cookie, origin: server.origin, 'x-csrf-token': admin.csrf },
    body: { name: 'The Long Import', timezone: 'UTC' },
  });
  assert.equal(res.status, 201, res.body);
  prod = res.json;
});

if (isMainThread) after(async () => {
  await server?.stop();
});

if (isMainThread) test('a 100,000-row sustainability import does not stall /healthz on the same loop thread', async () => {
  const rows = instrumented(server) ? 20_000 : 100_000;
  const bound = instrumented(server) ? 1000 : 50;
  const lines = ['date,department,factor,quantity,unit,note'];
  for (let i = 0; i < rows; i++) lines.push(`2027-03-${String((i % 28) + 1).padStart(2, '0')},Transport,diesel-average-biofuel-blend,${(i % 500) + 1},litres,generator run ${i}`);
  const csv = lines.join('\n');

  const probe = healthProbe(server);
  const warm = await probe.once(); // the connection is open before the import starts
  assert.equal(warm.status, 200);

  let answered = false;
  const started = process.hrtime.bigint();
  const importing = sendFromWorker({
    method: 'POST',
    path: P(prod.id, '/sustainability/import?dry_run=false'),
    headers: { cookie: admin.cookie, origin: server.origin, 'x-csrf-token': admin.csrf, 'content-type': 'text/csv' },
    body: csv,
  }).finally(() => { answered = true; });

  const latencies = [];
  while (!answered) {
    const h = await probe.once();
    assert.equal(h.status, 200, '/healthz during the import');
    latencies.push(h.ms); // every probe sent before the import answered
    await new Promise((r) => setTimeout(r, 5));
  }
  probe.close();
  const res = await importing;
  const took = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(res.status, 201, res.body);
  assert.equal(res.json.imported, rows);
  assert.equal(Number(slateSql(server.data, `SELECT COUNT(*) FROM carbon_entry WHERE production_id = '${prod.id}'`)), rows);

  const max = Math.max(...latencies);
  console.log(`import of ${rows} rows took ${took.toFixed(0)} ms; /healthz answered ${latencies.length} times meanwhile, max ${max.toFixed(1)} ms`);
  // the import lasted long enough for the probe to mean something
  assert.ok(latencies.length >= 10, `only ${latencies.length} probes while the import ran (${took.toFixed(0)} ms)`);
  assertLoopFree(latencies, bound, 'the import');
});

/* Probes /healthz until `work` settles; returns its result and every probe's latency. */
async function probeWhile(work) {
  const probe = healthProbe(server);
  assert.equal((await probe.once()).status, 200);
  let settled = false;
  const running = work().finally(() => { settled = true; });
  const latencies = [];
  while (!settled) {
    const h = await probe.once();
    assert.equal(h.status, 200, '/healthz during the work');
    latencies.push(h.ms);
    await new Promise((r) => setTimeout(r, 5));
  }
  probe.close();
  return { res: await running, latencies };
}

if (isMainThread) test('the export of a production of 100,000 entries does not stall /healthz on the same loop thread', async () => {
  const bound = instrumented(server) ? 1000 : 50;
  const headers = { cookie: admin.cookie, origin: server.origin };
  for (const target of ['/export?format=json']) {
    const { res, latencies } = await probeWhile(() => sendFromWorker({ method: 'GET', path: P(prod.id, target), headers }));
    assert.equal(res.status, 200, `${target}: ${res.body}`);
    const max = Math.max(...latencies);
    console.log(`${target}: ${res.length} bytes; /healthz answered ${latencies.length} times meanwhile, max ${max.toFixed(1)} ms`);
    assertLoopFree(latencies, bound, target);
  }
});
