// Subprocessors (issue 22): the instance's list (subprocessors_file) is shown at
// GET /api/v1/subprocessors and on /security-policy, and every entry not announced yet is mailed,
// when `slate serve` starts, to each live production admin and producer once — never to anyone
// else — and takes effect no sooner than subprocessor_notice_days (15) after that; the notice is
// recorded and audited, not sent again at the next start, sent again for a changed entry; a file
// that does not read stops the start with one line naming the entry and member.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { initDataDir, request, runSlate, slateSql, startServer, waitFor } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

const dd = initDataDir();
after(() => dd.cleanup());
const file = path.join(dd.root, 'subprocessors.json');
const env = { SLATE_SUBPROCESSORS_FILE: file };
const day = (plus) => new Date(Date.now() + plus * 86400_000).toISOString().slice(0, 10);
const relay = { name: 'Northwind Mail', purpose: 'delivering call sheets and invitations', location: 'Amsterdam, Netherlands', data_categories: ['email addresses', 'call sheets'], since: '2020-01-01' };
const store = { name: 'Harbour Objects', purpose: 'encrypted backups', location: 'Frankfurt, Germany', data_categories: ['encrypted database pages'], since: day(40) };
const mails = () => {
  const dir = path.join(dd.data, 'mail');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .filter((t) => /^Subject: Slate: a new subprocessor/m.test(t));
};
const to = (m) => /\r\nTo: ([^\r\n]+)\r\n/.exec(m)[1];
/** The announcements once the outbox has delivered n of them (it sends beside the server). */
const delivered = (n) => waitFor(() => { const m = mails(); return m.length >= n ? m : null; }, { timeout: 60_000, what: `${n} announcements delivered` });
const announced = () => slateSql(dd.data, "SELECT COUNT(*) FROM audit_event WHERE action = 'subprocessor.announce' AND actor = 'slate'");

test('announced once to each production admin and producer, effective after the notice, shown and audited; a change is announced again', async () => {
  fs.writeFileSync(file, JSON.stringify([relay]));
  // the people: the first administrator (production admin of two), a producer, a crew member
  let srv = await startServer({ dataDir: dd, env });
  try {
    const admin = await readyAdmin(srv);
    for (const name of ['Lighthouse', 'Harbour']) {
      const p = (await call(srv, admin, 'POST', '/api/v1/productions', { body: { name, timezone: 'Europe/London' } })).json;
      const email = name === 'Lighthouse' ? 'producer@sub.example' : 'crew@sub.example';
      await newAccount(srv, email, 'a long passphrase for the subprocessor test');
      const m = await call(srv, admin, 'POST', `/api/v1/productions/${p.id}/members`, { body: name === 'Lighthouse' ? { email, role: 'producer' } : { email, role: 'crew', department: 'Grip' } });
      assert.equal(m.status, 201, m.body);
    }
    await delivered(1); // the relay's announcement, before this server stops
  } finally {
    await srv.stop();
  }
  // the relay was announced at that start to the one leader then: the administrator of the demo
  const first = JSON.parse(slateSql(dd.data, 'SELECT name, announced_on, effective_on, recipients FROM subprocessor_notice', { json: true }));
  assert.deepEqual(first.map((n) => [n.name, n.announced_on, n.effective_on, n.recipients]), [[relay.name, day(0), day(15), 1]]);
  assert.deepEqual((await delivered(1)).map(to), ['admin@localhost']);

  // the backup store is added: announced now to the two leaders, not to the crew member
  fs.writeFileSync(file, JSON.stringify([relay, store]));
  srv = await startServer({ dataDir: dd, env });
  try {
    let m = (await delivered(3)).filter((t) => t.includes('Harbour Objects'));
    assert.deepEqual(m.map(to).sort(), ['admin@localhost', 'producer@sub.example']);
    for (const text of m) {
      assert.match(text, new RegExp(`Subject: Slate: a new subprocessor from ${store.since}: Harbour Objects`));
      assert.match(text, /Purpose: encrypted backups\r?\nLocation: Frankfurt, Germany\r?\nData it handles: encrypted database pages/);
    }
    const list = await request(srv, { path: '/api/v1/subprocessors' });
    assert.equal(list.status, 200, list.body);
    assert.equal(list.json.notice_days, 15);
    assert.deepEqual(list.json.subprocessors.map((s) => [s.name, s.announced_on, s.effective_on, s.in_effect]),
      [[relay.name, day(0), day(15), false], [store.name, day(0), store.since, false]]);
    assert.deepEqual(list.json.subprocessors[1].data_categories, store.data_categories);
    const policy = await request(srv, { path: '/security-policy' });
    assert.match(policy.body, /## Subprocessors of this instance/);
    assert.match(policy.body, new RegExp(`\\*\\*Harbour Objects\\*\\* \\(encrypted backups\\), Frankfurt, Germany; handles: encrypted database pages; effective from ${store.since} \\(announced ${day(0)}\\)\\.`));
    assert.equal(announced(), '2');

    // a restart announces nothing again
    await srv.stop();
    srv = await startServer({ dataDir: dd, env });
    assert.equal(announced(), '2', 'nothing announced again');

    // a changed entry is a new version: announced again, effective after a fresh notice
    await srv.stop();
    fs.writeFileSync(file, JSON.stringify([{ ...relay, location: 'Dublin, Ireland' }, store]));
    srv = await startServer({ dataDir: dd, env });
    m = await delivered(5);
    assert.equal(m.length, 5);
    assert.equal(announced(), '3');
    assert.deepEqual(m.filter((t) => /Location: Dublin, Ireland/.test(t)).map(to).sort(), ['admin@localhost', 'producer@sub.example']);
  } finally {
    await srv.stop();
  }
});

test('a subprocessor file that does not read stops the start, naming the entry and the member', () => {
  for (const [content, why] of [
    [JSON.stringify([relay, { ...store, since: undefined }]), /entry 2: "since" is missing or not a string/],
    [JSON.stringify([{ ...relay, since: '2027-02-30' }]), /entry 1: "since" must be a date/],
    [JSON.stringify([{ ...relay, data_categories: [] }]), /entry 1: "data_categories" must be a list of 1 to 50/],
    [JSON.stringify([{ ...relay, extra: 1 }]), /entry 1: unknown member "extra"/],
    [JSON.stringify([relay, relay]), /entries 1 and 2 have the same name/],
    [JSON.stringify([{ ...relay, name: 'a\nb' }]), /entry 1: "name" must be 1 to 200 bytes of printable text/],
    ['{"not": "a list"}', /must be a JSON list/],
    ['[', /is not JSON/],
  ]) {
    fs.writeFileSync(file, content);
    const r = runSlate(['serve', '--data', dd.data, '--listen', '127.0.0.1:0'], { env, timeout: 30_000 });
    assert.equal(r.code, 1, `${content}: ${r.stderr}`);
    assert.match(r.stderr, /^slate: serve: /);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const r = runSlate(['serve', '--data', dd.data, '--listen', '127.0.0.1:0'], { env: { SLATE_SUBPROCESSORS_FILE: path.join(dd.root, 'missing.json') }, timeout: 30_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing\.json is not a readable file/);
});
