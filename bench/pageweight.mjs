#!/usr/bin/env node
// bench/pageweight.mjs — what "my call sheet" costs a crew member's phone.
//
//   node bench/pageweight.mjs [--markdown]
//
// Starts a fresh Slate with its demo production (through the browser tests'
// helpers), makes a crew member with a call on a published day, and loads
// /callsheet in Debian's Chromium through a loopback proxy that both counts
// the bytes on the wire (TLS records included, both directions) and shapes
// the link like a slow 3G connection: 400 ms round trip (200 ms each way),
// 400 kbit/s down and up (Chrome DevTools' "Slow 3G" profile). The shaping
// is done in the proxy, not by Chromium's per-page emulation, because that
// emulation does not reach a service worker's own fetches, and the warm
// load goes through the worker.
//
// Reports, for a cold load (empty cache, no worker) and a warm one (the
// worker installed): bytes sent by the server, requests seen by the
// server, and the time from navigation to the call time being shown.
// Targets (issue 18): cold under 60 KB, under 2 s to the call time on
// slow 3G, and a warm load that transfers only the person's own JSON.
import net from 'node:net';
import { chromium } from '@playwright/test';
import { startSlate } from '../tests/web/lib/slate.mjs';
import { mailedToken } from '../tests/api/lib/mail.mjs';
import { request } from '../tests/api/lib/harness.mjs';

const ONE_WAY_MS = 200;
const BYTES_PER_SEC = (400 * 1000) / 8;
const markdown = process.argv.includes('--markdown');

/* A TCP proxy that delays and paces each direction and counts its bytes. */
function shapedProxy(targetPort) {
  const stats = { down: 0, up: 0 };
  /* when the one simulated link is next free, per direction: every connection shares it */
  const free = { down: 0, up: 0 };
  const pipe = (from, to, dir) => {
    let last = 0; /* this connection's last delivery: bytes stay in order */
    from.on('data', (chunk) => {
      stats[dir] += chunk.length;
      const now = Date.now();
      free[dir] = Math.max(free[dir], now) + (chunk.length / BYTES_PER_SEC) * 1000;
      last = Math.max(last, free[dir] + ONE_WAY_MS);
      setTimeout(() => { if (!to.destroyed) to.write(chunk); }, last - now);
    });
    from.on('end', () => setTimeout(() => to.end(), Math.max(0, last - Date.now())));
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  return { server, stats };
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  const proxyPort = await freePort();
  const slate = await startSlate({ publicPort: proxyPort });
  const { server: proxy, stats } = shapedProxy(slate.server.port);
  await new Promise((r) => proxy.listen(proxyPort, '127.0.0.1', r));

  // a crew member with a call on day 1, published
  const email = 'bench.crew@example.org';
  const password = 'a long night at the lighthouse set';
  await slate.api('POST', `${slate.base}/invitations`, { email, role: 'crew' });
  const token = await mailedToken(slate.server, email);
  const acc = await request(slate.server, { method: 'POST', path: '/api/v1/invitations/accept', headers: { origin: slate.origin }, body: { token, display_name: 'Bench Crew', password } });
  if (acc.status !== 201) throw new Error(`accept: ${acc.status} ${acc.body}`);
  const dept = (await slate.api('GET', `${slate.base}/departments`)).departments[0].name;
  const person = await slate.api('POST', `${slate.base}/people`, { name: 'Bench Crew', kind: 'crew', department: dept, account_email: email });
  const day = (await slate.api('GET', `${slate.base}/days`)).days[0];
  await slate.api('PUT', `${slate.base}/days/${day.id}/calls/${person.id}`, { call: '06:30', pickup: '05:45' });
  await slate.api('POST', `${slate.base}/days/${day.id}/callsheets`, {});

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium', args: ['--ignore-certificate-errors'] });
  const opts = { ignoreHTTPSErrors: true, baseURL: slate.origin, viewport: { width: 390, height: 844 }, locale: 'en-GB' };
  // sign in once (not measured); the cold load starts from its cookie alone
  const first = await browser.newContext(opts);
  const signIn = await first.newPage();
  await signIn.goto('/sign-in');
  await signIn.getByLabel('Email').fill(email);
  await signIn.getByLabel('Password', { exact: true }).fill(password);
  await signIn.getByRole('button', { name: 'Sign in' }).click();
  await signIn.locator('.calltime').first().waitFor();
  const { cookies } = await first.storageState();
  await first.close();

  const context = await browser.newContext({ ...opts, storageState: { cookies, origins: [] } });
  const measure = async (what) => {
    const page = await context.newPage();
    const from = slate.server.logs.length;
    stats.down = 0;
    stats.up = 0;
    const t0 = Date.now();
    await page.goto('/callsheet');
    await page.locator('.calltime').first().waitFor();
    const ms = Date.now() - t0;
    const down = stats.down;
    const routes = slate.server.logs.slice(from).filter((l) => l.msg === 'request').map((l) => `${l.method} ${l.route}`);
    return { what, ms, down, up: stats.up, routes, page };
  };
  const cold = await measure('cold');
  // let the worker install and take the page, then load again
  await cold.page.evaluate(() => navigator.serviceWorker.ready);
  await cold.page.reload();
  await cold.page.waitForFunction(() => !!navigator.serviceWorker.controller);
  await cold.page.waitForLoadState('networkidle');
  await cold.page.close();
  const warm = await measure('warm');
  await warm.page.close();
  await browser.close();
  await slate.server.stop();
  proxy.close();

  const kb = (n) => (n / 1024).toFixed(1);
  const counted = (routes) => {
    const n = new Map();
    for (const r of routes) n.set(r, (n.get(r) || 0) + 1);
    return [...n].map(([r, k]) => (k > 1 ? `${r} ×${k}` : r));
  };
  cold.routes = counted(cold.routes);
  warm.routes = counted(warm.routes);
  const rows = [cold, warm].map((r) => `| ${r.what} | ${kb(r.down)} KB | ${kb(r.up)} KB | ${r.ms} ms | ${r.routes.join(', ')} |`);
  const verdict = [
    `cold load ${kb(cold.down)} KB (target < 60 KB): ${cold.down < 60 * 1024 ? 'met' : 'NOT met'}`,
    `time to the call time on slow 3G, cold ${cold.ms} ms (target < 2000 ms): ${cold.ms < 2000 ? 'met' : 'NOT met'}`,
    `warm load asks the server for: ${warm.routes.join(', ') || 'nothing'}`,
  ];
  const table = ['| load | server → browser | browser → server | to the call time | requests the server answered |', '|---|---|---|---|---|', ...rows];
  if (markdown) {
    console.log(`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — page weight of "my call sheet" (bench/pageweight.mjs)\n`);
    console.log(`Slow 3G through a shaping proxy: ${ONE_WAY_MS * 2} ms round trip, ${(BYTES_PER_SEC * 8) / 1000} kbit/s each way; bytes are TLS bytes on the wire.\n`);
  }
  console.log(table.join('\n'));
  console.log('');
  for (const v of verdict) console.log(markdown ? `- ${v}` : v);
}

main().catch((e) => { console.error(e); process.exit(1); });
