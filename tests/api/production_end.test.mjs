// A production's end (issue 22, api/closing.c): archived, it is read-only for everyone — every
// write route of the production answers 409, its end's own routes excepted — while its members
// keep reading it for archive_read_days; unarchived, it takes writes again; closed (archived
// only), only its production admins and producers read it, and each of them is mailed a final
// export offer naming the day its data will be deleted; reopened within the grace, the deletion
// is off. Only leaders archive, close, reopen. The erasure itself: tests/unit/api/test_closing.c.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertProblem, initDataDir, request, runSlate, slateSql, startServer, waitFor } from './lib/harness.mjs';
import { mailedToken } from './lib/mail.mjs';
import { loadSpec } from './lib/openapi.mjs';
import { call, enrolTotp, newAccount, readyAdmin } from './lib/session.mjs';

const dd = initDataDir();
let srv, admin, producer, crew, prod, feed, sheetToken;
/** Whether the production is in the caller's GET /api/v1/productions. */
const listed = async (who) => (await call(srv, who, 'GET', '/api/v1/productions')).json.productions.some((p) => p.id === prod.id);
const P = (rest = '', id = prod.id) => `/api/v1/productions/${id}${rest}`;
/* the routes of the end itself, and a member's revoking their own feed: they answer while archived */
const END_OK = new Set(['POST /archive', 'POST /unarchive', 'POST /close', 'POST /reopen', 'DELETE /me/calendar-feed']);

async function member(email, role, dept) {
  const session = await newAccount(srv, email, `the tide turns at the harbour wall ${dept ? 7 : 3}`);
  const m = await call(srv, admin, 'POST', P('/members'), { body: dept ? { email, role, department: dept } : { email, role } });
  assert.equal(m.status, 201, m.body);
  if (role === 'producer') await enrolTotp(srv, session);
  return session;
}

async function newProduction(name) {
  const made = await call(srv, admin, 'POST', '/api/v1/productions', { body: { name, timezone: 'Europe/London' } });
  assert.equal(made.status, 201, made.body);
  return made.json;
}

/** The mails in the file outbox whose subject starts so, as text. */
function mails(subject) {
  const dir = path.join(dd.data, 'mail');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .filter((t) => t.includes(`\r\nSubject: ${subject}`));
}
const to = (m) => /\r\nTo: ([^\r\n]+)\r\n/.exec(m)[1];

before(async () => {
  srv = await startServer({ dataDir: dd });
  admin = await readyAdmin(srv);
  prod = await newProduction('Lighthouse Keeper');
  producer = await member('producer@end.example', 'producer');
  crew = await member('grip@end.example', 'crew', 'Grip');
});

after(async () => {
  await srv?.stop();
  dd.cleanup();
});

test('a crew member cannot archive, close, unarchive or reopen (403, audited); nothing changes', async () => {
  for (const step of ['archive', 'close', 'unarchive', 'reopen']) {
    const res = await call(srv, crew, 'POST', P(`/${step}`));
    assertProblem(res, 403, step);
  }
  const got = await call(srv, admin, 'GET', P());
  assert.equal(got.json.archived_at, null);
  assert.equal(slateSql(dd.data, `SELECT COUNT(*) FROM audit_event WHERE action = 'production.write' AND outcome = 'denied' AND object = '${prod.id}'`), '4');
});

test('archived, every write route of the production answers 409 and reads go on; unarchived, writes work again', async () => {
  // an invitation sent before, and the crew member's calendar feed
  const inv = await call(srv, producer, 'POST', P('/invitations'), { body: { email: 'late@end.example', role: 'crew', department: 'Grip' } });
  assert.equal(inv.status, 201, inv.body);
  const token = await mailedToken(srv, 'late@end.example');
  const f = await call(srv, crew, 'POST', P('/me/calendar-feed'));
  assert.equal(f.status, 201, f.body);
  feed = new URL(f.json.https_url).pathname;
  assert.equal((await request(srv, { path: feed })).status, 200);
  // a call sheet sent by mail with its personal link
  const sam = await call(srv, admin, 'POST', P('/people'), { body: { name: 'Sam Reed', kind: 'crew', department: 'Grip', work_email: 'sam@end.example' } });
  assert.equal(sam.status, 201, sam.body);
  const day = await call(srv, admin, 'POST', P('/days'), { body: { date: '2027-03-01', unit: 'Main', general_call: '07:00', wrap_estimate: '19:00' } });
  assert.equal(day.status, 201, day.body);
  assert.equal((await call(srv, admin, 'PUT', P(`/days/${day.json.id}/calls/${sam.json.id}`), { body: { call: '07:00' } })).status, 200);
  assert.equal((await call(srv, admin, 'POST', P(`/days/${day.json.id}/callsheets?send=true`))).status, 201);
  sheetToken = await mailedToken(srv, 'sam@end.example', 'sheet');

  const a = await call(srv, producer, 'POST', P('/archive'));
  assert.equal(a.status, 200, a.body);
  assert.match(a.json.archived_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(a.json.deletion_due, null);
  assertProblem(await call(srv, producer, 'POST', P('/archive')), 409, 'archived twice');

  // every write operation docs/openapi.yaml lists under the production (the route table's)
  const spec = loadSpec();
  const tried = [];
  for (const [template, item] of Object.entries(spec.doc.paths)) {
    if (!template.startsWith('/api/v1/productions/{id}')) continue;
    for (const method of ['post', 'put', 'patch', 'delete']) {
      if (!item[method]) continue;
      const rest = template.slice('/api/v1/productions/{id}'.length);
      if (END_OK.has(`${method.toUpperCase()} ${rest}`)) continue;
      const url = P(rest.replace(/\{[a-z]+\}/g, 'x0000000000000000'));
      const res = await call(srv, producer, method.toUpperCase(), url, { body: {} });
      assert.equal(res.status, 409, `${method.toUpperCase()} ${template}: ${res.status} ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.match(res.json.detail, /archived/);
      tried.push(`${method} ${template}`);
    }
  }
  assert.ok(tried.length >= 40, `the walk reached the production's write routes (${tried.length})`);
  // the same for the crew member: one gate, not per role; an archived production takes no new member
  assertProblem(await call(srv, crew, 'PATCH', P(), { body: { name: 'Renamed' } }), 409, 'crew write');
  const accept = await request(srv, { method: 'POST', path: '/api/v1/invitations/accept', headers: { origin: srv.origin }, body: { token, password: 'the tide turns at the harbour wall 9' } });
  assertProblem(accept, 409, 'invitation accepted while archived');
  assert.equal(slateSql(dd.data, `SELECT COUNT(*) FROM membership WHERE production_id = '${prod.id}'`), '3');
  assert.equal((await request(srv, { path: feed })).status, 200, 'the feed reads on within the reading time');
  // the call sheet's link opens within the reading time and acknowledges nothing
  assert.equal((await request(srv, { method: 'POST', path: '/api/v1/sheet-links/open', body: { token: sheetToken } })).status, 200);
  assertProblem(await request(srv, { method: 'POST', path: '/api/v1/sheet-links/ack', body: { token: sheetToken } }), 409, 'a link ack while archived');

  // reads keep working, for the leaders and for a member
  for (const who of [admin, producer, crew]) {
    const r = await call(srv, who, 'GET', P());
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.archived_at, a.json.archived_at);
    assert.equal((await call(srv, who, 'GET', P('/departments'))).status, 200);
  }
  assert.equal((await call(srv, crew, 'GET', P('/days'))).status, 200);

  const u = await call(srv, admin, 'POST', P('/unarchive'));
  assert.equal(u.status, 200, u.body);
  assert.equal(u.json.archived_at, null);
  const renamed = await call(srv, producer, 'PATCH', P(), { body: { name: 'Lighthouse Keeper II' } });
  assert.equal(renamed.status, 200, renamed.body);
  assertProblem(await call(srv, producer, 'POST', P('/unarchive')), 409, 'not archived');
  assert.equal(slateSql(dd.data, `SELECT group_concat(action, ',') FROM (SELECT action FROM audit_event WHERE object = '${prod.id}' AND action IN ('production.archive', 'production.unarchive') AND outcome = 'success' ORDER BY seq)`),
    'production.archive,production.unarchive');
});

test('closing needs an archived production; closed, only leaders read it, each leader is mailed the deletion date; reopened within the grace', async () => {
  assertProblem(await call(srv, producer, 'POST', P('/close')), 409, 'close an open production');
  assert.equal((await call(srv, producer, 'POST', P('/archive'))).status, 200);
  const before = Date.now();
  const c = await call(srv, producer, 'POST', P('/close'));
  assert.equal(c.status, 200, c.body);
  const due = Date.parse(c.json.deletion_due);
  // production_close_grace_days: 30 by default
  assert.ok(Math.abs(due - before - 30 * 86400_000) < 120_000, `deletion due in 30 days: ${c.json.deletion_due}`);
  assert.ok(c.json.closed_at);
  assertProblem(await call(srv, producer, 'POST', P('/unarchive')), 409, 'unarchive a closed production');
  assertProblem(await call(srv, producer, 'POST', P('/close')), 409, 'closed twice');

  // the final export offer: to the production admin and the producer, not to the crew member
  const subject = `Slate: Lighthouse Keeper II will be deleted on ${c.json.deletion_due.slice(0, 10)}`;
  const sent = await waitFor(() => { const m = mails(subject); return m.length >= 2 ? m : null; }, { timeout: 60_000, what: 'two export offers' });
  assert.deepEqual(sent.map(to).sort(), ['admin@localhost', 'producer@end.example']);
  for (const m of sent) {
    assert.ok(m.includes(c.json.deletion_due), 'the mail names the deletion time');
    assert.ok(m.includes(`/api/v1/productions/${prod.id}/export`), 'the mail says where the final export is');
  }

  // closed: the crew member reads nothing any more; the leaders read and export
  assertProblem(await call(srv, crew, 'GET', P()), 403, 'crew read of a closed production');
  assertProblem(await call(srv, crew, 'GET', P('/days')), 403, 'crew read of a closed production');
  assert.deepEqual([await listed(crew), await listed(producer)], [false, true], 'listed to its leaders only');
  assert.equal((await call(srv, producer, 'GET', P())).json.deletion_due, c.json.deletion_due);
  const exp = await call(srv, producer, 'GET', P('/export'));
  assert.equal(exp.status, 200, exp.body.slice(0, 300));
  assertProblem(await call(srv, producer, 'POST', P('/departments'), { body: { name: 'Drones' } }), 409, 'closed write');

  // reopened: archived again, readable by its members, the deletion off
  assertProblem(await call(srv, crew, 'POST', P('/reopen')), 403, 'crew reopen');
  const r = await call(srv, admin, 'POST', P('/reopen'));
  assert.equal(r.status, 200, r.body);
  assert.deepEqual([r.json.closed_at, r.json.deletion_due], [null, null]);
  assert.ok(r.json.archived_at);
  assert.equal((await call(srv, crew, 'GET', P())).status, 200);
  assert.equal(await listed(crew), true);
  assertProblem(await call(srv, admin, 'POST', P('/reopen')), 409, 'reopen twice');
  assert.equal(slateSql(dd.data, `SELECT COUNT(*) FROM production WHERE id = '${prod.id}' AND deletion_due IS NULL AND archived_at IS NOT NULL`), '1');
  assert.equal(slateSql(dd.data, `SELECT group_concat(actor IS NOT NULL, ',') FROM audit_event WHERE object = '${prod.id}' AND action IN ('production.close', 'production.reopen') AND outcome = 'success'`), '1,1');
});

test('with archive_read_days 0 members stop reading at once; with grace 0 the deletion is due at once and cannot be reopened', async () => {
  await srv.stop();
  srv = await startServer({ dataDir: dd, env: { SLATE_ARCHIVE_READ_DAYS: '0', SLATE_PRODUCTION_CLOSE_GRACE_DAYS: '0' } });
  // the production archived above: its reading time for members is over, not for leaders
  assertProblem(await call(srv, crew, 'GET', P()), 403, 'crew read after the reading time');
  assert.deepEqual([await listed(crew), await listed(producer)], [false, true], 'listed to its leaders only');
  assertProblem(await request(srv, { path: feed }), 404, 'the crew member\'s feed after the reading time');
  assertProblem(await request(srv, { method: 'POST', path: '/api/v1/sheet-links/open', body: { token: sheetToken } }), 403, 'a call sheet link after the reading time');
  assert.equal((await call(srv, producer, 'GET', P('/days'))).status, 200);

  const c = await call(srv, producer, 'POST', P('/close'));
  assert.equal(c.status, 200, c.body);
  assert.ok(Math.abs(Date.parse(c.json.deletion_due) - Date.parse(c.json.closed_at)) < 1000, 'due at once');
  assertProblem(await call(srv, producer, 'POST', P('/reopen')), 409, 'reopen after the grace');
  assert.equal(slateSql(dd.data, `SELECT COUNT(*) FROM production WHERE id = '${prod.id}' AND deletion_due <= strftime('%s', 'now')`), '1');
});

test('the deletion job erases a closed production once its grace is over: slate purge says so, its audit stays, the deletion log names it, and a restore from before replays it', async () => {
  // the production closed above with grace 0 is due; a snapshot first (the copy a backup holds)
  const dest = path.join(dd.root, 'dest');
  const key = path.join(dd.data, 'master.key');
  const snap = runSlate(['backup', 'now', '--data', dd.data], { env: { SLATE_BACKUP_DIR: dest }, timeout: 120_000 });
  assert.equal(snap.code, 0, snap.stderr);
  const before = /^Snapshot (\S+) written/.exec(snap.stdout)[1];
  const people = slateSql(dd.data, `SELECT id FROM person WHERE production_id = '${prod.id}' ORDER BY id`).split('\n').filter(Boolean);

  let r = runSlate(['purge', '--data', dd.data, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Would delete 0 account\(s\) and 0 person record\(s\) linked to them, and 1 closed production\(s\)/);
  assert.equal(slateSql(dd.data, `SELECT COUNT(*) FROM production WHERE id = '${prod.id}'`), '1', 'a dry run changes nothing');
  r = runSlate(['purge', '--data', dd.data], { env: { SLATE_BACKUP_DIR: dest } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /and 1 closed production\(s\) \(\d+ key\(s\)/);
  assertProblem(await call(srv, producer, 'GET', P()), 404, 'the production is gone');
  assert.equal(slateSql(dd.data, `SELECT COUNT(*) FROM audit_event WHERE action = 'production.erase' AND object = '${prod.id}' AND actor = 'slate'`), '1');
  const log = fs.readFileSync(path.join(dd.data, 'deletions.log'), 'utf8');
  assert.match(log, new RegExp(`^1 \\d+ production ${prod.id} ${people.length ? people.join(',') : '-'} [0-9a-f]{64}$`, 'm'));
  assert.equal(fs.readFileSync(path.join(dest, 'deletions.log'), 'utf8'), log, 'its copy at the destination');

  // the snapshot from before still holds the production; restored, the log erases it again
  const to = path.join(dd.root, 'restored');
  r = runSlate(['restore', '--from', dest, '--to', to, '--key-file', key, '--snapshot', before], { timeout: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`production ${prod.id} was deleted on line \\d+ of deletions.log and was here again`));
  const inRestored = runSlate(['sql', `SELECT COUNT(*) FROM production WHERE id = '${prod.id}'`, '--data', to, '--key-file', key]);
  assert.equal(inRestored.stdout.trim(), '0', inRestored.stderr);
});

test('the same steps from the shell: slate production archive, close (the leaders mailed), reopen, unarchive; bad input is one line and a non-zero exit', async () => {
  const other = await newProduction('Second Unit');
  const slate = (...args) => runSlate(['production', ...args, '--data', dd.data]);
  let r = slate('archive', '--id', other.id);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Second Unit: archived \d{4}-\d\d-\d\dT[\d:]+Z, closed -, deletion due -$/m);
  assertProblem(await call(srv, admin, 'POST', P('/locations', other.id), { body: { name: 'Quay' } }), 409, 'a write to the archived production');
  r = slate('archive', '--id', other.id);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the production is archived already/);
  r = slate('close', '--id', other.id);
  assert.equal(r.code, 0, r.stderr);
  const due = /deletion due (\S+)$/m.exec(r.stdout)[1];
  assert.ok(Date.parse(due) > Date.now(), `due later: ${due}`);
  await waitFor(() => mails(`Slate: Second Unit will be deleted on ${due.slice(0, 10)}`).length > 0, { timeout: 20_000, what: 'the final export offer' });
  assert.equal(slate('reopen', '--id', other.id).code, 0);
  r = slate('unarchive', '--id', other.id);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /archived -, closed -, deletion due -$/m);
  const events = slateSql(dd.data, `SELECT action || ' ' || actor FROM audit_event WHERE object = '${other.id}' AND action LIKE 'production.%' AND action <> 'production.create' ORDER BY seq`);
  assert.match(events, /^production\.archive cli:\S+\nproduction\.close cli:\S+\nproduction\.reopen cli:\S+\nproduction\.unarchive cli:\S+$/);

  r = slate('archive', '--id', 'prd_q7k2m4n6p3r5s7t2v4w6x3y5z2');
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /there is no production with that id/);
  r = slate('archive');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /archive needs --id/);
  r = runSlate(['production', 'shred', '--data', dd.data]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /say archive, unarchive, close or reopen/);
});
