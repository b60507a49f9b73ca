// Bounces (issue 20): with mail_bounce_address set, every message leaves
// with the envelope sender bounces+<outbox id>@… (VERP); a delivery status
// notification (RFC 3464) that the MTA delivers into mail_bounce_dir/new
// marks that one delivery "bounced" with the report's Status and
// Diagnostic-Code. Forged mail, a report for an unknown id and a link out
// of the Maildir change nothing; every file read is moved to cur/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, makeTempDir, waitFor } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';
import { makeCert, startSink } from './lib/smtp-sink.mjs';

const tmp = makeTempDir('slate-bounce-');
const maildir = path.join(tmp.dir, 'bounces');
let sink;
let server;
let prod;
let ad;
let cs;
const who = {};

const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const ok = (r, status = 200) => {
  assert.equal(r.status, status, r.body);
  return r.json;
};
const adCall = (method, p, body) => call(server, ad, method, p, body === undefined ? {} : { body });
const deliveries = async () => ok(await adCall('GET', P(`/callsheets/${cs.id}/deliveries`))).deliveries;
const deliveryOf = (list, key) => list.find((d) => d.person_id === who[key].person.id);
const mailTo = (email) => sink.messages.find((m) => m.to.includes(`<${email}>`));
const outboxId = (m) => /\r\nMessage-ID: <([^@>]+)@slate>\r\n/.exec(m.data)?.[1];

/** Delivers text into the Maildir as an MTA does (tmp/, then a rename into new/); its name. */
let seq = 0;
function deliver(text) {
  const name = `1764842400.M${++seq}P${process.pid}.mx`;
  writeFileSync(path.join(maildir, 'tmp', name), text);
  renameSync(path.join(maildir, 'tmp', name), path.join(maildir, 'new', name));
  return name;
}
/** Waits until the server has moved new/NAME to cur/ (Maildir: NAME:2,). */
async function processed(name) {
  await waitFor(() => !existsSync(path.join(maildir, 'new', name)) && existsSync(path.join(maildir, 'cur', `${name}:2,`)),
    { what: `${name} moved to cur/` });
}

/** A Postfix-style DSN (multipart/report) delivered to bounces+ID, for recipient, with status. */
function dsn(id, recipient, { action = 'failed', status = '5.1.1', diagnostic = `smtp; 550 5.1.1 <${recipient}>: Recipient address rejected: User unknown` } = {}) {
  return [
    'Return-Path: <>',
    `Delivered-To: bounces+${id}@slate.example`,
    'From: MAILER-DAEMON@relay.slate.example (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    `To: bounces+${id}@slate.example`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="B1.relay"',
    '',
    '--B1.relay',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Your message could not be delivered.',
    '',
    '--B1.relay',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; relay.slate.example',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: ${diagnostic}`,
    '',
    '--B1.relay--',
    '',
  ].join('\n');
}

before(async () => {
  for (const d of ['tmp', 'new', 'cur']) mkdirSync(path.join(maildir, d), { recursive: true });
  const cert = makeCert(tmp.dir, 'relay');
  sink = await startSink({ cert });
  server = await startServer({
    env: {
      SLATE_MAIL_TRANSPORT: 'smtp',
      SLATE_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      SLATE_SMTP_CA_FILE: cert.certFile,
      SLATE_SMTP_TIMEOUT: '10',
      SLATE_MAIL_FROM: 'Northern Lights Office <office@lights.example>',
      SLATE_MAIL_BOUNCE_ADDRESS: 'bounces@slate.example',
      SLATE_MAIL_BOUNCE_DIR: maildir,
    },
  });
  const admin = await readyAdmin(server);
  prod = ok(await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Northern Lights', timezone: 'Europe/London' } }), 201);
  ad = await newAccount(server, 'ad@lights.example', 'a long passphrase for the bounce test');
  ok(await call(server, admin, 'POST', P('/members'), { body: { email: 'ad@lights.example', role: 'ad', department: 'Direction/AD' } }), 201);
  for (const [key, email] of [['gaffer', 'gaffer@crew.example'], ['grip', 'grip@crew.example']]) {
    who[key] = { email, person: ok(await call(server, admin, 'POST', P('/people'), { body: { name: `Person ${key}`, kind: 'crew', department: 'Grip', work_email: email } }), 201) };
  }
  const day = ok(await adCall('POST', P('/days'), { date: '2099-05-03', general_call: '07:00', wrap_estimate: '19:00' }), 201);
  for (const key of ['gaffer', 'grip']) ok(await adCall('PUT', P(`/days/${day.id}/calls/${who[key].person.id}`), { call: '06:30' }));
  cs = ok(await adCall('POST', P(`/days/${day.id}/callsheets?send=true`)), 201);
  assert.equal(cs.deliveries.queued, 2);
  await waitFor(async () => (await deliveries()).every((d) => d.status === 'sent'), { what: 'both messages sent', timeout: 20_000 });
  for (const key of ['gaffer', 'grip']) who[key].id = outboxId(mailTo(who[key].email));
});

after(async () => {
  await server?.stop();
  await sink?.close();
  tmp.cleanup();
});

test('every message leaves with its own VERP envelope sender; the From header stays the office', () => {
  for (const key of ['gaffer', 'grip']) {
    const m = mailTo(who[key].email);
    assert.match(who[key].id, /^msg_[a-z2-7]{26}$/);
    assert.equal(m.from, `<bounces+${who[key].id}@slate.example>`);
    assert.match(m.data, /(^|\r\n)From: Northern Lights Office <office@lights\.example>\r\n/);
  }
  assert.notEqual(who.gaffer.id, who.grip.id);
});

test('forged mail, a delayed report, a report for an unknown id and a link out of the Maildir bounce nothing', async () => {
  // plain mail addressed to a real message, with DSN-looking lines in its body
  const forged = deliver([
    `Delivered-To: bounces+${who.grip.id}@slate.example`,
    `To: bounces+${who.grip.id}@slate.example`,
    'Subject: your mail bounced (honest)',
    'Content-Type: text/plain',
    '',
    'Action: failed',
    'Status: 5.1.1',
    '',
  ].join('\n'));
  const delayed = deliver(dsn(who.grip.id, who.grip.email, { action: 'delayed', status: '4.4.1', diagnostic: 'smtp; 451 try later' }));
  const unknown = deliver(dsn('msg_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'nobody@crew.example'));
  // a valid report for grip outside the Maildir, linked into new/: not followed
  writeFileSync(path.join(tmp.dir, 'outside.eml'), dsn(who.grip.id, who.grip.email));
  const link = `1764842400.M${++seq}P${process.pid}.link`;
  symlinkSync(path.join(tmp.dir, 'outside.eml'), path.join(maildir, 'new', link));
  for (const name of [forged, delayed, unknown, link]) await processed(name);
  const list = await deliveries();
  assert.equal(deliveryOf(list, 'grip').status, 'sent');
  assert.equal(deliveryOf(list, 'gaffer').status, 'sent');
  assert.equal(deliveryOf(list, 'grip').reason, null);
  assert.ok(existsSync(path.join(tmp.dir, 'outside.eml')), 'the link\'s target is left alone');
});

test('a DSN for one recipient marks that delivery bounced with its status and diagnostic; the other stays sent', async () => {
  const name = deliver(dsn(who.gaffer.id, who.gaffer.email, {
    diagnostic: 'smtp; 550 5.1.1 <gaffer@crew.example>: Recipient address\n    rejected: User unknown\x1b[0m',
  }));
  await processed(name);
  const list = await deliveries();
  const gaffer = deliveryOf(list, 'gaffer');
  assert.equal(gaffer.status, 'bounced');
  assert.equal(gaffer.reason, '5.1.1 smtp; 550 5.1.1 <gaffer@crew.example>: Recipient address rejected: User unknown [0m');
  assert.match(gaffer.relay_answer, /^250 /, 'the relay\'s answer is kept');
  assert.equal(deliveryOf(list, 'grip').status, 'sent');
  assert.deepEqual(readdirSync(path.join(maildir, 'new')), [], 'every file read is moved out of new/');
  // a second report for the same message keeps the first
  await processed(deliver(dsn(who.gaffer.id, who.gaffer.email, { status: '5.2.2', diagnostic: 'smtp; 552 full' })));
  assert.match(deliveryOf(await deliveries(), 'gaffer').reason, /^5\.1\.1 /);
  // no address and no diagnostic in the server's log
  const log = server.lines.join('\n');
  assert.ok(!log.includes('gaffer@crew.example') && !log.includes('Recipient address'), 'no personal data in the log');
  assert.ok(server.lines.some((l) => l.includes('bounce read') && l.includes(who.gaffer.id)));
});
