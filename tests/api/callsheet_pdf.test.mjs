// The call sheet as a print-quality PDF (issue 20): GET …/callsheets/{cid}.pdf,
// export?format=pdf and `slate export --format pdf`, drawn with cairo and
// pango. Read back with poppler's pdftotext, pdffonts and pdfinfo: the
// content a reader's PDF holds is what GET …/callsheets/{cid} gives that
// reader (nobody's personal phone or address), their own call on top, the
// fonts embedded, and a 200-person sheet laid out over its pages with no
// word drawn over another (pdftotext -bbox), its pages kept as images for
// review in build/pdf/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertProblem, runSlate, makeTempDir, slateSql, REPO_ROOT } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let big; // the production with 200 people
const tmp = makeTempDir('slate-pdf-');
const P = (rest = '', p = prod) => `/api/v1/productions/${p.id}${rest}`;
const who = {}; // key → {session, person}
let day;
let sheet; // the published version {id, version, ...}
const SECRET_PHONES = ['+44 7700 900111', '+44 7700 900777', '+44 7700 900333'];
const SECRET_ADDRESS = '17 Hidden Mews, Margate';

const ok = (r, status = 200) => {
  assert.equal(r.status, status, r.body);
  return r.json;
};
const as = (key, method, p, opts) => call(server, who[key].session, method, p, opts);

/** pdftotext's text of bytes (-layout keeps each line's columns together). */
function pdfText(bytes, ...flags) {
  const file = path.join(tmp.dir, `t-${process.hrtime.bigint()}.pdf`);
  fs.writeFileSync(file, bytes);
  return execFileSync('pdftotext', [...flags, file, '-'], { encoding: 'utf8' });
}
function pdfTool(tool, bytes) {
  const file = path.join(tmp.dir, `i-${process.hrtime.bigint()}.pdf`);
  fs.writeFileSync(file, bytes);
  return execFileSync(tool, [file], { encoding: 'utf8' });
}
/** The PDF and its first two pages as images, for a person to look at (build/pdf/NAME*). */
function keepForReview(name, bytes) {
  const dir = path.join(REPO_ROOT, 'build', 'pdf');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.pdf`), bytes);
  execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '2', path.join(dir, `${name}.pdf`), path.join(dir, name)]);
  assert.ok(fs.readdirSync(dir).some((f) => f.startsWith(`${name}-1`) && f.endsWith('.png')), 'page 1 drawn');
}
const pdfOf = async (key, cid = sheet.id, query = '', p = prod) => {
  const r = await as(key, 'GET', P(`/callsheets/${cid}.pdf${query}`, p));
  assert.equal(r.status, 200, r.body);
  assert.match(r.headers['content-type'], /^application\/pdf/);
  assert.equal(r.raw.subarray(0, 5).toString('latin1'), '%PDF-');
  return r.raw;
};

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  who.admin = { session: admin };
  prod = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Nordlys — Ørneredet', timezone: 'Europe/Oslo' } }), 201);
  const people = [
    // key, role, department, kind, extra person fields
    ['camop', 'crew', 'Camera', 'crew', { job_title: 'Camera Operator', personal_phone: SECRET_PHONES[0] }],
    ['lead', 'cast', null, 'cast', { character_name: 'Kapteinen', personal_phone: SECRET_PHONES[1], home_address: SECRET_ADDRESS }],
    ['spark', 'crew', 'Electric', 'crew', { job_title: 'Gaffer', personal_phone: SECRET_PHONES[2] }],
    ['ad', 'ad', 'Direction/AD', 'crew', { job_title: '1st AD', key_contact: true, work_phone: '+47 22 00 00 01', work_email: 'ad@nordlys.example' }],
    ['idle', 'crew', 'Camera', 'crew', { job_title: 'Camera Trainee' }],
  ];
  let n = 0;
  for (const [key, role, dept, kind, extra] of people) {
    const email = `${key}@nordlys.example`;
    const session = await newAccount(server, email, `a long passphrase for the fjord shoot ${n++}`);
    ok(await call(server, admin, 'POST', P('/members'), { body: dept ? { email, role, department: dept } : { email, role } }), 201);
    const person = ok(await call(server, admin, 'POST', P('/people'), {
      body: { name: key === 'lead' ? 'Zoë Ødegård-Дмитриева' : `<b>${key}</b> & Søn`, kind, department: dept ?? 'Cast', account_email: email, ...extra },
    }), 201);
    who[key] = { session, person };
  }
  const loc = ok(await call(server, admin, 'POST', P('/locations'), {
    body: { name: 'Fyret på Lindesnes', address: 'Lindesnesveien 1028, 4521 Spangereid', parking: 'Gravel lot by the gate', nearest_hospital: 'Flekkefjord sykehus', latitude: 57.98, longitude: 7.05 },
  }), 201);
  const scene = ok(await call(server, admin, 'POST', P('/scenes'), { body: { number: '12A', int_ext: 'EXT', day_night: 'DAY', set: 'Lighthouse gallery', eighths: 11, cast: [who.lead.person.id] } }), 201);
  day = ok(await call(server, admin, 'POST', P('/days'), { body: { date: '2027-03-02', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00', locations: [loc.id], scenes: [scene.id] } }), 201);
  const dept = (await call(server, admin, 'GET', P('/departments'))).json.departments.find((d) => d.name === 'Camera');
  ok(await call(server, admin, 'PUT', P(`/days/${day.id}/department-calls/${dept.id}`), { body: { call: '06:15' } }));
  for (const [key, body] of [['camop', { call: '06:15' }], ['lead', { call: '05:45', pickup: '05:15', hair_makeup: '06:00', on_set: '07:30', cast_status: 'work' }], ['spark', { call: '06:30' }], ['ad', { call: '06:00' }]]) {
    ok(await call(server, admin, 'PUT', P(`/days/${day.id}/calls/${who[key].person.id}`), { body }));
  }
  sheet = ok(await call(server, admin, 'POST', P(`/days/${day.id}/callsheets`)), 201);
});
after(async () => {
  await server?.stop();
  tmp.cleanup();
});

test("a crew member's PDF holds what their call sheet read holds, their own call on top, and nobody's personal phone or address", async () => {
  const bytes = await pdfOf('camop');
  keepForReview('callsheet-crew', bytes);
  const text = pdfText(bytes);
  for (const want of ['Nordlys — Ørneredet', 'Call sheet', 'Tuesday 2027-03-02', 'Day 1 of 1', 'General call', '07:00', 'Wrap (estimate) 19:00',
    'Fyret på Lindesnes', 'Lindesnesveien 1028', 'Gravel lot by the gate', 'Flekkefjord sykehus',
    '12A', 'Lighthouse gallery', '1 3/8', 'Kapteinen', 'Department calls', 'Zoë Ødegård-Дмитриева', '<b>spark</b> & Søn', 'Gaffer',
    'Key contacts', '+47 22 00 00 01', 'ad@nordlys.example', 'Version 1', 'page 1 of 1', 'Sunrise']) {
    assert.ok(text.includes(want), `the PDF shows ${want}:\n${text}`);
  }
  for (const secret of [...SECRET_PHONES, SECRET_ADDRESS]) assert.ok(!text.includes(secret), `no personal field (${secret}) in a crew member's PDF`);
  // "Your call" comes before every table, with the reader's own name and call time
  const mine = text.slice(text.indexOf('Your call'), text.indexOf('Locations'));
  assert.match(mine, /<b>camop<\/b> & Søn\s+06:15/);
  assert.ok(text.indexOf('Your call') < text.indexOf('Locations'));
  // the same PDF for the same reader: the reader's call differs, nothing else is chosen per role
  const cast = pdfText(await pdfOf('lead'));
  const theirs = cast.slice(cast.indexOf('Your call'), cast.indexOf('Locations'));
  assert.match(theirs, /Zoë Ødegård-Дмитриева\s+05:45\s+Pick-up 05:15 · hair and make-up 06:00 · on set 07:30/);
  for (const secret of [...SECRET_PHONES, SECRET_ADDRESS]) assert.ok(!cast.includes(secret), `no personal field (${secret}) in the cast member's PDF`);
});

test('the PDF is what the JSON call sheet says, for the admin too: every called name, no "Your call" for someone not called', async () => {
  const json = ok(await call(server, admin, 'GET', P(`/callsheets/${sheet.id}`))).sheet;
  const text = pdfText(await pdfOf('admin'));
  assert.ok(!text.includes('Your call'), 'the admin has no call that day');
  for (const c of json.calls) assert.ok(text.includes(c.name) && text.includes(c.call), `${c.name} at ${c.call}`);
  for (const k of json.key_contacts) assert.ok(text.includes(k.work_phone));
});

test('the fonts are embedded (pdffonts), the title says which sheet it is, and the paper is A4 or US Letter', async () => {
  const bytes = await pdfOf('camop');
  const fonts = pdfTool('pdffonts', bytes).trim().split('\n').slice(2);
  assert.ok(fonts.length >= 2, 'a regular and a bold face');
  for (const line of fonts) {
    assert.match(line, /DejaVu/, line);
    const cols = line.trim().split(/\s+/);
    assert.equal(cols.at(-5), 'yes', `embedded: ${line}`);
  }
  const info = pdfTool('pdfinfo', bytes);
  assert.match(info, /Title:\s+Call sheet — Nordlys — Ørneredet — Day 1, 2027-03-02/);
  assert.match(info, /Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)/);
  assert.match(pdfTool('pdfinfo', await pdfOf('camop', sheet.id, '?paper=letter')), /Page size:\s+612 x 792 pts \(letter\)/);
  assertProblem(await as('camop', 'GET', P(`/callsheets/${sheet.id}.pdf?paper=legal`)), 400);
});

test('a PDF is refused exactly where the JSON read is: a member not called that day, another production, an unknown version', async () => {
  assertProblem(await as('idle', 'GET', P(`/callsheets/${sheet.id}`)), 403);
  assertProblem(await as('idle', 'GET', P(`/callsheets/${sheet.id}.pdf`)), 403);
  const other = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Elsewhere', timezone: 'UTC' } }), 201);
  const json = await as('camop', 'GET', P(`/callsheets/${sheet.id}`, other));
  assertProblem(json, 404);
  assertProblem(await as('camop', 'GET', P(`/callsheets/${sheet.id}.pdf`, other)), json.status);
  assertProblem(await call(server, admin, 'GET', P(`/callsheets/${sheet.id}.pdf`, other)), 404);
  assertProblem(await as('camop', 'GET', P('/callsheets/cs_00000000000000000000000000.pdf')), 404);
  const anon = await call(server, { cookie: '' }, 'GET', P(`/callsheets/${sheet.id}.pdf`));
  assertProblem(anon, 401);
});

test('export?format=pdf gives the same sheet and is audited; `slate export --format pdf` writes it from the shell', async () => {
  const r = await as('camop', 'GET', P(`/export?format=pdf&callsheet=${sheet.id}&paper=letter`));
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers['content-type'], 'application/pdf');
  assert.match(r.headers['content-disposition'], /\.pdf"$/);
  const text = pdfText(r.raw);
  assert.match(text.slice(text.indexOf('Your call')), /<b>camop<\/b> & Søn\s+06:15/);
  assert.match(pdfTool('pdfinfo', r.raw), /\(letter\)/);
  assertProblem(await as('camop', 'GET', P(`/export?format=pdf&callsheet=${sheet.id}&paper=a3`)), 400);
  assertProblem(await as('camop', 'GET', P('/export?format=pdf')), 400);
  assertProblem(await as('camop', 'GET', P(`/export?format=csv&paper=letter`)), 400);
  const audited = slateSql(server.data, `SELECT object FROM audit_event WHERE action = 'production.export' AND object LIKE '%:pdf' ORDER BY seq DESC LIMIT 1`);
  assert.equal(audited.trim(), `${prod.id}:pdf`);

  const out = path.join(tmp.dir, 'sheet.pdf');
  const cli = runSlate(['export', '--data', server.data, '--production', prod.id, '--format', 'pdf', '--callsheet', sheet.id, '--person', who.lead.person.id, '--out', out]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal((fs.statSync(out).mode & 0o777).toString(8), '600');
  const shell = pdfText(fs.readFileSync(out));
  assert.match(shell.slice(shell.indexOf('Your call')), /Zoë Ødegård-Дмитриева\s+05:45/);
  const bad = runSlate(['export', '--data', server.data, '--production', prod.id, '--format', 'pdf', '--callsheet', sheet.id, '--paper', 'tabloid']);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /paper/);
});

test('a 200-person call sheet fits its pages: every name once, no word drawn over another, headings repeated, pages kept for review', async () => {
  big = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Big Crowd Pictures', timezone: 'UTC' } }), 201);
  const depts = ok(await call(server, admin, 'GET', P('/departments', big))).departments.map((d) => d.name);
  const rows = ['name,kind,department,job_title'];
  for (let i = 0; i < 200; i++) {
    const d = depts[i % depts.length];
    // some long names and titles, so cells wrap
    rows.push(`Person ${String(i).padStart(3, '0')}${i % 17 === 0 ? ' Bartholomew-Featherstonehaugh of Little Snoring' : ''},crew,${d},${i % 11 === 0 ? 'Assistant to the assistant of the second unit standby props' : `${d} crew`}`);
  }
  ok(await call(server, admin, 'POST', P('/people/import?dry_run=false', big), { body: rows.join('\r\n'), headers: { 'content-type': 'text/csv' } }), 201);
  const bigDay = ok(await call(server, admin, 'POST', P('/days', big), { body: { date: '2027-04-01', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00' } }), 201);
  const departments = ok(await call(server, admin, 'GET', P('/departments', big))).departments;
  for (const d of departments) {
    ok(await call(server, admin, 'POST', P(`/days/${bigDay.id}/department-calls/${d.id}/call-everyone`, big), { body: { call: '06:00' } }));
  }
  const v = ok(await call(server, admin, 'POST', P(`/days/${bigDay.id}/callsheets`, big)), 201);
  assert.equal(v.sheet.calls.length, 200);
  const r = await call(server, admin, 'GET', P(`/callsheets/${v.id}.pdf`, big));
  assert.equal(r.status, 200, r.body);
  const pages = Number(/Pages:\s+(\d+)/.exec(pdfTool('pdfinfo', r.raw))[1]);
  assert.ok(pages >= 4, `200 calls take several pages (${pages})`);

  const text = pdfText(r.raw, '-layout');
  for (let i = 0; i < 200; i++) {
    const name = `Person ${String(i).padStart(3, '0')}`;
    assert.equal(text.split(name).length - 1, 1, `${name} printed once`);
  }
  assert.equal(text.split('Calls (continued)').length - 1, pages - 1, 'the calls table is headed again on every later page');
  for (let p = 1; p <= pages; p++) assert.ok(text.includes(`page ${p} of ${pages}`));

  // word boxes (pdftotext -bbox): on no page does one word's box cross another's
  const bbox = pdfText(r.raw, '-bbox');
  const pageChunks = bbox.split('<page ').slice(1);
  assert.equal(pageChunks.length, pages);
  for (const [n, chunk] of pageChunks.entries()) {
    const words = [...chunk.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)]
      .map((m) => ({ x0: +m[1], y0: +m[2], x1: +m[3], y1: +m[4], w: m[5] }));
    assert.ok(words.length > 5, `page ${n + 1} has words`);
    for (let i = 0; i < words.length; i++) {
      for (let j = i + 1; j < words.length; j++) {
        const a = words[i], b = words[j];
        const overlapX = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
        const overlapY = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
        assert.ok(overlapX <= 0.5 || overlapY <= 0.5, `page ${n + 1}: "${a.w}" and "${b.w}" overlap`);
      }
    }
  }
  keepForReview('callsheet-200', r.raw);
});
