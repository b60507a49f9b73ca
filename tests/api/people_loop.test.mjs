// A heavy read never stalls light ones on the same loop thread (issue 17):
// the people list (each person's sealed groups opened, the page built and
// written as JSON) runs on the worker pool, so while several connections read
// pages of 500 people in a loop, /healthz on another connection of the same
// loop still answers at once. The server runs one loop thread, so every
// connection shares it: had the lists run there, each probe would wait for
// the pages queued ahead of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startServer, request } from './lib/harness.mjs';
import { readyAdmin } from './lib/session.mjs';
import { instrumented, healthProbe, assertLoopFree } from './lib/loop.mjs';

let PEOPLE = 2000; // fewer under a sanitizer or valgrind (see before)
const READERS = 10;
const READ_MS = 4000;

let server;
let admin;
let prod;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

if (!isMainThread) {
  // one heavy reader: pages of 500 people, one after the other over a kept-alive connection,
  // for `ms`; the answers are counted and checked for their status and size, not parsed (the
  // client stays light: the probe must time the server, not its own process)
  const { server: srv, path, headers, ms } = workerData;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const until = Date.now() + ms;
  const once = () =>
    new Promise((resolve) => {
      const req = https.request(
        { host: '127.0.0.1', port: srv.port, method: 'GET', path, ca: srv.cert, servername: 'localhost', agent, timeout: 120_000, headers: { host: `localhost:${srv.port}`, ...headers } },
        (res) => {
          let length = 0;
          res.on('data', (c) => { length += c.length; });
          res.on('end', () => resolve({ status: res.statusCode, length }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${path}: no answer`)));
      req.on('error', (e) => resolve({ status: 0, length: 0, error: String(e) }));
      req.end();
    });
  (async () => {
    const seen = [];
    while (Date.now() < until) {
      const r = await once();
      seen.push(r);
      if (r.status !== 200) break;
    }
    agent.destroy();
    parentPort.postMessage(seen);
  })();
}

function readPeopleFromWorker(path, headers) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), {
      workerData: { server: { port: server.port, cert: server.cert }, path, headers, ms: READ_MS },
    });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

if (isMainThread) before(async () => {
  server = await startServer({ env: { SLATE_THREADS: '1' } });
  if (instrumented(server)) PEOPLE = 700; // still pages of 500, each many times slower to make there
  admin = await readyAdmin(server);
  const headers = { cookie: admin.cookie, origin: server.origin, 'x-csrf-token': admin.csrf };
  const res = await request(server, { method: 'POST', path: '/api/v1/productions', headers, body: { name: 'The Big Crowd', timezone: 'UTC' } });
  assert.equal(res.status, 201, res.body);
  prod = res.json;
  // every person with every sealed group filled: the list opens them all for the admin
  for (let i = 0; i < PEOPLE; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, PEOPLE - i) }, (_, k) => {
      const n = i + k;
      return request(server, {
        method: 'POST',
        path: P(prod.id, '/people'),
        headers,
        body: {
          name: `Extra ${n}`, kind: 'crew', job_title: 'Background',
          work_phone: `+44 191 496 ${String(n).padStart(4, '0')}`, work_email: `extra${n}@crowd.example`,
          personal_phone: `+44 7700 9${String(n).padStart(5, '0')}`, personal_email: `extra${n}@home.example`,
          home_address: `${n} Long Street, Newcastle upon Tyne`, emergency_contact: `Next of kin ${n}`,
          date_of_birth: '1980-01-01', dietary: 'none', medical: 'none', id_numbers: `passport ${n}`,
        },
      }).then((r) => assert.equal(r.status, 201, r.body));
    }));
  }
});

if (isMainThread) after(async () => {
  await server?.stop();
});

if (isMainThread) test('people lists read on several connections do not stall /healthz on the same loop thread', async () => {
  const bound = instrumented(server) ? 1000 : 50;
  const headers = { cookie: admin.cookie, origin: server.origin };
  // each reader its own stretch of the production: pages that open 500 people each
  const paths = Array.from({ length: READERS }, (_, i) => P(prod.id, `/people?limit=500&offset=${(i * 300) % (PEOPLE - 500)}`));
  const first = await request(server, { path: paths[0], headers });
  assert.equal(first.status, 200, first.body);
  assert.equal(first.json.people.length, 500);
  assert.ok(first.json.people.every((p) => typeof p.medical === 'string'), 'the admin reads every group');
  const size = Buffer.byteLength(first.body);

  const probe = healthProbe(server);
  assert.equal((await probe.once()).status, 200); // the probe's connection is open before the lists
  let settled = false;
  const reading = Promise.all(paths.map((p) => readPeopleFromWorker(p, headers))).finally(() => { settled = true; });
  const latencies = [];
  while (!settled) {
    const h = await probe.once();
    assert.equal(h.status, 200, '/healthz during the lists');
    latencies.push(h.ms);
    await new Promise((r) => setTimeout(r, 5));
  }
  probe.close();
  const seen = (await reading).flat();
  for (const r of seen) assert.equal(r.status, 200, r.error ?? 'a people list during the probes');
  assert.ok(seen.length >= READERS, 'every reader read at least one page');
  assert.ok(seen.some((r) => r.length >= size * 0.9), 'the pages were the large ones');
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`${seen.length} pages of 500 people (${size} bytes) read; /healthz answered ${latencies.length} times meanwhile, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);
  assertLoopFree(latencies, bound, 'the people lists');
});

if (isMainThread) test('a page of the people list holds each person exactly as their own read answers them, byte for byte', async () => {
  const headers = { cookie: admin.cookie, origin: server.origin, 'x-csrf-token': admin.csrf };
  const made = await request(server, {
    method: 'POST',
    path: P(prod.id, '/people'),
    headers,
    body: {
      name: 'Zoë "Zed" O\'Brien \\ 配役 😀 </script>', kind: 'cast', character_name: 'The / Stranger',
      work_email: 'zoe@crowd.example', personal_phone: '+44 7700 900999',
      medical: 'line one\nline two\ttabbed "quoted" back\\slash\nend', home_address: '',
    },
  });
  assert.equal(made.status, 201, made.body);
  const one = await request(server, { path: P(prod.id, `/people/${made.json.id}`), headers });
  assert.equal(one.status, 200, one.body);
  assert.ok(one.body.includes('\\n') && one.body.includes('\\t') && one.body.includes('\\"'), one.body);
  // the only cast member of the production: the page of cast holds them alone
  const last = await request(server, { path: P(prod.id, '/people?kind=cast'), headers });
  assert.equal(last.status, 200, last.body);
  assert.ok(last.body.startsWith('{"people":[') && last.body.endsWith('],"next_offset":null}'), last.body.slice(0, 80));
  assert.ok(last.body.includes(one.body), `the list's text of the person differs from GET …/people/{pid}:\n${one.body}\n${last.body}`);
  const more = await request(server, { path: P(prod.id, '/people?limit=2'), headers });
  assert.ok(more.body.endsWith('],"next_offset":2}'), more.body.slice(-40));
});
