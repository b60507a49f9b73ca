// Published versus draft (issue 16): below AD the schedule, the calls and
// the calendar are read as last published — the latest call sheet version
// of each day — while the AD works on the draft. Calendar events carry
// LOCATION, SEQUENCE and the day's scenes, and each person has a personal,
// revocable calendar feed that needs no cookie.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, request, runSlate, assertProblem, slateSql } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const who = {}; // key → {session, person, member}
let harbour;
let manor;
let scene12;
let day1;
let day2;

/*
 * A strict reader of RFC 5545 text: CRLF line ends only, content lines of at
 * most 75 octets, folding by CRLF + one space or tab, every line NAME[;params]:value,
 * BEGIN/END properly nested. Returns the components as {name, props: [[name, params, value]], children}.
 */
function parseIcs(text) {
  assert.ok(text.endsWith('\r\n'), 'the calendar ends with CRLF');
  const raw = text.slice(0, -2).split('\r\n');
  for (const l of raw) {
    assert.ok(!l.includes('\n') && !l.includes('\r'), `bare line break in ${JSON.stringify(l)}`);
    assert.ok(Buffer.byteLength(l, 'utf8') <= 75, `line longer than 75 octets: ${l}`);
  }
  const lines = [];
  for (const l of raw) {
    if (l.startsWith(' ') || l.startsWith('\t')) {
      assert.ok(lines.length > 0, 'a continuation line starts the calendar');
      lines[lines.length - 1] += l.slice(1);
    } else lines.push(l);
  }
  const root = { name: null, props: [], children: [] };
  const stack = [root];
  for (const l of lines) {
    const m = /^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*):(.*)$/.exec(l);
    assert.ok(m, `not a content line: ${JSON.stringify(l)}`);
    const [, name, params, value] = m;
    const top = stack[stack.length - 1];
    if (name === 'BEGIN') {
      const c = { name: value, props: [], children: [] };
      top.children.push(c);
      stack.push(c);
    } else if (name === 'END') {
      assert.equal(value, top.name, `END:${value} closes ${top.name}`);
      stack.pop();
    } else top.props.push([name, params, value]);
  }
  assert.equal(stack.length, 1, 'every BEGIN has its END');
  assert.equal(root.children.length, 1);
  assert.equal(root.children[0].name, 'VCALENDAR');
  return root.children[0];
}
const unescape = (v) => v.replace(/\\n/gi, '\n').replace(/\\([,;\\])/g, '$1');
const prop = (c, name) => {
  const all = c.props.filter(([n]) => n === name);
  assert.ok(all.length <= 1, `one ${name} per ${c.name}`);
  return all.length ? unescape(all[0][2]) : undefined;
};
const events = (text) => parseIcs(text).children.filter((c) => c.name === 'VEVENT');
const ics = async (session, q = 'person=me') => {
  const r = await call(server, session, 'GET', P(`/export?format=ics&${q}`));
  assert.equal(r.status, 200, r.body);
  return r.body;
};
const myCall = async (key, day) => {
  const r = await call(server, who[key].session, 'GET', P(`/days/${day.id}/calls`));
  assert.equal(r.status, 200, r.body);
  return r.json.calls.find((c) => c.person_id === who[key].person.id)?.call;
};
const setCall = async (key, day, body, by = 'ad') => {
  const r = await call(server, who[by].session, 'PUT', P(`/days/${day.id}/calls/${who[key].person.id}`), { body });
  assert.equal(r.status, 200, r.body);
};
const publish = async (day) => {
  const r = await call(server, who.ad.session, 'POST', P(`/days/${day.id}/callsheets`));
  assert.equal(r.status, 201, r.body);
  return r.json;
};
const feedGet = (url) => request(server, { path: new URL(url).pathname });

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Night Ferry', timezone: 'Europe/London' } })).json;
  let n = 0;
  for (const [key, role, dept] of [
    ['ad', 'ad', 'Direction/AD'],
    ['grip', 'crew', 'Grip'],
    ['other', 'crew', 'Grip'],
    ['camhead', 'department_head', 'Camera'],
    ['camop', 'crew', 'Camera'],
  ]) {
    const email = `${key}@ferry.example`;
    const session = await newAccount(server, email, `a long passphrase for the ferry crossing ${n++}`);
    const m = await call(server, admin, 'POST', P('/members'), { body: { email, role, department: dept } });
    assert.equal(m.status, 201, m.body);
    const p = await call(server, admin, 'POST', P('/people'), { body: { name: `Person ${key}`, kind: 'crew', department: dept, account_email: email, job_title: role } });
    assert.equal(p.status, 201, p.body);
    assert.equal((await call(server, session, 'POST', P(`/people/${p.json.id}/confirm-link`))).status, 204);
    who[key] = { session, person: p.json, member: m.json, email };
  }
  const mk = async (p, body) => {
    const r = await call(server, who.ad.session, 'POST', P(p), { body });
    assert.equal(r.status, 201, `${p}: ${r.body}`);
    return r.json;
  };
  harbour = await mk('/locations', { name: 'Harbour Wall', address: '3 Harbour Road, Portsea' });
  manor = await mk('/locations', { name: 'The Manor', confidential: true, address: '1 Hidden Drive, Secretshire' });
  scene12 = await mk('/scenes', { number: '12', int_ext: 'EXT', day_night: 'DAY', set: 'Harbour wall', eighths: 11 });
  day1 = await mk('/days', { date: '2027-03-01', general_call: '07:00', wrap_estimate: '19:00', locations: [harbour.id], scenes: [scene12.id] });
  day2 = await mk('/days', { date: '2027-03-02', general_call: '07:00', wrap_estimate: '19:00', locations: [harbour.id] });
  await setCall('grip', day1, { call: '05:30' });
  await setCall('other', day1, { call: '06:10' });
  await setCall('camop', day1, { call: '06:00' });
  await setCall('camhead', day1, { call: '06:30' });
  await setCall('grip', day2, { call: '06:00' });
  await publish(day1);
});
after(async () => { await server?.stop(); });

test('crew see their call as last published until the AD publishes the change, in the calls and in the calendar', async () => {
  await setCall('grip', day1, { call: '05:15' });
  assert.equal(await myCall('grip', day1), '05:30', 'the draft 05:15 is not published');
  let ev = events(await ics(who.grip.session));
  assert.equal(ev.length, 1);
  assert.equal(ev[0].props.find(([n]) => n === 'DTSTART')[2], '20270301T053000');
  const day = await call(server, who.grip.session, 'GET', P(`/days/${day1.id}`));
  assert.equal(day.status, 200, day.body);
  assert.deepEqual(day.json.calls.map((c) => c.call), ['05:30']);
  // the AD works on the draft
  const drafted = await call(server, who.ad.session, 'GET', P(`/days/${day1.id}/calls`));
  assert.equal(drafted.json.calls.find((c) => c.person_id === who.grip.person.id).call, '05:15');
  await publish(day1);
  assert.equal(await myCall('grip', day1), '05:15');
  ev = events(await ics(who.grip.session));
  assert.equal(ev[0].props.find(([n]) => n === 'DTSTART')[2], '20270301T051500');
});

test('the schedule below AD is the published one: a changed general call waits for publishing', async () => {
  const r = await call(server, who.ad.session, 'PATCH', P(`/days/${day1.id}`), { body: { general_call: '06:45' } });
  assert.equal(r.status, 200, r.body);
  const crewDays = (await call(server, who.grip.session, 'GET', P('/days'))).json.days;
  assert.deepEqual(crewDays.map((d) => [d.id, d.general_call]), [[day1.id, '07:00']]);
  const adDays = (await call(server, who.ad.session, 'GET', P('/days'))).json.days;
  assert.deepEqual(adDays.map((d) => [d.id, d.general_call]), [[day1.id, '06:45'], [day2.id, '07:00']]);
  const one = await call(server, who.camhead.session, 'GET', P(`/days/${day1.id}`));
  assert.equal(one.json.general_call, '07:00', 'a department head reads the published schedule');
});

test('exports below AD are the published schedule too: the JSON and the calls table', async () => {
  await setCall('grip', day1, { call: '05:00' }); // a draft nobody below AD sees
  const j = await call(server, who.grip.session, 'GET', P('/export?format=json'));
  assert.equal(j.status, 200, j.body);
  assert.equal(j.json.scope, 'self');
  assert.deepEqual(j.json.days.map((d) => [d.id, d.general_call]), [[day1.id, '07:00']], 'the published general call; day 2 was never published');
  assert.deepEqual(j.json.calls.map((c) => [c.day_id, c.person_id, c.call]), [[day1.id, who.grip.person.id, '05:15']]);
  const csv = await call(server, who.grip.session, 'GET', P('/export?format=csv&table=calls'));
  assert.equal(csv.status, 200, csv.body);
  assert.match(csv.body, /05:15/);
  assert.doesNotMatch(csv.body, /05:00|06:00/, 'neither the draft call nor day 2\'s');
  const drafted = await call(server, admin, 'GET', P('/export?format=json'));
  assert.ok(drafted.json.calls.some((c) => c.person_id === who.grip.person.id && c.call === '05:00'), 'the producer exports the draft');
  await setCall('grip', day1, { call: '05:15' });
});

test('a day never published is not there below AD', async () => {
  for (const key of ['grip', 'camhead', 'camop']) {
    const days = (await call(server, who[key].session, 'GET', P('/days'))).json.days;
    assert.ok(!days.some((d) => d.id === day2.id), `${key}: day 2 is not listed`);
    assertProblem(await call(server, who[key].session, 'GET', P(`/days/${day2.id}`)), 404, `${key} reading day 2`);
  }
  assertProblem(await call(server, who.grip.session, 'GET', P(`/days/${day2.id}/calls`)), 404, 'crew reading the calls of day 2');
  const ev = events(await ics(who.grip.session));
  assert.deepEqual(ev.map((e) => prop(e, 'UID')), [`${day1.id}.${who.grip.person.id}@slate`], 'no event for day 2');
  const schedule = events(await ics(who.grip.session, ''));
  assert.deepEqual(schedule.map((e) => prop(e, 'UID')), [`${day1.id}@slate`]);
  assert.equal((await call(server, who.ad.session, 'GET', P(`/days/${day2.id}`))).status, 200, 'the AD reads the draft day');
  // nor are its scenes: crew reach scenes through the published days that call them
  const scene14 = await call(server, who.ad.session, 'POST', P('/scenes'), { body: { number: '14', int_ext: 'INT', day_night: 'NIGHT', set: 'Ferry deck', eighths: 3 } });
  assert.equal(scene14.status, 201, scene14.body);
  assert.equal((await call(server, who.ad.session, 'PATCH', P(`/days/${day2.id}`), { body: { scenes: [scene14.json.id] } })).status, 200);
  const scenes = (await call(server, who.grip.session, 'GET', P('/scenes'))).json.scenes.map((x) => x.number);
  assert.deepEqual(scenes, ['12'], 'the scene of the unpublished day is not listed');
});

test("a department head sees their own department's calls as drafted", async () => {
  await setCall('camop', day1, { call: '05:50' });
  const calls = (await call(server, who.camhead.session, 'GET', P(`/days/${day1.id}/calls`))).json.calls;
  assert.deepEqual(calls.map((c) => [c.person_id, c.call]).sort(), [
    [who.camhead.person.id, '06:30'], [who.camop.person.id, '05:50']].sort());
  assert.equal(await myCall('camop', day1), '06:00', 'the camera operator still reads the published 06:00');
});

test('calendar events carry LOCATION as the reader may see it, SEQUENCE and the scenes in DESCRIPTION', async () => {
  const sheets = (await call(server, who.ad.session, 'GET', P(`/days/${day1.id}/callsheets`))).json.callsheets;
  const version = sheets[0].version;
  assert.equal(version, 2);
  const [grip] = events(await ics(who.grip.session));
  assert.equal(prop(grip, 'LOCATION'), 'Harbour Wall, 3 Harbour Road, Portsea');
  assert.equal(prop(grip, 'SEQUENCE'), String(version));
  assert.match(prop(grip, 'DESCRIPTION'), /^Call 05:15\n/);
  assert.match(prop(grip, 'DESCRIPTION'), /\n12 EXT Harbour wall, DAY(\n|$)/);
  // the AD adds a confidential location to the draft: the production admin's schedule
  // shows its address, the head of camera (reading their own call as drafted) only its
  // name, crew (reading the published sheet) not at all
  const r = await call(server, who.ad.session, 'PATCH', P(`/days/${day1.id}`), { body: { locations: [harbour.id, manor.id] } });
  assert.equal(r.status, 200, r.body);
  const ad = events(await ics(admin, ''));
  const adDay1 = ad.find((e) => prop(e, 'UID') === `${day1.id}@slate`);
  assert.equal(prop(adDay1, 'LOCATION'), 'Harbour Wall, 3 Harbour Road, Portsea; The Manor, 1 Hidden Drive, Secretshire');
  assert.equal(prop(adDay1, 'SEQUENCE'), String(version));
  assert.equal(prop(ad.find((e) => prop(e, 'UID') === `${day2.id}@slate`), 'SEQUENCE'), '0', 'never published: sequence 0');
  const [head] = events(await ics(who.camhead.session));
  assert.equal(prop(head, 'LOCATION'), 'Harbour Wall, 3 Harbour Road, Portsea; The Manor');
  assert.equal(prop(events(await ics(who.grip.session))[0], 'LOCATION'), 'Harbour Wall, 3 Harbour Road, Portsea');
  // published, the address is no secret any more
  await publish(day1);
  const [after3] = events(await ics(who.grip.session));
  assert.equal(prop(after3, 'LOCATION'), 'Harbour Wall, 3 Harbour Road, Portsea; The Manor, 1 Hidden Drive, Secretshire');
  assert.equal(prop(after3, 'SEQUENCE'), '3');
});

test('a personal calendar feed works without a cookie, holds only its owner\'s published calls, rotates and revokes', async () => {
  const made = await call(server, who.grip.session, 'POST', P('/me/calendar-feed'));
  assert.equal(made.status, 201, made.body);
  assert.match(made.json.url, /^webcal:\/\/[^/]+\/feeds\/[A-Za-z0-9_-]{43}\.ics$/);
  assert.equal(made.json.https_url.replace(/^https:/, 'webcal:'), made.json.url);
  const token = /\/feeds\/([A-Za-z0-9_-]{43})\.ics$/.exec(made.json.url)[1];
  // no cookie, no header: the URL is the credential
  await setCall('grip', day1, { call: '04:55' }); // drafted, not published
  const feed = await feedGet(made.json.https_url);
  assert.equal(feed.status, 200, feed.body);
  assert.match(feed.headers['content-type'], /^text\/calendar/);
  const ev = events(feed.body);
  assert.deepEqual(ev.map((e) => prop(e, 'UID')), [`${day1.id}.${who.grip.person.id}@slate`]);
  assert.equal(ev[0].props.find(([n]) => n === 'DTSTART')[2], '20270301T051500', 'published, not the draft 04:55');
  assert.equal(prop(ev[0], 'SEQUENCE'), '3');
  for (const key of ['other', 'camop', 'camhead']) assert.ok(!feed.body.includes(who[key].person.id), `no call of ${key}`);
  assert.ok(!feed.body.includes('06:10'), "another grip's call time is absent");
  // stored hashed: the column holds the SHA-256 of the token, never the token
  const stored = slateSql(server.data, 'SELECT token_hash FROM calendar_feed');
  assert.equal(stored, createHash('sha256').update(token).digest('hex'));
  assert.ok(!stored.includes(token));
  // rotation: one request, the old URL stops working
  const rotated = await call(server, who.grip.session, 'POST', P('/me/calendar-feed'));
  assert.equal(rotated.status, 201, rotated.body);
  assert.notEqual(rotated.json.url, made.json.url);
  assertProblem(await feedGet(made.json.https_url), 404, 'the old feed after rotation');
  assert.equal((await feedGet(rotated.json.https_url)).status, 200);
  // revocation
  assert.equal((await call(server, who.grip.session, 'DELETE', P('/me/calendar-feed'))).status, 204);
  assertProblem(await feedGet(rotated.json.https_url), 404, 'a revoked feed');
  assertProblem(await call(server, who.grip.session, 'DELETE', P('/me/calendar-feed')), 404, 'revoking twice');
  assertProblem(await feedGet(`https://localhost/feeds/${'A'.repeat(43)}.ics`), 404, 'a made-up token');
  assertProblem(await feedGet(`https://localhost/feeds/${token}`), 404, 'without .ics');
  // creation and revocation are audited, the token never
  const rows = slateSql(server.data, "SELECT action || ' ' || object FROM audit_event WHERE action LIKE 'calendar_feed.%' ORDER BY rowid");
  assert.deepEqual(rows.split('\n'), [`calendar_feed.create ${prod.id}`, `calendar_feed.create ${prod.id}`, `calendar_feed.revoke ${prod.id}`]);
  const all = slateSql(server.data, 'SELECT * FROM audit_event');
  assert.ok(!all.includes(token), 'the token is not in the audit log');
  assert.ok(!server.stderrText().includes(token), 'the token is not in the server log');
  assert.ok(server.logs.some((l) => l.route === '/feeds/{token}'), 'feed fetches are logged by route, not by path');
});

test("an AD's feed is published data too, and a revoked member's or disabled account's feed stops working", async () => {
  const adFeed = (await call(server, who.ad.session, 'POST', P('/me/calendar-feed'))).json;
  await setCall('ad', day1, { call: '05:00' });
  assert.equal(events((await feedGet(adFeed.https_url)).body).length, 0, 'the AD is not on a published sheet yet');
  await publish(day1);
  const ev = events((await feedGet(adFeed.https_url)).body);
  assert.deepEqual(ev.map((e) => prop(e, 'UID')), [`${day1.id}.${who.ad.person.id}@slate`]);
  await setCall('ad', day1, { call: '05:05' });
  assert.equal(events((await feedGet(adFeed.https_url)).body)[0].props.find(([n]) => n === 'DTSTART')[2], '20270301T050000');

  const camop = (await call(server, who.camop.session, 'POST', P('/me/calendar-feed'))).json;
  assert.equal((await feedGet(camop.https_url)).status, 200);
  const rev = await call(server, admin, 'POST', P(`/members/${who.camop.member.id}/revoke`));
  assert.equal(rev.status, 200, rev.body);
  assertProblem(await feedGet(camop.https_url), 404, "a revoked member's feed");

  const other = (await call(server, who.other.session, 'POST', P('/me/calendar-feed'))).json;
  assert.equal((await feedGet(other.https_url)).status, 200);
  const off = runSlate(['user', 'disable', '--data', server.data, '--email', who.other.email]);
  assert.equal(off.code, 0, off.stderr);
  assertProblem(await feedGet(other.https_url), 404, "a disabled account's feed");
});
