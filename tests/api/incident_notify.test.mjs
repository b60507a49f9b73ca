// Telling the affected people (issue 22, "Incidents": GDPR Article 34; docs/SECURITY.md
// "Telling the affected people"): for an incident whose affected list was computed from an
// API token's reads, Slate drafts one message per affected person who has an email address
// (what happened, their own data, the consequences, the measures, what they can do, the
// contact point) and lists the others as not notifiable with the reason; the administrator
// reviews, changes the incident's text and drafts again; sending queues every draft in the
// mail outbox in one transaction with an audit event per message that names the person's id
// and nothing personal; the mails arrive; the register's history shows the sending; a second
// send sends nothing new; a closed incident judged harmless is never sent; nobody but an
// instance administrator reaches it. The same from the CLI. One server for the whole file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertProblem, request, runSlate, slateSql, startServer, waitFor } from './lib/harness.mjs';
import { call, enrolTotp, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const I = (id, rest = '') => `/api/v1/incidents/${id}${rest}`;
const hoursAgo = (h) => new Date(Date.now() - h * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const NATURE = 'a read-only API token was published in a public repository';
const CONTACT = 'privacy@studio.example, +31 20 555 0100';
const ADVICE = 'Be wary of calls or mails that quote your address; tell us if you get one.';

// alice and dave have an address, bob none; carol is never read with the token
const PEOPLE = {
  alice: { personal_email: 'alice@crew.example', home_address: '7 Lantern Yard', medical: 'penicillin allergy' },
  bob: { dietary: 'vegetarian' },
  carol: { personal_email: 'carol@crew.example', home_address: '9 Quay Street' },
  dave: { work_email: 'dave@studio.example' },
};
const ids = {};
let token;
let windowFrom;

function cli(args) {
  return runSlate(['incident', ...args, '--data', server.data]);
}
function cliJson(args) {
  const r = cli([...args, '--json']);
  assert.equal(r.code, 0, `slate incident ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The messages in DATA/mail: [{to, text}]. */
function mails() {
  const dir = path.join(server.data, 'mail');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    return { to: /\r\nTo: ([^\r\n]+)\r\n/.exec(text)?.[1], text };
  });
}
const incidentMails = () => mails().filter((m) => m.text.includes('Subject: A security incident that concerns your personal data'));

/** Opens an incident and computes its affected people: the token's reads since windowFrom. */
async function affectedIncident(extra = {}) {
  const o = await call(server, admin, 'POST', '/api/v1/incidents', {
    body: { discovered_at: hoursAgo(2), aware_at: hoursAgo(1), nature: NATURE, contact: CONTACT, data_categories: 'contact details, home addresses, medical notes', consequences: 'phishing aimed at the crew', measures: 'the token was revoked', ...extra },
  });
  assert.equal(o.status, 201, o.body);
  const to = new Date(Date.now() + 60_000).toISOString();
  const r = await call(server, admin, 'POST', I(o.json.id, '/affected'), { body: { token: token.id, from: windowFrom, to } });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json.affected.people.map((p) => p.person_id).sort(), [ids.alice, ids.bob, ids.dave].sort());
  return o.json;
}

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Notice Drill', timezone: 'UTC' } })).json;
  assert.ok(prod.id);
  windowFrom = hoursAgo(0.1);
  for (const [key, fields] of Object.entries(PEOPLE)) {
    const p = await call(server, admin, 'POST', P('/people'), { body: { name: `Person ${key}`, kind: 'crew', department: 'Electric', ...fields } });
    assert.equal(p.status, 201, p.body);
    ids[key] = p.json.id;
  }
  const t = await call(server, admin, 'POST', '/api/v1/me/tokens', { body: { name: 'leaked sync', production_id: prod.id, access: 'read' } });
  assert.equal(t.status, 201, t.body);
  token = t.json;
  for (const key of ['alice', 'bob', 'dave']) {
    const r = await request(server, { path: P(`/people/${ids[key]}`), headers: { authorization: `Bearer ${token.token}` } });
    assert.equal(r.status, 200, r.body);
  }
  // the reads' events are committed in groups: wait until the three are in the log
  await waitFor(async () => {
    const ev = (await call(server, admin, 'GET', P('/audit?limit=500'))).json.events;
    const read = ev.filter((e) => e.action === 'person.read_private' && (e.source ?? '').endsWith(` token:${token.id}`)).map((e) => e.object);
    return ['alice', 'bob', 'dave'].every((k) => read.includes(ids[k]));
  }, { timeout: 60_000, what: 'the token\'s three reads in the audit log' });
});
after(async () => { await server?.stop(); });

test('drafts name the incident, each person\'s own data and the contact point; they are sent once through the outbox, each sending audited by person id only', async () => {
  const inc = await affectedIncident();
  // nothing is sent before there is a draft; nothing is drafted before the advice is written
  assertProblem(await call(server, admin, 'POST', I(inc.id, '/notifications/send')), 409);
  const noAdvice = await call(server, admin, 'POST', I(inc.id, '/notifications/draft'));
  assertProblem(noAdvice, 409);
  assert.equal(noAdvice.json.errors[0].pointer, '/advice');
  assert.equal((await call(server, admin, 'PATCH', I(inc.id), { body: { advice: ADVICE } })).status, 200);

  const d = await call(server, admin, 'POST', I(inc.id, '/notifications/draft'));
  assert.equal(d.status, 200, d.body);
  assert.deepEqual(d.json.counts, { draft: 2, not_notifiable: 1, queued_or_later: 0, sent: 0 });
  const by = (list) => Object.fromEntries(list.map((n) => [Object.keys(ids).find((k) => ids[k] === n.person_id), n]));
  let n = by(d.json.notifications);
  assert.deepEqual(Object.keys(n).sort(), ['alice', 'bob', 'dave']);
  assert.equal(n.alice.status, 'draft');
  assert.equal(n.alice.recipient, 'alice@crew.example');
  assert.equal(n.dave.recipient, 'dave@studio.example', 'a work address when there is no personal one');
  assert.equal(n.bob.status, 'not_notifiable');
  assert.equal(n.bob.recipient, null);
  assert.match(n.bob.reason, /no email address/);
  for (const k of ['alice', 'dave']) {
    const body = n[k].body;
    assert.match(body, new RegExp(`^Hello Person ${k},`));
    for (const part of [NATURE, CONTACT, ADVICE, 'the token was revoked', 'phishing aimed at the crew', inc.id]) assert.ok(body.includes(part), `${k}'s draft holds ${part}`);
    assert.ok(n[k].preview.length > 0 && body.includes(n[k].preview));
  }
  // each names the person's own data, not another's
  assert.match(n.alice.body, /your personal email address, your home address, your medical notes\./);
  assert.match(n.dave.body, /Your name, department and job title, your work email address\./);
  const own = (body) => /^Your name, department and job title.*$/m.exec(body)[0];
  assert.ok(!/medical|home address|personal/.test(own(n.dave.body)), own(n.dave.body));
  assert.ok(!/work email/.test(own(n.alice.body)), own(n.alice.body));
  // the drafts are sealed at rest: no address, no text in the file's rows
  const raw = slateSql(server.data, `SELECT content FROM incident_notice WHERE incident_id = '${inc.id}'`);
  assert.ok(!raw.includes('alice@') && !raw.includes('Lantern') && !raw.includes('published'), raw);

  // the administrator changes the common text and drafts again: the drafts follow
  assert.equal((await call(server, admin, 'PATCH', I(inc.id), { body: { measures: 'the token was revoked & the repository deleted <at once>' } })).status, 200);
  assert.equal((await call(server, admin, 'POST', I(inc.id, '/notifications/draft'))).status, 200);
  const list = await call(server, admin, 'GET', I(inc.id, '/notifications'));
  assert.equal(list.status, 200, list.body);
  n = by(list.json.notifications);
  assert.match(n.alice.body, /the repository deleted/);
  assert.equal(list.json.notifications.length, 3, 'drafting again replaces, it does not add');
  // the list carries people's addresses: it is a read of them, in the log by person id (bob's has none)
  await waitFor(() => slateSql(server.data, `SELECT object FROM audit_event WHERE action = 'person.read_private' AND production_id IS NULL AND request_id = '${list.headers['x-request-id']}'`) !== '' || null,
    { timeout: 60_000, interval: 200, what: 'the read event of the notifications list' });
  const readOf = slateSql(server.data, `SELECT object FROM audit_event WHERE action = 'person.read_private' AND request_id = '${list.headers['x-request-id']}'`);
  assert.deepEqual(readOf.split(',').sort(), [ids.alice, ids.dave].sort());

  const before = incidentMails().length;
  const s = await call(server, admin, 'POST', I(inc.id, '/notifications/send'));
  assert.equal(s.status, 200, s.body);
  assert.equal(s.json.queued, 2);
  n = by(s.json.notifications);
  assert.ok(n.alice.outbox_id && n.dave.outbox_id && n.alice.queued_at);
  assert.equal(n.bob.status, 'not_notifiable');

  // the mails arrive, one to each address, and say what the draft said
  const arrived = await waitFor(() => {
    const m = incidentMails();
    return m.length >= before + 2 ? m : null;
  }, { timeout: 60_000, what: 'the two notifications in DATA/mail' });
  for (const [to, who] of [['alice@crew.example', 'alice'], ['dave@studio.example', 'dave']]) {
    const mine = arrived.filter((m) => m.to === to);
    assert.equal(mine.length, 1, `one mail to ${to}`);
    for (const part of [NATURE, ADVICE, 'privacy@studio.example', `Hello Person ${who},`]) assert.ok(mine[0].text.includes(part), `${to}'s mail holds ${part}`);
    // plain text and plain HTML, nothing remote, every value escaped
    const text = mine[0].text;
    assert.match(text, /\r\nContent-Type: multipart\/alternative; boundary="alt-[^"]+"\r\n/);
    assert.match(text, /\r\nContent-Type: text\/plain; charset=utf-8\r\n[^]*revoked & the repository deleted <at once>/);
    const html = text.slice(text.indexOf('Content-Type: text/html'));
    assert.ok(html.includes('revoked &amp; the repository deleted &lt;at once&gt;'), html);
    assert.ok(!html.includes('<at once>'), 'the HTML escapes what the administrator wrote');
    assert.ok(!/<img|<link|<script|src=|href=|url\(|https?:\/\//i.test(text), 'no remote content');
  }
  assert.ok(!arrived.some((m) => m.to === 'carol@crew.example'), 'carol was not read with the token');
  // the outbox's delivery shows on the notices
  await waitFor(async () => {
    const l = (await call(server, admin, 'GET', I(inc.id, '/notifications'))).json;
    return l.counts.sent === 2 ? l : null;
  }, { timeout: 60_000, what: 'both notices sent' });

  // the register's history shows the sending, by person id; the audit log names no one by address or name
  const got = (await call(server, admin, 'GET', I(inc.id))).json;
  const sent = got.history.filter((h) => h.change.action === 'incident.notify_people');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].change.queued, 2);
  assert.deepEqual(sent[0].change.people.map((p) => p.person_id).sort(), [ids.alice, ids.dave].sort());
  const events = slateSql(server.data, `SELECT action || ' ' || object || ' ' || COALESCE(production_id, '-') FROM audit_event WHERE action LIKE 'incident.notify_%' ORDER BY seq`);
  const lines = events.split('\n');
  assert.deepEqual(lines.filter((l) => l.startsWith('incident.notify_person ')).map((l) => l.split(' ')[1]).sort(), [ids.alice, ids.dave].sort());
  assert.ok(lines.filter((l) => l.startsWith('incident.notify_person ')).every((l) => l.endsWith(` ${prod.id}`)));
  assert.ok(lines.includes(`incident.notify_people ${inc.id} -`), events);
  assert.ok(!/@|Person |Lantern/.test(events), events);

  // a second send sends nothing new; drafting again leaves the sent notices alone
  const again = await call(server, admin, 'POST', I(inc.id, '/notifications/send'));
  assert.equal(again.status, 200, again.body);
  assert.equal(again.json.queued, 0);
  const redraft = await call(server, admin, 'POST', I(inc.id, '/notifications/draft'));
  assert.equal(redraft.status, 200, redraft.body);
  assert.equal(redraft.json.counts.draft, 0);
  assert.equal(redraft.json.counts.sent, 2);
  assert.equal((await call(server, admin, 'POST', I(inc.id, '/notifications/send'))).json.queued, 0);
  assert.equal(incidentMails().length, before + 2, 'no second mail');
  assertProblem(await call(server, admin, 'GET', I('inc_abcdefghijklmnopqrstuvwxyz', '/notifications')), 404);
  assertProblem(await call(server, admin, 'POST', I('inc_abcdefghijklmnopqrstuvwxyz', '/notifications/draft')), 404);
});

test('an incident closed as unlikely to harm anyone is never sent; one with nobody affected has nothing to draft', async () => {
  const inc = await affectedIncident({ advice: ADVICE });
  assert.equal((await call(server, admin, 'POST', I(inc.id, '/notifications/draft'))).status, 200);
  assert.equal((await call(server, admin, 'PATCH', I(inc.id), { body: { status: 'contained' } })).status, 200);
  const closed = await call(server, admin, 'PATCH', I(inc.id), { body: { status: 'closed', no_notification_reason: 'the token could read nothing of value' } });
  assert.equal(closed.status, 200, closed.body);
  const before = incidentMails().length;
  const s = await call(server, admin, 'POST', I(inc.id, '/notifications/send'));
  assertProblem(s, 409);
  assert.match(s.json.detail, /unlikely to result in a risk/);
  assertProblem(await call(server, admin, 'POST', I(inc.id, '/notifications/draft')), 409);
  assert.equal((await call(server, admin, 'GET', I(inc.id, '/notifications'))).json.counts.draft, 2, 'the drafts stay, unsent');

  const lone = await call(server, admin, 'POST', '/api/v1/incidents', { body: { discovered_at: hoursAgo(2), aware_at: hoursAgo(1), nature: 'x', contact: 'y', advice: 'z' } });
  const none = await call(server, admin, 'POST', I(lone.json.id, '/notifications/draft'));
  assertProblem(none, 409);
  assert.match(none.json.detail, /compute who is affected first/);
  assert.equal(incidentMails().length, before);
});

test('the CLI drafts, lists and sends, with --json; a second send sends nothing', async () => {
  const inc = await affectedIncident();
  const r = cli(['notify-draft', '--id', inc.id]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /advice/);
  cliJson(['update', '--id', inc.id, '--advice', ADVICE]);
  const d = cliJson(['notify-draft', '--id', inc.id]);
  assert.deepEqual(d.counts, { draft: 2, not_notifiable: 1, queued_or_later: 0, sent: 0 });
  assert.ok(d.notifications.find((x) => x.person_id === ids.alice).body.includes(ADVICE));
  const shown = cli(['notifications', '--id', inc.id]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`${ids.alice}\\s+draft\\s+alice@crew\\.example`));
  assert.match(shown.stdout, new RegExp(`${ids.bob}\\s+not_notifiable\\s+no email address`));
  const before = incidentMails().length;
  const s = cliJson(['notify-send', '--id', inc.id]);
  assert.equal(s.queued, 2);
  await waitFor(() => incidentMails().length >= before + 2, { timeout: 60_000, what: 'the CLI\'s two notifications' });
  assert.equal(cliJson(['notify-send', '--id', inc.id]).queued, 0);
  const bad = cli(['notify-send', '--id', 'inc_abcdefghijklmnopqrstuvwxyz']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /no incident/);
  const hist = cliJson(['show', '--id', inc.id]).history.map((h) => h.change.action);
  assert.deepEqual(hist.slice(-3), ['incident.update', 'incident.notify_draft', 'incident.notify_people']);
  assert.equal(incidentMails().length, before + 2);
});

test('a production admin, a crew member and an API token do not reach the notifications', async () => {
  const inc = (await call(server, admin, 'GET', '/api/v1/incidents')).json.incidents[0];
  const pa = await newAccount(server, 'pa@notice.example', 'violet tambourine gathers seven lanterns');
  await enrolTotp(server, pa);
  const crew = await newAccount(server, 'crew@notice.example', 'orange harbour whistles under quiet rain');
  for (const [email, role] of [['pa@notice.example', 'production_admin'], ['crew@notice.example', 'crew']]) {
    const m = await call(server, admin, 'POST', P('/members'), { body: role === 'crew' ? { email, role, department: 'Electric' } : { email, role } });
    assert.equal(m.status, 201, m.body);
  }
  for (const s of [pa, crew]) {
    assertProblem(await call(server, s, 'GET', I(inc.id, '/notifications')), 403);
    assertProblem(await call(server, s, 'POST', I(inc.id, '/notifications/draft')), 403);
    assertProblem(await call(server, s, 'POST', I(inc.id, '/notifications/send')), 403);
  }
  assertProblem(await request(server, { path: I(inc.id, '/notifications'), headers: { authorization: `Bearer ${token.token}` } }), 403);
});
