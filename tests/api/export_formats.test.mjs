// Exports that outside tools read (issue 16): the CSV tables a person can
// read without joining ids (calls name the person, their department and
// whether the call is their own or their department's; call sheets carry
// the day and who published them), every table at once as a ZIP archive
// that Debian's unzip opens and checks, and vCards an address book can dial:
// every card has N, international numbers become E.164 tel: URIs with the
// number as typed kept beside them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, runSlate, makeTempDir, assertProblem } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let day;
const people = {}; // key → person JSON
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const exportOf = (q, session = admin) => call(server, session, 'GET', P(`/export?${q}`));

// Numbers as people type them, and what a phone dials (null: kept as text)
const PHONES = {
  uk: ['+44 (0)20 7946 0958', '+442079460958'],
  fr: ['+33 (0)1 42 68 53 00', '+33142685300'],
  de: ['0049 (0)30 901820', '+4930901820'],
  us: ['+1 (212) 555-0100', '+12125550100'],
  nl: ['+31 (0)20 123 4567', '+31201234567'],
  local: ['020 7946 0958', null],
};

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Tables, Cards & Zips', timezone: 'Europe/London' } })).json;
  const mk = async (p, body) => {
    const r = await call(server, admin, 'POST', P(p), { body });
    assert.equal(r.status, 201, `${p}: ${r.body}`);
    return r.json;
  };
  for (const [key, [phone]] of Object.entries(PHONES)) {
    people[key] = await mk('/people', { name: `Ada ${key.toUpperCase()} Lovelace`, kind: 'crew', department: key === 'uk' ? 'Grip' : 'Camera', work_phone: phone, personal_phone: phone });
  }
  people.mono = await mk('/people', { name: 'Cher', kind: 'crew', department: 'Camera' });
  day = await mk('/days', { date: '2027-05-03', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00' });
  const cam = (await call(server, admin, 'GET', P('/departments'))).json.departments.find((d) => d.name === 'Camera');
  assert.equal((await call(server, admin, 'PUT', P(`/days/${day.id}/department-calls/${cam.id}`), { body: { call: '06:15' } })).status, 200);
  for (const [key, body] of [['uk', { call: '06:30', pickup: '06:00' }], ['fr', {}]]) {
    const r = await call(server, admin, 'PUT', P(`/days/${day.id}/calls/${people[key].id}`), { body });
    assert.equal(r.status, 200, r.body);
  }
  for (let i = 0; i < 2; i++) assert.equal((await call(server, admin, 'POST', P(`/days/${day.id}/callsheets`))).status, 201);
});
after(async () => { await server?.stop(); });

/** RFC 4180, strictly: CRLF after every record, quotes only around whole fields, every row as wide as the header. */
function parseCsvStrict(text, what) {
  const rows = [];
  let row = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        assert.ok(i < text.length, `${what}: a quoted field is closed`);
        if (text[i] === '"' && text[i + 1] === '"') { cell += '"'; i += 2; } else if (text[i] === '"') { i++; break; } else cell += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        assert.ok(text[i] !== '"' && text[i] !== '\n', `${what}: no bare quote or LF in an unquoted field (offset ${i})`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ',') { i++; continue; }
    assert.equal(text.slice(i, i + 2), '\r\n', `${what}: a record ends CRLF (offset ${i})`);
    i += 2;
    rows.push(row);
    row = [];
  }
  assert.ok(rows.length >= 1, `${what}: a header`);
  for (const r of rows) assert.equal(r.length, rows[0].length, `${what}: every row as wide as the header`);
  const [header, ...body] = rows;
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]]))) };
}

/** The content lines of vCards: [name, {param: value}, value], parameter values unquoted. */
function parseVcards(text) {
  assert.ok(text.endsWith('\r\n'));
  for (const l of text.split('\r\n')) assert.ok(Buffer.byteLength(l) <= 75, `folded at 75 octets: ${l}`);
  const cards = [];
  let card = null;
  for (const l of text.replace(/\r\n[ \t]/g, '').split('\r\n').filter(Boolean)) {
    const m = /^([A-Z][A-Z0-9-]*)((?:;[A-Z0-9-]+=(?:"[^"\x00-\x1f]*"|[^";:\x00-\x1f]*))*):(.*)$/.exec(l);
    assert.ok(m, `a content line (name, parameters, value): ${l}`);
    const params = {};
    for (const p of m[2].matchAll(/;([A-Z0-9-]+)=("[^"]*"|[^;]*)/g)) params[p[1]] = p[2].startsWith('"') ? p[2].slice(1, -1) : p[2];
    if (m[1] === 'BEGIN') { assert.equal(card, null, 'cards do not nest'); card = []; continue; }
    if (m[1] === 'END') { cards.push(card); card = null; continue; }
    card.push([m[1], params, m[3]]);
  }
  assert.equal(card, null, 'the last card ends');
  return cards;
}

test('calls.csv names the person, their department and where the call comes from', async () => {
  const res = await exportOf('format=csv&table=calls');
  assert.equal(res.status, 200, res.body);
  const { header, rows } = parseCsvStrict(res.body, 'calls.csv');
  assert.deepEqual(header, ['day_id', 'date', 'person_id', 'person_name', 'department', 'call', 'call_from', 'pickup', 'hair_makeup', 'on_set', 'cast_status']);
  const of = (key) => rows.find((r) => r.person_id === people[key].id);
  assert.deepEqual(of('uk'), { day_id: day.id, date: '2027-05-03', person_id: people.uk.id, person_name: 'Ada UK Lovelace', department: 'Grip', call: '06:30', call_from: 'person', pickup: '06:00', hair_makeup: '', on_set: '', cast_status: '' });
  assert.equal(of('fr').person_name, 'Ada FR Lovelace');
  assert.equal(of('fr').department, 'Camera');
  assert.equal(of('fr').call, '06:15', "the department's call");
  assert.equal(of('fr').call_from, 'department');
});

test('callsheets.csv holds the day, the version and who published it, not ids only', async () => {
  const res = await exportOf('format=csv&table=callsheets');
  assert.equal(res.status, 200, res.body);
  const { header, rows } = parseCsvStrict(res.body, 'callsheets.csv');
  assert.deepEqual(header, ['id', 'day_id', 'date', 'day_number', 'unit', 'version', 'published_at', 'published_by_name']);
  const me = (await call(server, admin, 'GET', '/api/v1/me')).json.user;
  assert.ok(me.display_name, 'the publisher has a name');
  assert.deepEqual(rows.map((r) => [r.date, r.day_number, r.unit, r.version, r.published_by_name]).sort(),
    [['2027-05-03', '1', 'Main', '1', me.display_name], ['2027-05-03', '1', 'Main', '2', me.display_name]]);
  for (const r of rows) assert.match(r.published_at, /^\d{4}-\d\d-\d\dT/);
});

test('format=csv without a table is a ZIP of every table that unzip opens, each CSV as its table alone', async () => {
  const res = await exportOf('format=csv');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/zip');
  assert.equal(res.headers['content-disposition'], `attachment; filename="slate-${prod.id}.zip"`);
  const { dir, cleanup } = makeTempDir('slate-zip-');
  const file = path.join(dir, 'export.zip');
  writeFileSync(file, res.raw);
  execFileSync('unzip', ['-tq', file]); // every entry's CRC checks out
  const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n').sort();
  const tables = ['calls', 'callsheets', 'days', 'departments', 'locations', 'people', 'scenes'];
  assert.deepEqual(names, tables.map((t) => `${t}.csv`));
  for (const t of tables) {
    const inZip = execFileSync('unzip', ['-p', file, `${t}.csv`], { encoding: 'utf8' });
    parseCsvStrict(inZip, `${t}.csv in the ZIP`);
    const alone = await exportOf(`format=csv&table=${t}`);
    if (t === 'callsheets' || t === 'calls' || t === 'people') assert.ok(parseCsvStrict(inZip, t).rows.length > 0, `${t} has rows`);
    assert.equal(inZip, alone.body, `${t}.csv is the table as format=csv&table=${t} answers it`);
  }
  // the shell writes a ZIP too
  const out = path.join(dir, 'cli.zip');
  const cli = runSlate(['export', '--data', server.data, '--production', prod.id, '--format', 'csv', '--out', out]);
  assert.equal(cli.code, 0, cli.stderr);
  execFileSync('unzip', ['-tq', out]);
  // a table nobody knows is still refused, naming the parameter
  const bad = await exportOf('format=csv&table=secrets');
  assertProblem(bad, 400);
  assert.equal(bad.json.errors[0].pointer, '?table');
  cleanup();
});

test('every vCard has N, and international numbers are E.164 tel: URIs with the number as typed kept', async () => {
  const res = await exportOf('format=vcf');
  assert.equal(res.status, 200, res.body);
  const cards = parseVcards(res.body);
  assert.equal(cards.length, Object.keys(people).length);
  for (const card of cards) {
    const n = card.filter(([name]) => name === 'N');
    assert.equal(n.length, 1, 'one N per card');
    assert.equal(n[0][2].split(';').length, 5, 'N has its five components');
  }
  const cardOf = (key) => cards.find((c) => c.some(([name, , v]) => name === 'UID' && v === people[key].id));
  assert.ok(cardOf('uk').some(([name, , v]) => name === 'N' && v === 'Lovelace;Ada UK;;;'));
  assert.ok(cardOf('mono').some(([name, , v]) => name === 'N' && v === 'Cher;;;;'));
  for (const [key, [typed, e164]] of Object.entries(PHONES)) {
    const tels = cardOf(key).filter(([name]) => name === 'TEL');
    assert.deepEqual(tels.map(([, p]) => p.TYPE).sort(), ['home,voice', 'work,voice'], key);
    for (const [, params, value] of tels) {
      if (e164) {
        assert.equal(params.VALUE, 'uri', key);
        assert.equal(value, `tel:${e164}`, `${key}: ${typed} dials as E.164`);
        assert.match(value, /^tel:\+[1-9]\d{6,14}$/, key);
        assert.equal(params['X-DISPLAY'], typed, `${key}: the number as typed, for display`);
      } else {
        assert.equal(params.VALUE, 'text', `${key}: a national number is no URI`);
        assert.equal(value, typed, key);
      }
    }
  }
});
