#!/usr/bin/env node
// bench/gen.mjs — fills a running Slate with a studio's productions for the
// production benchmarks (bench/run: callsheet, people_list, calls_update,
// callsheet_scale). Node 18+, built-ins only.
//
//   node bench/gen.mjs --base https://127.0.0.1:PORT --data DIR --out FILE \
//       [--productions N] [--slate build/slate] [--cert DIR/tls/cert.pem] [--seed S]
//
// What it makes, through the API as a user would (the server must be running
// on DIR):
//
// - an instance administrator of its own, bench-admin@studio.example (made
//   with `slate user add --admin`; its one-time password changed and a TOTP
//   second factor enrolled, as instance administrators must), so the first
//   admin of `slate init` keeps its password and no second factor (the
//   sign-in scenarios sign in as that one);
// - N productions (default 200, or BENCH_PRODUCTIONS), each with 150–600
//   people (crew in the standard departments and about a tenth cast, every
//   contact and personal field filled), 3–5 locations with coordinates,
//   12 scenes, 10 shoot days, calls for 24–48 people on day 1 and day 1's
//   call sheet published. Everything comes from a seeded generator: the same
//   seed and index give the same production (ids apart);
// - in the first production only, two accounts: a crew member whose person
//   record is called on day 1, and an AD (made with `slate user add`, their
//   one-time passwords changed, added as members, linked to their person
//   records with `account_email`).
//
// FILE is both the state between runs and what bench/run reads. Run again
// with a larger N and the same FILE, and it adds the productions that are
// missing (callsheet_scale makes 1, measures, then makes the other 199).
// Every run signs the crew member and the AD in again, so FILE always holds
// live sessions:
//
//   { base, origin, productions, production_id, day_id, callsheet_id,
//     call_person_id, crew: {email, person_id, cookie, csrf},
//     ad: {email, person_id, cookie, csrf}, admin: {...}, generated: [...] }
//
// `cookie` is the whole `__Host-slate_session=...` pair. The file holds
// passwords and sessions of throwaway accounts on a throwaway server; it is
// written 0600.
//
// Requests go over keep-alive HTTPS (a node:https Agent, 8 sockets) with at
// most 8 in flight. Progress goes to stderr; the last line gives the time.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { totpCodeAtStep, totpStep } from '../tests/api/lib/totp.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const IN_FLIGHT = Number(process.env.BENCH_GEN_IN_FLIGHT || 8);
const PRODUCTIONS_AT_ONCE = 3; // productions being filled at the same time (they share the 8 requests)

// ---------------------------------------------------------------------------
// arguments

function usage(msg) {
  if (msg) process.stderr.write(`gen.mjs: ${msg}\n`);
  process.stderr.write('usage: node bench/gen.mjs --base URL --data DIR --out FILE [--productions N] [--slate BIN] [--cert PEM] [--seed S]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    productions: Number(process.env.BENCH_PRODUCTIONS || 200),
    slate: process.env.SLATE_BIN || 'build/slate',
    seed: 20270301,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--base': o.base = v().replace(/\/+$/, ''); break;
      case '--data': o.data = v(); break;
      case '--out': o.out = v(); break;
      case '--productions': o.productions = Number(v()); break;
      case '--slate': o.slate = v(); break;
      case '--cert': o.cert = v(); break;
      case '--seed': o.seed = Number(v()); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!o.base || !o.data || !o.out) usage('--base, --data and --out are required');
  if (!Number.isInteger(o.productions) || o.productions < 1) usage('--productions must be a whole number above 0');
  if (!Number.isInteger(o.seed)) usage('--seed must be a whole number');
  o.cert ??= path.join(o.data, 'tls', 'cert.pem');
  o.slate = path.resolve(ROOT, o.slate);
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const BASE = new URL(opt.base);
const ORIGIN = BASE.origin;
const started = Date.now();
const log = (msg) => process.stderr.write(`gen: ${msg}\n`);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------
// HTTPS: one keep-alive agent, at most IN_FLIGHT requests at a time

const agent = new https.Agent({
  keepAlive: true,
  maxSockets: IN_FLIGHT,
  ca: fs.readFileSync(opt.cert),
  servername: 'localhost',
});

let active = 0;
const waiting = [];
async function slot(fn) {
  if (active >= IN_FLIGHT) await new Promise((r) => waiting.push(r));
  active++;
  try {
    return await fn();
  } finally {
    active--;
    waiting.shift()?.();
  }
}

let requests = 0;
function rawRequest(method, p, { headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const h = { accept: 'application/json', ...headers };
  if (payload !== undefined) {
    h['content-type'] = 'application/json';
    h['content-length'] = Buffer.byteLength(payload);
  }
  return slot(() => new Promise((resolve, reject) => {
    const req = https.request({
      host: BASE.hostname, port: BASE.port, method, path: p, headers: h, agent, timeout: 60_000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        requests++;
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no answer within 60 s`)));
    req.on('error', reject);
    req.end(payload);
  }));
}

/** A request as a signed-in browser makes it: cookie, and for writes Origin + X-CSRF-Token. */
function api(session, method, p, body) {
  const headers = { cookie: session.cookie };
  if (method !== 'GET' && method !== 'HEAD') {
    headers.origin = ORIGIN;
    headers['x-csrf-token'] = session.csrf;
  }
  return rawRequest(method, p, { headers, body });
}

/** The same, failing unless the status is `want`; returns the JSON body. */
async function must(session, method, p, body, want) {
  const res = await api(session, method, p, body);
  if (res.status !== want) {
    throw new Error(`${method} ${p} answered ${res.status}, not ${want}: ${res.text.slice(0, 400)}`);
  }
  return res.json;
}

function cookieOf(res) {
  const c = [].concat(res.headers['set-cookie'] ?? []).find((v) => v.startsWith('__Host-slate_session='));
  if (!c) throw new Error(`no session cookie in the answer (${res.status}): ${res.text.slice(0, 200)}`);
  return c.split(';')[0];
}

async function signIn(email, password, totp) {
  const body = totp === undefined ? { email, password } : { email, password, totp };
  const res = await rawRequest('POST', '/api/v1/auth/login', { headers: { origin: ORIGIN }, body });
  if (res.status !== 200) throw new Error(`sign-in as ${email} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return { cookie: cookieOf(res), csrf: res.json.csrf_token, mustChange: res.json.must_change_password };
}

async function changePassword(session, current, next) {
  const res = await api(session, 'POST', '/api/v1/me/password', { current_password: current, new_password: next });
  if (res.status !== 200) throw new Error(`password change answered ${res.status}: ${res.text.slice(0, 300)}`);
  return { cookie: cookieOf(res), csrf: res.json.csrf_token };
}

// ---------------------------------------------------------------------------
// TOTP (RFC 6238: SHA-1, 6 digits, 30 s), for the bench admin's second factor

/** A TOTP code for a step after `usedStep` (Slate refuses a step used before), waiting if needed. */
async function freshTotp(secret, usedStep) {
  while (totpStep() <= usedStep) await new Promise((r) => setTimeout(r, 500));
  const step = totpStep();
  return { code: totpCodeAtStep(secret, step), step };
}

// ---------------------------------------------------------------------------
// accounts made with the CLI

function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLATE_')) env[k] = v;
  return env;
}

/** `slate user add --json`: {id, email, password (one-time)}. */
function userAdd(email, name, admin = false) {
  const args = ['user', 'add', '--data', opt.data, '--email', email, '--name', name, '--json'];
  if (admin) args.push('--admin');
  const r = spawnSync(opt.slate, args, { env: childEnv(), encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`cannot run ${opt.slate}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`slate user add --email ${email} exited ${r.status}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

const newPassword = () => `bench passphrase ${crypto.randomBytes(12).toString('hex')}`;

/** The one-time password replaced by a random one; another is drawn if the server finds one too easy (cracklib may). */
async function replacePassword(session, current) {
  for (let i = 0; ; i++) {
    const password = newPassword();
    try {
      return { password, session: await changePassword(session, current, password) };
    } catch (err) {
      if (i === 4 || !/answered 400/.test(err.message)) throw err;
    }
  }
}

/** A signed-in account with its one-time password replaced: {email, password, session}. */
async function readyAccount(email, name, admin = false) {
  const made = userAdd(email, name, admin);
  const first = await signIn(email, made.password);
  const { password, session } = await replacePassword(first, made.password);
  return { email, password, session };
}

// ---------------------------------------------------------------------------
// a seeded generator (mulberry32) and the studio's vocabulary

function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // lo..hi inclusive
  const pick = (arr) => arr[Math.floor(next() * arr.length)];
  return { next, int, pick };
}

const FIRST = ['Ada', 'Aisha', 'Alejandro', 'Amara', 'Anders', 'Ansel', 'Beatriz', 'Bram', 'Caoimhe', 'Cato',
  'Chidi', 'Cleo', 'Dalia', 'Dev', 'Dmitri', 'Edie', 'Elif', 'Emeka', 'Esme', 'Farid', 'Femi', 'Freya',
  'Gabriel', 'Greta', 'Hana', 'Hugo', 'Idris', 'Ines', 'Isak', 'Jonah', 'Juno', 'Kai', 'Kenji', 'Kit',
  'Lars', 'Lena', 'Leila', 'Luca', 'Mabel', 'Mateo', 'Milo', 'Mira', 'Nadia', 'Nia', 'Niamh', 'Oren',
  'Orla', 'Pablo', 'Priya', 'Quinn', 'Rafael', 'Rhys', 'Rosa', 'Ruth', 'Saoirse', 'Sami', 'Sanjay',
  'Signe', 'Tariq', 'Tess', 'Tomas', 'Uma', 'Valentina', 'Vik', 'Wren', 'Xavi', 'Yara', 'Yusuf', 'Zeb', 'Zofia'];
const LAST = ['Abara', 'Achterberg', 'Bergström', 'Blackwood', 'Castellanos', 'Chaudhry', 'Dunmore', 'Ekwueme',
  'Ellery', 'Fairweather', 'Fitzgerald', 'Gallagher', 'Haddad', 'Hartigan', 'Iwasaki', 'Jessop', 'Kaur',
  'Kowalczyk', 'Lindqvist', 'Lopes', 'MacLeod', 'Marchetti', 'Moreau', 'Nakashima', "O'Donnell", 'Okonkwo',
  'Penhaligon', 'Petrov', 'Quarrie', 'Rahman', 'Rosenthal', 'Santos', 'Szabo', 'Tanaka', 'Thorne',
  'Underhill', 'Valdivia', 'Van der Berg', 'Whitlock', 'Wójcik', 'Yardley', 'Zapata'];
const STREETS = ['Larkspur Close', 'Quarry Hill', 'Tidewater Lane', 'Mill Race Road', 'Heron Walk',
  'Old Rope Yard', 'Saltings Way', 'Bellfounder Street', 'Chandlers Row', 'Kiln Lane', 'Orchard Rise'];
const DIETS = ['', '', '', 'vegetarian', 'vegan', 'no nuts', 'gluten free', 'halal', 'kosher', 'no dairy', 'pescatarian'];
const MEDICAL = ['', '', '', '', 'asthma: inhaler in the kit bag', 'type 1 diabetes', 'bee sting allergy: EpiPen',
  'penicillin allergy', 'hay fever'];
const RELATIONS = ['partner', 'mother', 'father', 'sister', 'brother', 'friend', 'husband', 'wife'];

// Crew departments (the standard ones Slate creates with a production):
// share of the crew, the head's job, the other jobs.
const DEPARTMENTS = [
  ['Production', 8, 'Line producer', ['Unit production manager', 'Production coordinator', 'Production secretary', 'Production assistant', 'Accountant']],
  ['Direction/AD', 7, '1st AD', ['2nd AD', '3rd AD', 'Floor runner', 'Crowd AD', 'Script supervisor']],
  ['Camera', 10, 'Director of photography', ['Camera operator', 'Focus puller', 'Clapper loader', 'DIT', 'Camera trainee', 'Steadicam operator']],
  ['Grip', 7, 'Key grip', ['Best boy grip', 'Dolly grip', 'Grip']],
  ['Electric', 9, 'Gaffer', ['Best boy electric', 'Electrician', 'Rigging electrician', 'Generator operator']],
  ['Sound', 4, 'Production sound mixer', ['Boom operator', 'Sound assistant']],
  ['Art', 11, 'Production designer', ['Art director', 'Set decorator', 'Set dresser', 'Props master', 'Standby props', 'Graphic designer', 'Construction manager', 'Carpenter', 'Painter']],
  ['Costume', 7, 'Costume designer', ['Costume supervisor', 'Costume assistant', 'Costume standby', 'Cutter']],
  ['Hair & Make-up', 6, 'Make-up designer', ['Hair designer', 'Make-up artist', 'Hair stylist', 'Prosthetics artist']],
  ['Locations', 5, 'Location manager', ['Unit manager', 'Location assistant', 'Location marshal']],
  ['Transport', 6, 'Transport captain', ['Driver', 'Unit driver', 'Minibus driver']],
  ['Catering', 4, 'Head chef', ['Chef', 'Catering assistant']],
  ['Post', 4, 'Post-production supervisor', ['Editor', 'Assistant editor', 'VFX supervisor', 'VFX coordinator']],
];
const CREW_WEIGHT = DEPARTMENTS.reduce((n, d) => n + d[1], 0);
const CHARACTERS = ['Maud', 'Tobias', 'The Lighthouse Keeper', 'Sergeant Arkle', 'Nell', 'Father Coyle', 'Young Maud',
  'The Ferryman', 'Dr Haldane', 'Isla', 'The Stranger', 'Harbourmaster', 'Inspector Vane', 'Mrs Penrose', 'Ollie',
  'The Widow', 'Constable Birch', 'Ada Quill', 'The Diver', 'Landlord', 'Postmistress', 'Jory', 'Captain Marr'];
const TITLES = ['Northern Lights', 'The Salt Road', 'Low Tide', 'A Quiet Harbour', 'The Glass Orchard', 'Undertow',
  'Paper Lanterns', 'The Long Winter', 'Iron Coast', 'Midsummer', 'The Cartographer', 'Red Kite', 'Night Ferry',
  'The Understudy', 'Cold Open', 'Marram Grass', 'Second Unit', 'The Weir', 'Hollow Fell', 'The Signal Box'];
const KINDS = ['series 1', 'series 2', 'feature', 'pilot', 'limited series', 'short'];
// [time zone, a city's latitude and longitude]: the productions shoot around the world
const ZONES = [['Europe/London', 54.97, -1.61], ['Europe/Dublin', 53.35, -6.26], ['Europe/Paris', 43.3, 5.37],
  ['Europe/Berlin', 52.52, 13.4], ['America/New_York', 40.71, -74.0], ['America/Los_Angeles', 34.05, -118.24],
  ['America/Vancouver', 49.28, -123.12], ['Australia/Sydney', -33.87, 151.21], ['Africa/Johannesburg', -26.2, 28.05],
  ['Asia/Tokyo', 35.68, 139.69], ['Atlantic/Reykjavik', 64.15, -21.94], ['America/Mexico_City', 19.43, -99.13]];
const PLACES = ['Harbour', 'Quarry', 'Old Mill', 'Chapel', 'Boatyard', 'Lighthouse', 'Station', 'Farmhouse',
  'Warehouse', 'Manor', 'Lido', 'Market Hall', 'Fort', 'Viaduct', 'Pier'];
const SETS = ['Harbour wall', 'Kitchen', 'Lighthouse stair', 'Smokehouse yard', 'Beach at dawn', 'Causeway',
  'Library', 'Chapel ruins', 'Ferry deck', 'Police house', 'Signal box', 'Attic', 'Market', 'Cliff path'];
const HOSPITALS = ['General Hospital', 'Royal Infirmary', 'Community Hospital', 'University Hospital'];

const pad = (n, w = 2) => String(n).padStart(w, '0');
const hhmm = (minutes) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

/** Production `index` of the studio, as plain data (no ids yet). */
function planProduction(index) {
  const r = rng(opt.seed * 1000 + index + 1);
  const [tz, lat0, lon0] = ZONES[index % ZONES.length];
  const name = `${TITLES[index % TITLES.length]} (${r.pick(KINDS)}, #${pad(index + 1, 3)})`;
  const size = r.int(150, 600);
  const mail = `p${pad(index + 1, 3)}.studio.example`;
  const people = [];
  const person = (kind, department, job, extra = {}) => {
    const n = people.length;
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const slug = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
    people.push({
      name: `${first} ${last}`,
      kind,
      department,
      job_title: job,
      work_phone: `+44 20 7946 ${pad(n % 10000, 4)}`,
      work_email: `${slug}.${n}@${mail}`,
      personal_phone: `+44 7700 9${pad((n * 37 + index) % 100000, 5)}`,
      personal_email: `${slug}${r.int(1, 99)}@homemail.example`,
      home_address: `${r.int(1, 220)} ${r.pick(STREETS)}, Flat ${r.int(1, 30)}, ${['Leeds', 'Bristol', 'Glasgow', 'Cardiff', 'Manchester', 'London'][r.int(0, 5)]}`,
      emergency_contact: `${r.pick(FIRST)} ${last} (${r.pick(RELATIONS)}), +44 7700 8${pad((n * 41) % 100000, 5)}`,
      date_of_birth: `${r.int(1955, 2004)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}`,
      dietary: r.pick(DIETS),
      medical: r.pick(MEDICAL),
      id_numbers: `passport ${r.int(100000000, 999999999)}; NI ${String.fromCharCode(65 + r.int(0, 25), 65 + r.int(0, 25))}${r.int(100000, 999999)}C`,
      ...extra,
    });
  };
  // cast: about a tenth; the rest crew, by department share; every department has its head
  const castN = Math.max(8, Math.round(size * r.int(7, 12) / 100));
  const chars = [...CHARACTERS];
  for (let i = 0; i < castN; i++) {
    const character = i < chars.length ? chars[i] : `${r.pick(['Villager', 'Fisherman', 'Guest', 'Officer', 'Nurse'])} ${i - chars.length + 1}`;
    person('cast', 'Cast', i < 4 ? 'Lead' : i < 12 ? 'Supporting artist' : 'Day player', { character_name: character });
  }
  const crewN = size - castN;
  for (const [dept, share, head] of DEPARTMENTS) {
    const key = head === 'Line producer' || head === '1st AD' || head === 'Location manager';
    person('crew', dept, head, key ? { key_contact: true } : {});
  }
  for (let i = DEPARTMENTS.length; i < crewN; i++) {
    let w = r.next() * CREW_WEIGHT;
    let d = DEPARTMENTS[0];
    for (const dd of DEPARTMENTS) {
      w -= dd[1];
      if (w < 0) { d = dd; break; }
    }
    person('crew', d[0], r.pick(d[3]), d[3][0] === 'Unit production manager' && r.next() < 0.02 ? { key_contact: true } : {});
  }
  // locations near the production's city; one in four confidential
  const locations = [];
  const nLoc = r.int(3, 5);
  const placeNames = new Set();
  while (placeNames.size < nLoc) placeNames.add(`${r.pick(LAST)} ${r.pick(PLACES)}`);
  for (const place of placeNames) {
    locations.push({
      name: place,
      address: `${r.int(1, 90)} ${r.pick(STREETS)}`,
      latitude: Math.round((lat0 + (r.next() - 0.5) * 0.4) * 1e5) / 1e5,
      longitude: Math.round((lon0 + (r.next() - 0.5) * 0.4) * 1e5) / 1e5,
      parking: `Unit base: ${r.pick(['car park', 'field', 'lay-by', 'yard'])} by the ${place.split(' ').pop().toLowerCase()}`,
      nearest_hospital: `${place.split(' ')[0]} ${r.pick(HOSPITALS)}`,
      access_notes: r.pick(['Gate code from the location manager', 'Quiet after 22:00', 'Four-by-four only past the gate', 'Check the tide tables']),
      contact: `${r.pick(FIRST)} ${r.pick(LAST)}, +44 7700 7${pad(r.int(0, 99999), 5)}`,
      confidential: r.next() < 0.25,
    });
  }
  // scenes (cast filled in later with person ids: indexes into people here)
  const scenes = [];
  for (let i = 0; i < 12; i++) {
    scenes.push({
      number: String(i + 1 + r.int(0, 3) * 100),
      int_ext: r.pick(['INT', 'EXT', 'INT/EXT']),
      day_night: r.pick(['DAY', 'NIGHT', 'DAWN', 'DUSK']),
      set: r.pick(SETS),
      eighths: r.int(1, 24),
      synopsis: `${r.pick(CHARACTERS)} ${r.pick(['waits for', 'argues with', 'follows', 'confides in', 'hides from'])} ${r.pick(CHARACTERS)}.`,
      castIdx: [r.int(0, Math.min(castN, 12) - 1), r.int(0, castN - 1)].filter((v, k, a) => a.indexOf(v) === k),
    });
  }
  const numbers = new Set();
  for (const s of scenes) { while (numbers.has(s.number)) s.number += 'A'; numbers.add(s.number); }
  // ten shoot days from a Monday, weekdays only
  const start = new Date(Date.UTC(2027, 2 + (index % 6), 1));
  while (start.getUTCDay() !== 1) start.setUTCDate(start.getUTCDate() + 1);
  const days = [];
  for (let d = new Date(start); days.length < 10; d.setUTCDate(d.getUTCDate() + 1)) {
    if (d.getUTCDay() === 0 || d.getUTCDay() === 6) continue;
    const general = r.int(6, 8) * 60 + r.pick([0, 30]);
    days.push({
      date: d.toISOString().slice(0, 10),
      general_call: hhmm(general),
      wrap_estimate: hhmm(general + 11 * 60),
      locIdx: [days.length % nLoc, (days.length + 1) % nLoc],
      sceneIdx: [(days.length * 2) % scenes.length, (days.length * 2 + 1) % scenes.length],
    });
  }
  // day 1's calls: the heads of department, a sample of crew, the first cast members
  const general = Number(days[0].general_call.slice(0, 2)) * 60 + Number(days[0].general_call.slice(3));
  const nCalls = r.int(24, 48);
  const called = new Set();
  for (let i = castN; i < castN + DEPARTMENTS.length; i++) called.add(i);
  for (let i = 0; i < Math.min(castN, 6); i++) called.add(i);
  while (called.size < nCalls) called.add(r.int(castN, people.length - 1));
  const calls = [];
  for (const i of called) {
    const p = people[i];
    const callMin = general - 30 * r.int(0, 3);
    const c = { call: hhmm(callMin) };
    if (p.kind === 'cast') {
      c.pickup = hhmm(callMin - 30);
      c.hair_makeup = hhmm(callMin + 15);
      c.on_set = hhmm(callMin + 90);
      c.cast_status = r.pick(['work', 'work', 'start', 'hold']);
    } else if (r.next() < 0.2) {
      c.pickup = hhmm(callMin - 45);
    }
    calls.push({ idx: i, ...c });
  }
  return { index, name, timezone: tz, people, locations, scenes, days, calls, castN };
}

// ---------------------------------------------------------------------------
// making a production through the API

const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;

async function makeProduction(admin, plan) {
  const prod = await must(admin, 'POST', '/api/v1/productions', { name: plan.name, timezone: plan.timezone }, 201);
  const ids = await Promise.all(plan.people.map((p) => must(admin, 'POST', P(prod.id, '/people'), p, 201).then((j) => j.id)));
  const locIds = await Promise.all(plan.locations.map((l) => must(admin, 'POST', P(prod.id, '/locations'), l, 201).then((j) => j.id)));
  const sceneIds = await Promise.all(plan.scenes.map(({ castIdx, ...s }) =>
    must(admin, 'POST', P(prod.id, '/scenes'), { ...s, cast: castIdx.map((i) => ids[i]) }, 201).then((j) => j.id)));
  const dayIds = await Promise.all(plan.days.map(({ locIdx, sceneIdx, ...d }) =>
    must(admin, 'POST', P(prod.id, '/days'), {
      ...d, locations: locIdx.map((i) => locIds[i]), scenes: sceneIdx.map((i) => sceneIds[i]),
    }, 201).then((j) => j.id)));
  await Promise.all(plan.calls.map(({ idx, ...c }) => must(admin, 'PUT', P(prod.id, `/days/${dayIds[0]}/calls/${ids[idx]}`), c, 200)));
  const sheet = await must(admin, 'POST', P(prod.id, `/days/${dayIds[0]}/callsheets`), undefined, 201);
  return { id: prod.id, people: ids, dayIds, callsheetId: sheet.id, callsheetBytes: JSON.stringify(sheet.sheet).length };
}

// ---------------------------------------------------------------------------
// main

function readState() {
  try {
    return JSON.parse(fs.readFileSync(opt.out, 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw new Error(`cannot read ${opt.out}: ${e.message}`);
  }
}

function writeState(st) {
  const tmp = `${opt.out}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(st, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, opt.out);
}

/** The bench admin's session: the saved one if still live, else a new sign-in with a fresh TOTP code. */
async function adminSession(st) {
  const a = st.admin;
  if (a.session) {
    const me = await api(a.session, 'GET', '/api/v1/me');
    if (me.status === 200) return a.session;
  }
  const { code, step } = await freshTotp(a.totp_secret, a.totp_step ?? 0);
  a.totp_step = step;
  a.session = await signIn(a.email, a.password, code);
  return a.session;
}

async function newState() {
  log(`making the bench admin (instance administrator, with a second factor)`);
  const acc = await readyAccount('bench-admin@studio.example', 'Bench Admin', true);
  const begin = await must(acc.session, 'POST', '/api/v1/me/mfa/totp', undefined, 200);
  const { code, step } = await freshTotp(begin.secret, 0);
  await must(acc.session, 'POST', '/api/v1/me/mfa/totp/confirm', { code }, 200);
  return {
    base: opt.base,
    origin: ORIGIN,
    seed: opt.seed,
    productions: 0,
    admin: { email: acc.email, password: acc.password, totp_secret: begin.secret, totp_step: step, session: acc.session },
    generated: [],
  };
}

/** In the first production: the crew member and the AD, their memberships and person records. */
async function makeAccounts(st, admin, plan, made) {
  const prodId = made.id;
  const firstCall = plan.calls.map((c) => c.idx);
  const isCrewCalled = (i) => plan.people[i].kind === 'crew' && plan.people[i].department !== 'Direction/AD';
  // the crew member: the first called crew member who is not a head of department
  const crewIdx = firstCall.find((i) => isCrewCalled(i) && i >= plan.castN + DEPARTMENTS.length) ?? firstCall.find(isCrewCalled);
  // whose call the AD changes: another called crew member
  const otherIdx = firstCall.find((i) => isCrewCalled(i) && i !== crewIdx);
  // the AD: the 1st AD's person record (the heads come right after the cast)
  const adIdx = plan.castN + DEPARTMENTS.findIndex((d) => d[0] === 'Direction/AD');
  const crewP = plan.people[crewIdx];
  log(`first production ${prodId}: crew member ${crewP.name} (${crewP.job_title}, ${crewP.department}), AD ${plan.people[adIdx].name}`);
  const crew = await readyAccount('crew@studio.example', crewP.name);
  const ad = await readyAccount('ad@studio.example', plan.people[adIdx].name);
  await must(admin, 'POST', P(prodId, '/members'), { email: crew.email, role: 'crew', department: crewP.department }, 201);
  await must(admin, 'POST', P(prodId, '/members'), { email: ad.email, role: 'ad', department: 'Direction/AD' }, 201);
  await must(admin, 'PATCH', P(prodId, `/people/${made.people[crewIdx]}`), { account_email: crew.email }, 200);
  await must(admin, 'PATCH', P(prodId, `/people/${made.people[adIdx]}`), { account_email: ad.email }, 200);
  Object.assign(st, {
    production_id: prodId,
    production_people: plan.people.length,
    day_id: made.dayIds[0],
    callsheet_id: made.callsheetId,
    call_person_id: made.people[otherIdx],
    crew: { email: crew.email, password: crew.password, person_id: made.people[crewIdx] },
    ad: { email: ad.email, password: ad.password, person_id: made.people[adIdx] },
  });
}

async function main() {
  let st = readState();
  if (st && st.base !== opt.base) throw new Error(`${opt.out} is for ${st.base}, not ${opt.base}`);
  if (st && st.seed !== opt.seed) throw new Error(`${opt.out} was made with seed ${st.seed}, not ${opt.seed}`);
  if (!st) {
    st = await newState();
    writeState(st);
  }
  const admin = await adminSession(st);
  const from = st.productions;
  const remaining = opt.productions - from;
  if (remaining > 0) log(`making productions ${from + 1}..${opt.productions} (${IN_FLIGHT} requests in flight)`);
  else log(`${from} productions already there; nothing to make`);
  let next = from;
  let people = 0;
  const genStart = Date.now();
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= opt.productions) return;
      const plan = planProduction(index);
      const t0 = Date.now();
      const made = await makeProduction(admin, plan);
      people += plan.people.length;
      st.generated[index] = {
        id: made.id, people: plan.people.length, calls: plan.calls.length, callsheet_id: made.callsheetId,
        callsheet_bytes: made.callsheetBytes,
      };
      if (index === 0) await makeAccounts(st, admin, plan, made);
      log(`[${index + 1}/${opt.productions}] ${plan.name}: ${plan.people.length} people, ${plan.locations.length} locations, ` +
        `${plan.days.length} days, ${plan.calls.length} calls, call sheet ${made.callsheetBytes} bytes; ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s (${elapsed()} in all)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PRODUCTIONS_AT_ONCE, Math.max(remaining, 0)) }, worker));
  // productions are counted once all before them exist (a failure above stops the run)
  st.productions = Math.max(from, opt.productions);
  if (!st.production_id) throw new Error('the first production has no accounts (was an earlier run interrupted?)');
  // fresh sessions for the wrk scripts
  for (const who of ['crew', 'ad']) {
    const s = await signIn(st[who].email, st[who].password);
    st[who].cookie = s.cookie;
    st[who].csrf = s.csrf;
  }
  writeState(st);
  const genSecs = (Date.now() - genStart) / 1000;
  const made = Math.max(remaining, 0);
  log(`done: ${made} production(s), ${people} people, ${requests} requests in ${elapsed()}` +
    (made ? ` (${(requests / genSecs).toFixed(0)} requests/s while generating)` : '') + `; wrote ${opt.out}`);
  // one line on stdout for scripts: how long the generation took
  process.stdout.write(`${JSON.stringify({ productions: st.productions, made, people, requests, seconds: Number(((Date.now() - started) / 1000).toFixed(1)) })}\n`);
}

main().then(() => agent.destroy(), (e) => {
  log(`error: ${e.message}`);
  agent.destroy();
  process.exit(1);
});
