// The carbon report as a file and as a chart (issue 16): the CSV and SVG
// answers carry exactly one Content-Security-Policy (their own, not theirs
// and the page policy both), the CSV comes as an attachment, and the
// category chart is readable: its axis fits the bars (the budget is a
// total, drawn on the cumulative chart, labelled), each bar says its
// value, categories have names a reader knows, and a department head's
// chart says whose department it covers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let head;
const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const S = (rest = '') => P(prod.id, `/sustainability${rest}`);
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'";

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Gaffer Tape', timezone: 'Europe/London' } })).json;
  head = await newAccount(server, 'transport.head@charts.example', 'a long passphrase for the unit base');
  const m = await call(server, admin, 'POST', P(prod.id, '/members'), { body: { email: 'transport.head@charts.example', role: 'department_head', department: 'Transport' } });
  assert.equal(m.status, 201, m.body);
  for (const body of [
    // 1,000 L × 2.51279 = 2,512.79 kg; 5,000 passenger-km × 0.20011 = 1,000.55 kg
    { date: '2027-02-26', department: 'Transport', factor: 'diesel-average-biofuel-blend', quantity: 1000, unit: 'L' },
    { date: '2027-02-27', department: 'Production', factor: 'long-haul-flight-to-from-uk-economy', quantity: 5000, unit: 'passenger_km' },
  ]) {
    const r = await call(server, admin, 'POST', S('/entries'), { body });
    assert.equal(r.status, 201, r.body);
  }
  const put = await call(server, admin, 'PUT', S('/settings'), { body: { budget_kg: 20000 } });
  assert.equal(put.status, 200, put.body);
});
after(async () => { await server?.stop(); });

const texts = (svg) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

test('the CSV and SVG reports carry exactly one Content-Security-Policy, and the CSV comes as an attachment', async () => {
  for (const q of ['format=csv', 'format=svg&chart=category', 'format=svg&chart=cumulative']) {
    const res = await call(server, admin, 'GET', S(`/report?${q}`));
    assert.equal(res.status, 200, `${q}: ${res.body}`);
    // Node joins repeated headers with ", ": two policies would show as one longer value
    assert.equal(res.headers['content-security-policy'], REPORT_CSP, `${q}: one policy, the report's`);
  }
  const csv = await call(server, admin, 'GET', S('/report?format=csv'));
  assert.equal(csv.headers['content-disposition'], `attachment; filename="slate-${prod.id}-carbon-report.csv"`);
  const row = csv.body.split('\r\n').find((l) => l.startsWith('category,travel_air,'));
  assert.ok(row?.startsWith('category,travel_air,Air travel,1000.550,'), row);
  // every other answer keeps the page policy, once
  const me = await call(server, admin, 'GET', '/api/v1/me');
  assert.equal(me.headers['content-security-policy'].match(/default-src/g).length, 1);
  assert.match(me.headers['content-security-policy'], /^default-src 'self'/);
});

test('the category chart fits its axis to the bars, labels each bar with its value and names categories as a reader would', async () => {
  const res = await call(server, admin, 'GET', S('/report?format=svg&chart=category'));
  assert.equal(res.status, 200, res.body);
  const t = texts(res.body);
  // a budget of 20,000 kg is not drawn here, so the axis runs to 5,000 (the bars reach 2,512.79), not to 20,000
  assert.deepEqual(t.filter((x) => /^\d+$/.test(x) && Number(x) % 1000 === 0 && Number(x) > 0 && Number(x) <= 20000).slice(0, 5),
    ['1000', '2000', '3000', '4000', '5000'], 'the axis labels');
  assert.ok(!t.includes('20000'), 'the axis does not run to the undrawn budget');
  assert.ok(t.includes('2513') && t.includes('1001'), `each bar says its value: ${t.join(' | ')}`);
  for (const name of ['Fuel', 'Air travel', 'Land travel', 'Sea travel', 'Accommodation']) assert.ok(t.includes(name), `the bar ${name}`);
  assert.ok(!res.body.includes('travel_air'), 'no code name in the chart');
  assert.match(res.body, /<rect[^>]*><title>Air travel: 1000\.550<\/title>/);
});

test('the cumulative chart draws the budget, labelled', async () => {
  const res = await call(server, admin, 'GET', S('/report?format=svg&chart=cumulative'));
  assert.equal(res.status, 200, res.body);
  const t = texts(res.body);
  assert.ok(t.includes('Budget 20000 kg CO2e'), t.join(' | '));
  assert.ok(t.includes('20000'), 'the axis reaches the budget');
});

test("a department head's chart says which department it covers", async () => {
  const res = await call(server, head, 'GET', S('/report?format=svg&chart=category'));
  assert.equal(res.status, 200, res.body);
  assert.match(res.body, /<title>Gaffer Tape, department Transport — kg CO2e by category<\/title>/);
  const t = texts(res.body);
  assert.ok(t.includes('2513') && !t.includes('1001'), 'their department only');
  const whole = await call(server, admin, 'GET', S('/report?format=svg&chart=category'));
  assert.match(whole.body, /<title>Gaffer Tape — kg CO2e by category<\/title>/, 'the whole production says no department');
});
