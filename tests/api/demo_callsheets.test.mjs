// The demo production (`slate init` in development) comes with the call
// sheets of its first two shoot days published by the demo admin, so the
// browser's call-sheet page has something to show right after `make run`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';

let server;
let admin;
before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
});
after(async () => { await server?.stop(); });

test('after slate init, days 1 and 2 of the demo have a published call sheet, and day 3 none', async () => {
  const prod = (await call(server, admin, 'GET', '/api/v1/productions')).json.productions.find((p) => p.name === 'Northern Lights (demo)');
  assert.ok(prod, 'the demo production');
  const P = (rest) => `/api/v1/productions/${prod.id}${rest}`;
  const days = (await call(server, admin, 'GET', P('/days'))).json.days.sort((a, b) => a.date.localeCompare(b.date));
  const versions = [];
  for (const d of days.slice(0, 3)) versions.push((await call(server, admin, 'GET', P(`/days/${d.id}/callsheets`))).json.callsheets.map((c) => c.version));
  assert.deepEqual(versions, [[1], [1], []]);
  const [v1] = (await call(server, admin, 'GET', P(`/days/${days[0].id}/callsheets`))).json.callsheets;
  const sheet = (await call(server, admin, 'GET', P(`/callsheets/${v1.id}`))).json.sheet;
  assert.deepEqual([sheet.date, sheet.day, sheet.production.name], [days[0].date, 1, 'Northern Lights (demo)']);
  assert.ok(sheet.calls.length > 60, 'everyone called that day');
});
