// Automatic reminders (issue 20): a production's remind_hours_before has
// whoever has not acknowledged the latest version of a shoot day reminded
// that many hours before general call, once per version, by the server
// alone (api/reminders.c). The server here looks every second
// (SLATE_REMIND_CHECK_INTERVAL) and may remind at once after publishing
// (SLATE_REMIND_MIN_GAP=0; the default hour is arithmetic, unit-tested in
// tests/unit/api/test_reminders.c).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem, slateSql, waitFor } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';
import { mailedToken } from './lib/mail.mjs';

let server;
let admin;
let prod;
const people = {};
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const ok = (r, status = 200) => {
  assert.equal(r.status, status, r.body);
  return r.json;
};
const api = async (method, path, body, status = 200) => ok(await call(server, admin, method, path, body === undefined ? {} : { body }), status);

/** Today's date (UTC) and general call `minutes` from now as HH:MM, past 24:00 after midnight. */
function callIn(minutes) {
  const now = new Date();
  let midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let m = Math.floor((now.getTime() + minutes * 60_000 - midnight) / 60_000);
  if (m < 0) { /* just after midnight: the day before, its call past 24:00 */
    midnight -= 86_400_000;
    m += 1440;
  }
  return { date: new Date(midnight).toISOString().slice(0, 10), general_call: `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}` };
}
const deliveries = async (cid) => (await api('GET', P(`/callsheets/${cid}/deliveries`))).deliveries;
const reminders = async (cid) => (await deliveries(cid)).filter((d) => d.kind === 'reminder');
const autoEvents = (cid) => Number(slateSql(server.data, `SELECT COUNT(*) FROM audit_event WHERE action = 'callsheet.remind_auto' AND object = '${cid}'`));

/** A day `minutes` from now with everyone called, published (and sent when asked). */
async function publishedDay(unit, minutes, send) {
  const when = callIn(minutes);
  const day = await api('POST', P('/days'), { ...when, unit, wrap_estimate: '35:00' }, 201);
  for (const p of Object.values(people)) await api('PUT', P(`/days/${day.id}/calls/${p.id}`), { call: when.general_call });
  return api('POST', P(`/days/${day.id}/callsheets${send ? '?send=true' : ''}`), undefined, 201);
}

before(async () => {
  server = await startServer({ env: { SLATE_REMIND_CHECK_INTERVAL: '1', SLATE_REMIND_MIN_GAP: '0' } });
  admin = await readyAdmin(server);
  prod = await api('POST', '/api/v1/productions', { name: 'Reminder Pictures', timezone: 'UTC' }, 201);
  for (const key of ['ana', 'ben']) {
    people[key] = await api('POST', P('/people'), { name: `Person ${key}`, kind: 'crew', department: 'Camera', work_email: `${key}@remind.example` }, 201);
  }
});
after(async () => { await server?.stop(); });

test('remind_hours_before is 0 to 72 hours, shown with the production, changed by producers and admins only, audited', async () => {
  assert.equal((await api('GET', P())).remind_hours_before, 0, 'off by default');
  for (const bad of [73, -1, '3', 2.5, true]) {
    assertProblem(await call(server, admin, 'PATCH', P(), { body: { remind_hours_before: bad } }), 400, `remind_hours_before ${JSON.stringify(bad)}`);
  }
  const crewSession = await newAccount(server, 'crew@remind.example', 'a long passphrase for the reminder test');
  await api('POST', P('/members'), { email: 'crew@remind.example', role: 'crew', department: 'Camera' }, 201);
  assertProblem(await call(server, crewSession, 'PATCH', P(), { body: { remind_hours_before: 3 } }), 403);
  assert.equal((await api('PATCH', P(), { remind_hours_before: 0 })).remind_hours_before, 0);
  assert.ok(Number(slateSql(server.data, `SELECT COUNT(*) FROM audit_event WHERE action = 'production.remind_hours' AND production_id = '${prod.id}'`)) >= 1);
});

test('due: whoever has not acknowledged is reminded once, with a fresh link; whoever has, is not', async () => {
  const v = await publishedDay('Reminded', 120, true); // general call in two hours; mail sent at publishing
  // ana acknowledges through the link in her mail; ben does not
  const token = await mailedToken(server, 'ana@remind.example', 'sheet');
  assert.equal((await request(server, { method: 'POST', path: '/api/v1/sheet-links/ack', body: { token } })).status, 204);
  assert.equal((await reminders(v.id)).length, 0, 'nothing before the reminder is set');
  await api('PATCH', P(), { remind_hours_before: 3 }); // due since an hour ago: at the next look
  await waitFor(async () => (await reminders(v.id)).length > 0, { what: 'the automatic reminder' });
  const sent = await reminders(v.id);
  assert.deepEqual(sent.map((d) => d.person_id), [people.ben.id], 'only the one who has not acknowledged');
  assert.equal(autoEvents(v.id), 1);
  // a few more looks: never again for this version
  const looks = Number(slateSql(server.data, 'SELECT COUNT(*) FROM outbox'));
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal((await reminders(v.id)).length, 1, 'reminded once');
  assert.equal(autoEvents(v.id), 1);
  assert.equal(Number(slateSql(server.data, 'SELECT COUNT(*) FROM outbox')), looks);
  // the reminder's link opens the version for ben
  const bens = await mailedToken(server, 'ben@remind.example', 'sheet');
  const opened = await request(server, { method: 'POST', path: '/api/v1/sheet-links/open', body: { token: bens } });
  assert.equal(opened.status, 200, opened.body);
  assert.equal(opened.json.callsheet.id, v.id);
  // the link's token is no credential anywhere else: not as an API token, not as a session cookie
  for (const headers of [{ authorization: `Bearer ${bens}` }, { cookie: `__Host-slate_session=${bens}` }]) {
    const other = await request(server, { path: P(`/callsheets/${v.id}`), headers });
    assert.equal(other.status, 401, `${Object.keys(headers)[0]}: ${other.body}`);
  }
});

test('not yet due, long past general call, or a cancelled day: nobody is reminded', async () => {
  // all three published and the day cancelled before reminders are turned on: the server looks
  // every second, and a reminder due at once could otherwise go out between the publishing of
  // the day and its cancelling (seen under ASan)
  await api('PATCH', P(), { remind_hours_before: 0 });
  const later = await publishedDay('Later', 150, false); // due in 90 minutes
  const past = await publishedDay('Past', -30, false); // general call half an hour ago
  const cancelled = await publishedDay('Off', 20, false);
  await api('POST', P(`/days/${cancelled.day_id}/cancel`));
  await api('PATCH', P(), { remind_hours_before: 1 });
  // the past one is dealt with (marked) without a message; wait for that, then a few more looks
  await waitFor(() => slateSql(server.data, `SELECT auto_reminded_at IS NOT NULL FROM callsheet WHERE id = '${past.id}'`).trim() === '1', { what: 'the past version dealt with' });
  await new Promise((r) => setTimeout(r, 2500));
  for (const v of [later, past, cancelled]) {
    assert.equal((await reminders(v.id)).length, 0, `no reminder for ${v.id}`);
    assert.equal(autoEvents(v.id), 0);
  }
  assert.equal(slateSql(server.data, `SELECT auto_reminded_at IS NULL FROM callsheet WHERE id = '${later.id}'`).trim(), '1', 'still waiting for its time');
});

test('a newer version has a reminder of its own', async () => {
  await api('PATCH', P(), { remind_hours_before: 0 });
  const v1 = await publishedDay('Again', 60, false);
  const v2 = await api('POST', P(`/days/${v1.day_id}/callsheets`), undefined, 201);
  await api('PATCH', P(), { remind_hours_before: 2 });
  await waitFor(async () => (await reminders(v2.id)).length === 2, { what: 'the newer version\'s reminders' });
  assert.equal((await reminders(v1.id)).length, 0, 'the superseded version is not reminded');
  assert.equal(autoEvents(v2.id), 1);
});
