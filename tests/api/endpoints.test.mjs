// CONTRACT.md, HTTP: /healthz, /readyz, security.txt, /metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request } from './lib/harness.mjs';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef';
let server;

before(async () => {
  server = await startServer({ env: { SLATE_METRICS_TOKEN: METRICS_TOKEN } });
});

after(async () => {
  await server?.stop();
});

test('GET /healthz answers 200 {"status":"ok"}', async () => {
  const res = await request(server, { path: '/healthz' });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^application\/json(\s*;|$)/);
  assert.deepEqual(res.json, { status: 'ok' });
});

test('GET /readyz answers 200 {"status":"ready"}', async () => {
  const res = await request(server, { path: '/readyz' });
  assert.equal(res.status, 200, res.body);
  assert.match(res.headers['content-type'] ?? '', /^application\/json(\s*;|$)/);
  assert.deepEqual(res.json, { status: 'ready' });
});

/** Parse "Field: value" lines (comments and blanks skipped). */
function securityTxtFields(text) {
  const fields = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    assert.ok(m, `security.txt line is not "Field: value": ${JSON.stringify(line)}`);
    (fields[m[1].toLowerCase()] ??= []).push(m[2].trim());
  }
  return fields;
}

test('security.txt is text/plain; charset=utf-8 with Contact, Expires, Policy, Preferred-Languages, Canonical', async () => {
  const res = await request(server, { path: '/.well-known/security.txt' });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain;\s*charset=utf-8$/i);
  const f = securityTxtFields(res.body);
  for (const k of ['contact', 'expires', 'policy', 'preferred-languages', 'canonical']) {
    assert.ok(f[k]?.length, `security.txt lacks ${k}:\n${res.body}`);
  }
  assert.equal(f.expires.length, 1, 'security.txt has more than one Expires');
  assert.ok(f.contact.every((c) => /^(mailto:|https:\/\/|tel:)/.test(c)), `Contact: ${f.contact}`);
  assert.ok(f.canonical.every((c) => c.startsWith('https://')), `Canonical: ${f.canonical}`);
});

test('security.txt Expires is RFC 3339 UTC, in the future and less than a year ahead', async () => {
  const res = await request(server, { path: '/.well-known/security.txt' });
  const f = securityTxtFields(res.body);
  const exp = f.expires?.[0];
  assert.match(exp ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, `Expires: ${exp}`);
  const t = Date.parse(exp);
  assert.ok(Number.isFinite(t), `unparseable Expires: ${exp}`);
  const now = Date.now();
  assert.ok(t > now, `Expires ${exp} is not in the future`);
  assert.ok(t - now < 365 * 24 * 3600 * 1000, `Expires ${exp} is a year or more ahead`);
});

/** Sum slate_http_requests_total samples whose labels include all of `want`. */
function requestsTotal(text, want) {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^slate_http_requests_total\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(want).every(([k, v]) => labels[k] === v)) sum += Number(m[2]);
  }
  return sum;
}

test('/metrics from loopback is Prometheus text with the contract metrics', async () => {
  const res = await request(server, { path: '/metrics' });
  assert.equal(res.status, 200, res.body);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
  assert.match(res.body, /^# TYPE slate_http_requests_total counter$/m);
  assert.match(res.body, /^slate_http_requests_total\{[^}]*\broute="[^"]*"[^}]*\}/m);
  assert.match(res.body, /^slate_http_requests_total\{[^}]*\bmethod="[^"]*"[^}]*\}/m);
  assert.match(res.body, /^slate_http_requests_total\{[^}]*\bstatus="[^"]*"[^}]*\}/m);
  assert.match(res.body, /^# TYPE slate_http_request_duration_seconds histogram$/m);
  assert.match(res.body, /^slate_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} /m);
  assert.match(res.body, /^slate_http_request_duration_seconds_count/m);
  assert.match(res.body, /^slate_open_connections(\{[^}]*\})? \d+/m);
});

test('/metrics counts a request just made', async () => {
  const want = { route: '/healthz', method: 'GET', status: '200' };
  const before = requestsTotal((await request(server, { path: '/metrics' })).body, want);
  const h = await request(server, { path: '/healthz' });
  assert.equal(h.status, 200);
  const res = await request(server, { path: '/metrics' });
  const afterCount = requestsTotal(res.body, want);
  assert.ok(
    afterCount >= before + 1,
    `slate_http_requests_total{route="/healthz",method="GET",status="200"} went ${before} -> ${afterCount}\n${res.body}`,
  );
});

test('/metrics with the SLATE_METRICS_TOKEN bearer token answers 200', async () => {
  const res = await request(server, { path: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(res.status, 200, res.body);
  assert.match(res.body, /^slate_http_requests_total\{/m);
});
