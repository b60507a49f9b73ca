// Call sheet distribution (issue 20): publishing with ?send=true mails every
// recipient with an address their own message (text and HTML, their PDF
// attached, a personal link), tracked by name through
// GET …/callsheets/{cid}/deliveries; the personal link opens and
// acknowledges that version without signing in (POST /api/v1/sheet-links/*).
// A relay on loopback (lib/smtp-sink.mjs) takes the mail and answers some
// recipients 4xx or 5xx, as a real relay would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, request, makeTempDir, waitFor, assertProblem } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';
import { makeCert, startSink } from './lib/smtp-sink.mjs';

const tmp = makeTempDir('slate-distribution-');
let sink;
let server;
let admin;
let prod;
const who = {}; // key → {session?, person, email?}
let harbour;
let manor;
let day1;
let v1;
let v2;
// the relay refuses the slow address with a 4xx until the test has seen it deferred, so
// the deferral is observed however slowly the server runs (valgrind)
let slowHeld = true;

const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const ok = (r, status = 200) => {
  assert.equal(r.status, status, r.body);
  return r.json;
};
const ad = (method, p, body) => call(server, who.ad.session, method, p, body === undefined ? {} : { body });
const setCall = async (person, day, body) => ok(await ad('PUT', P(`/days/${day.id}/calls/${person.id}`), body));
const link = (what, body, extra = '') => request(server, { method: 'POST', path: `/api/v1/sheet-links/${what}${extra}`, body });

/** The RFC 2047 words of a header decoded (UTF-8, base64 or Q). */
function decodeWords(v) {
  return v.replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, enc, text) => (enc.toUpperCase() === 'B'
    ? Buffer.from(text, 'base64').toString('utf8')
    : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')));
}

/** A MIME entity: {headers: {lower-case name: value}, body, parts: [entity] for multipart}. */
function parseMime(text) {
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = text.slice(split + 4);
  const headers = {};
  for (const l of head.split('\r\n')) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  const entity = { headers, body, parts: [] };
  const b = /boundary="([^"]+)"/.exec(headers['content-type'] ?? '');
  if (/^multipart\//i.test(headers['content-type'] ?? '') && b) {
    const chunks = body.split(`--${b[1]}`);
    assert.ok(chunks[chunks.length - 1].startsWith('--'), 'the multipart ends with its closing boundary');
    for (const c of chunks.slice(1, -1)) entity.parts.push(parseMime(c.replace(/^\r\n/, '').replace(/\r\n$/, '')));
  }
  return entity;
}

const mailsTo = (email) => sink.messages.filter((m) => m.to.includes(`<${email}>`));
const messageId = (m) => /\r\nMessage-ID: (<[^>]+>)\r\n/.exec(m.data)?.[1];
const tokenIn = (m) => /\/sheet#token=([A-Za-z0-9_-]{43})/.exec(m.data)?.[1];

/** The parts of a call sheet message: {top, text, html, pdf (Buffer), pdfPart}. */
function partsOf(m) {
  const top = parseMime(m.data);
  assert.match(top.headers['content-type'], /^multipart\/mixed;/);
  const [alt, att] = top.parts;
  assert.match(alt.headers['content-type'], /^multipart\/alternative;/);
  const [text, html] = alt.parts;
  assert.match(text.headers['content-type'], /^text\/plain; charset=utf-8/);
  assert.match(html.headers['content-type'], /^text\/html; charset=utf-8/);
  assert.match(att.headers['content-type'], /^application\/pdf/);
  assert.match(att.headers['content-disposition'], /^attachment; filename="[^"]+\.pdf"/);
  assert.equal(att.headers['content-transfer-encoding'], 'base64');
  return { top, text: text.body, html: html.body, pdf: Buffer.from(att.body.replace(/\r\n/g, ''), 'base64') };
}

async function deliveries(cs, session = who.ad.session) {
  return ok(await call(server, session, 'GET', P(`/callsheets/${cs.id}/deliveries`))).deliveries;
}
const deliveryOf = (list, person, kind = 'publish') => list.find((d) => d.person_id === person.id && d.kind === kind);

before(async () => {
  const cert = makeCert(tmp.dir, 'relay');
  sink = await startSink({
    cert,
    onData: (m) => {
      if (m.to.includes('<bounce@crew.example>')) return '554 5.7.1 mailbox unavailable';
      if (m.to.includes('<slow@crew.example>') && slowHeld) return '451 4.3.0 try again later';
      return undefined;
    },
  });
  server = await startServer({
    env: {
      SLATE_MAIL_TRANSPORT: 'smtp',
      SLATE_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      SLATE_SMTP_CA_FILE: cert.certFile,
      SLATE_SMTP_TIMEOUT: '10',
      SLATE_MAIL_RETRY_SECONDS: '2',
    },
  });
  admin = await readyAdmin(server);
  prod = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Northern Lights', timezone: 'Europe/London' } }), 201);
  let n = 0;
  for (const [key, role, dept] of [
    ['ad', 'ad', 'Direction/AD'],
    ['grip', 'crew', 'Grip'],
    ['camhead', 'department_head', 'Camera'],
  ]) {
    const email = `${key}@lights.example`;
    const session = await newAccount(server, email, `a long passphrase for the northern lights ${n++}`);
    ok(await call(server, admin, 'POST', P('/members'), { body: { email, role, department: dept } }), 201);
    const person = ok(await call(server, admin, 'POST', P('/people'), {
      body: { name: `Person ${key}`, kind: 'crew', department: dept, account_email: email, job_title: role, work_email: `${key}.work@lights.example` },
    }), 201);
    assert.equal((await call(server, session, 'POST', P(`/people/${person.id}/confirm-link`))).status, 204);
    who[key] = { session, person, email };
  }
  const person = async (key, body) => {
    who[key] = { person: ok(await call(server, admin, 'POST', P('/people'), { body: { kind: 'crew', department: 'Grip', ...body } }), 201), email: body.work_email };
  };
  await person('gaffer', { name: 'Gaffer <b>&</b> Co', work_email: 'gaffer@crew.example' });
  await person('runner', { name: 'Runner Without Mail' });
  await person('lead', { name: 'Lead Actor', kind: 'cast', character_name: 'The Keeper', personal_email: 'lead.private@home.example' });
  await person('bounce', { name: 'Bouncing Box', work_email: 'bounce@crew.example' });
  await person('slow', { name: 'Slow Relay', work_email: 'slow@crew.example' });
  harbour = ok(await ad('POST', P('/locations'), { name: 'Harbour Wall', address: '3 Harbour Road, Portsea' }), 201);
  manor = ok(await ad('POST', P('/locations'), { name: 'The Manor', address: '1 Manor Drive' }), 201);
  day1 = ok(await ad('POST', P('/days'), { date: '2099-05-03', general_call: '07:00', wrap_estimate: '19:00', locations: [harbour.id] }), 201);
  await setCall(who.grip.person, day1, { call: '06:30' });
  await setCall(who.camhead.person, day1, { call: '06:45' });
  await setCall(who.gaffer.person, day1, { call: '06:15' });
  await setCall(who.runner.person, day1, { call: '06:00' });
  await setCall(who.lead.person, day1, { call: '08:00', cast_status: 'work' });
  await setCall(who.bounce.person, day1, { call: '07:00' });
  await setCall(who.slow.person, day1, { call: '07:10' });
  v1 = ok(await ad('POST', P(`/days/${day1.id}/callsheets?send=true`)), 201);
});

after(async () => {
  await server?.stop();
  await sink?.close();
  tmp.cleanup();
});

test('publishing with send queues one message per recipient with an address, and names those without one', async () => {
  assert.equal(v1.version, 1);
  assert.equal(v1.deliveries.queued, 5);
  const notSent = v1.deliveries.not_sent.map((x) => `${x.name}: ${x.reason}`).sort();
  // the cast member's personal email is not an address Slate sends call sheets to
  assert.deepEqual(notSent, ['Lead Actor: no email address', 'Runner Without Mail: no email address']);
  // a publish without send sends nothing and says nothing of deliveries
  const day = ok(await ad('POST', P('/days'), { date: '2099-05-09', general_call: '07:00', wrap_estimate: '19:00' }), 201);
  await setCall(who.gaffer.person, day, { call: '09:00' });
  const quiet = ok(await ad('POST', P(`/days/${day.id}/callsheets`)), 201);
  assert.equal(quiet.deliveries, undefined);
  assert.deepEqual(await deliveries(quiet), []);
});

test('each recipient gets their own message: their call in the subject, text and HTML, their PDF attached, their link', async () => {
  await waitFor(() => mailsTo(who.gaffer.email).length && mailsTo(who.grip.email).length && mailsTo(who.camhead.email).length, { what: 'the messages at the relay' });
  // the account's email once the link is confirmed, not the work email
  assert.equal(mailsTo('grip.work@lights.example').length, 0);
  const m = mailsTo(who.gaffer.email)[0];
  const { top, text, html, pdf } = partsOf(m);
  assert.equal(decodeWords(top.headers.subject), 'Day 1 \u2014 your call 06:15 \u2014 Northern Lights');
  assert.equal(decodeWords(parseMime(mailsTo(who.grip.email)[0].data).headers.subject), 'Day 1 \u2014 your call 06:30 \u2014 Northern Lights');
  assert.match(text, /Hello Gaffer <b>&<\/b> Co,/);
  assert.match(text, /Your call: 06:15/);
  assert.match(text, /https:\/\/localhost:8443\/sheet#token=[A-Za-z0-9_-]{43}/);
  // HTML: the name escaped, no remote image, no script, the same link
  assert.match(html, /Hello Gaffer &lt;b&gt;&amp;&lt;\/b&gt; Co,/);
  assert.doesNotMatch(html, /<img|<script|src=|https?:\/\/(?!localhost:8443\/sheet#token=)/i);
  assert.ok(html.includes(`/sheet#token=${tokenIn(m)}`));
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  if (existsSync('/usr/bin/pdftotext')) {
    const dir = mkdtempSync(path.join(tmpdir(), 'slate-pdf-'));
    try {
      writeFileSync(path.join(dir, 'a.pdf'), pdf);
      const out = execFileSync('pdftotext', ['-layout', path.join(dir, 'a.pdf'), '-'], { encoding: 'utf8' });
      assert.match(out, /Gaffer <b>&<\/b> Co/, 'the recipient\'s name is in their PDF');
      assert.match(out, /06:15/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // the token of each message is its own
  assert.notEqual(tokenIn(m), tokenIn(mailsTo(who.grip.email)[0]));
});

test('a 5xx answer fails the delivery at once, with the relay\'s answer; a 4xx defers it, then it is sent', async () => {
  const bounced = await waitFor(async () => {
    const d = deliveryOf(await deliveries(v1), who.bounce.person);
    return d.status === 'failed' ? d : null;
  }, { what: 'the bounced delivery failed' });
  assert.match(bounced.relay_answer, /^554 5\.7\.1 mailbox unavailable/);
  assert.equal(bounced.attempts, 1);
  assert.equal(sink.received.filter((m) => m.to.includes('<bounce@crew.example>')).length, 1, 'tried once, never again');
  const deferred = await waitFor(async () => {
    const d = deliveryOf(await deliveries(v1), who.slow.person);
    return d.status === 'deferred' || d.status === 'sent' ? d : null;
  }, { what: 'the slow delivery deferred' });
  assert.equal(deferred.status, 'deferred', 'seen deferred before it was sent');
  assert.match(deferred.reason, /451/);
  assert.ok(Date.parse(deferred.next_attempt_at) > Date.parse(deferred.queued_at));
  slowHeld = false;
  const sent = await waitFor(async () => {
    const d = deliveryOf(await deliveries(v1), who.slow.person);
    return d.status === 'sent' ? d : null;
  }, { what: 'the slow delivery sent', timeout: 15_000 });
  assert.match(sent.relay_answer, /^250 /);
  assert.equal(mailsTo('slow@crew.example').length, 1);
  const list = await deliveries(v1);
  assert.equal(deliveryOf(list, who.runner.person).status, 'not_sent');
  assert.equal(deliveryOf(list, who.runner.person).reason, 'no email address');
  assert.equal(deliveryOf(list, who.gaffer.person).status, 'sent');
  assert.ok(list.every((d) => !['opened', 'read'].includes(d.status)));
});

test('the personal link opens that version for that person, and acknowledges it through the link', async () => {
  const token = tokenIn(mailsTo(who.gaffer.email)[0]);
  const opened = ok(await link('open', { token }));
  assert.equal(opened.callsheet.id, v1.id);
  assert.equal(opened.callsheet.version, 1);
  assert.equal(opened.person.id, who.gaffer.person.id);
  assert.equal(opened.production.name, 'Northern Lights');
  assert.equal(opened.acknowledged_at, null);
  assert.deepEqual(opened.sheet, v1.sheet, 'the published body, as every recipient is sent it');
  assert.equal((await link('ack', { token })).status, 204);
  // the grip acknowledges in the app
  assert.equal((await call(server, who.grip.session, 'POST', P(`/callsheets/${v1.id}/ack`))).status, 204);
  const acks = ok(await ad('GET', P(`/callsheets/${v1.id}/acks`))).acknowledgements;
  const gaffer = acks.find((a) => a.person_id === who.gaffer.person.id);
  assert.ok(gaffer.acknowledged_at);
  assert.equal(gaffer.acknowledged_via, 'link');
  assert.equal(acks.find((a) => a.person_id === who.grip.person.id).acknowledged_via, 'app');
  assert.equal(acks.find((a) => a.person_id === who.camhead.person.id).acknowledged_via, null);
  assert.equal(deliveryOf(await deliveries(v1), who.gaffer.person).acknowledged_via, 'link');
  const pdf = await link('pdf', { token });
  assert.equal(pdf.status, 200);
  assert.match(pdf.headers['content-type'], /^application\/pdf/);
  assert.equal(pdf.raw.subarray(0, 5).toString('latin1'), '%PDF-');
  // every use audited, naming the person, never the token
  const events = ok(await call(server, admin, 'GET', P('/audit?limit=500'))).events;
  for (const action of ['callsheet.link_open', 'callsheet.link_pdf']) {
    assert.ok(events.some((e) => e.action === action && e.object === who.gaffer.person.id && e.outcome === 'success'), action);
  }
  assert.ok(events.some((e) => e.action === 'callsheet.ack' && e.object === who.gaffer.person.id));
  assert.ok(!JSON.stringify(events).includes(token), 'no token in the audit log');
  assert.ok(!server.lines.join('\n').includes(token), 'no token in the server log');
});

test('a forged token, and a token in the query string, are refused', async () => {
  assertProblem(await link('open', { token: randomBytes(32).toString('base64url') }), 404);
  assertProblem(await link('ack', { token: 'short' }), 404);
  const token = tokenIn(mailsTo(who.grip.email)[0]);
  assertProblem(await link('open', { token }, `?token=${token}`), 400);
  assertProblem(await link('pdf', { token }, `?token=${token}`), 400);
});

test('crew and a department head may not see the deliveries; the AD may', async () => {
  assertProblem(await call(server, who.grip.session, 'GET', P(`/callsheets/${v1.id}/deliveries`)), 403);
  assertProblem(await call(server, who.camhead.session, 'GET', P(`/callsheets/${v1.id}/deliveries`)), 403);
  assertProblem(await call(server, who.grip.session, 'POST', P(`/callsheets/${v1.id}/remind`)), 403);
  assert.equal((await deliveries(v1)).length, 7);
});

test('with link_access off a link asks for sign-in, audited; on again it opens', async () => {
  const token = tokenIn(mailsTo(who.camhead.email)[0]);
  const off = ok(await call(server, admin, 'PATCH', P(), { body: { link_access: false } }));
  assert.equal(off.link_access, false);
  assert.equal(ok(await call(server, admin, 'GET', P())).link_access, false);
  for (const what of ['open', 'ack', 'pdf']) {
    const r = await link(what, { token });
    assertProblem(r, 403);
    assert.deepEqual(r.json.errors, [{ pointer: '/token', detail: 'sign-in required' }]);
  }
  const events = ok(await call(server, admin, 'GET', P('/audit?limit=500'))).events;
  assert.ok(events.some((e) => e.action === 'callsheet.link_open' && e.outcome === 'denied' && e.object === who.camhead.person.id));
  assert.ok(events.some((e) => e.action === 'production.link_access_off'));
  assert.equal((await call(server, who.ad.session, 'PATCH', P(), { body: { link_access: true } })).status, 403, 'an AD cannot turn it back on');
  ok(await call(server, admin, 'PATCH', P(), { body: { link_access: true } }));
  ok(await link('open', { token }));
});

test('a second version tells each recipient what changed for them; the first version\'s links stop working', async () => {
  const oldToken = tokenIn(mailsTo(who.grip.email)[0]);
  ok(await ad('PATCH', P(`/days/${day1.id}`), { locations: [manor.id] }));
  await setCall(who.grip.person, day1, { call: '05:45' });
  v2 = ok(await ad('POST', P(`/days/${day1.id}/callsheets?send=true`)), 201);
  assert.equal(v2.version, 2);
  const m = await waitFor(() => mailsTo(who.grip.email)[1], { what: 'the second message to the grip' });
  const { top, text, html } = partsOf(m);
  assert.equal(decodeWords(top.headers.subject), 'Day 1 \u2014 your call 05:45 \u2014 Northern Lights');
  assert.match(text, /your call moved from 06:30 to 05:45/);
  assert.match(text, /location changed to The Manor/);
  assert.match(html, /your call moved from 06:30 to 05:45/);
  // the gaffer's own call did not move: only the location is news to them
  const g = partsOf(await waitFor(() => mailsTo(who.gaffer.email)[1], { what: 'the second message to the gaffer' }));
  assert.doesNotMatch(g.text, /your call moved/);
  assert.match(g.text, /location changed to The Manor/);
  assertProblem(await link('open', { token: oldToken }), 404);
  const opened = ok(await link('open', { token: tokenIn(m) }));
  assert.equal(opened.callsheet.id, v2.id);
});

test('a removed person\'s link is refused', async () => {
  const m = await waitFor(() => mailsTo(who.gaffer.email)[1], { what: 'the gaffer\'s second message' });
  const token = tokenIn(m);
  ok(await link('open', { token }));
  assert.equal((await call(server, admin, 'DELETE', P(`/people/${who.gaffer.person.id}`))).status, 204);
  assertProblem(await link('open', { token }), 404);
});

test('a reminder goes to every recipient of the latest version who has not acknowledged it, with a fresh link', async () => {
  assertProblem(await ad('POST', P(`/callsheets/${v1.id}/remind`)), 409);
  const grip2 = tokenIn(mailsTo(who.grip.email)[1]);
  assert.equal((await link('ack', { token: grip2 })).status, 204);
  const subjectOf = (m) => decodeWords(parseMime(m.data).headers.subject);
  const r = ok(await ad('POST', P(`/callsheets/${v2.id}/remind`)));
  // camhead, bounce, slow have an address and have not acknowledged version 2; the grip has
  assert.equal(r.queued, 3);
  assert.deepEqual(r.not_sent.map((x) => x.name).sort(), ['Lead Actor', 'Runner Without Mail']);
  const m = await waitFor(() => mailsTo(who.camhead.email).find((x) => subjectOf(x).startsWith('Reminder:')), { what: 'the reminder' });
  assert.equal(subjectOf(m), 'Reminder: Day 1 \u2014 your call 06:45 \u2014 Northern Lights');
  await waitFor(() => mailsTo('slow@crew.example').some((x) => subjectOf(x).startsWith('Reminder:')), { what: 'the other reminders' });
  assert.ok(!mailsTo(who.grip.email).some((x) => subjectOf(x).startsWith('Reminder:')), 'no reminder to whoever acknowledged');
  ok(await link('open', { token: tokenIn(m) }));
  assert.ok((await deliveries(v2)).some((d) => d.kind === 'reminder' && d.person_id === who.camhead.person.id));
});

test('guessing tokens from one address is slowed down like sign-in', async () => {
  let throttled = null;
  for (let i = 0; i < 12 && !throttled; i++) {
    const r = await link('open', { token: randomBytes(32).toString('base64url') });
    if (r.status === 429) throttled = r;
    else assert.equal(r.status, 404);
  }
  assert.ok(throttled, 'refused with 429 after a few unknown tokens');
  assert.ok(Number(throttled.headers['retry-after']) > 0);
});
