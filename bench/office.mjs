#!/usr/bin/env node
// bench/office.mjs — how long the production office takes to draw its two
// largest screens once their data has arrived (issue 19's target: under
// 300 ms each, in Debian's Chromium):
//
//   the people directory of a 600-person production   /office/{id}/people
//   the calls grid of a day with 120 people called    /office/{id}/days/{did}
//
//   node bench/office.mjs [--markdown]
//
// Starts a fresh Slate with its demo production (through the browser tests'
// helpers), adds people through the crew list import until there are 600,
// calls 120 of them on a new day, and signs a producer in. The page is timed
// from inside: the moment the last API answer the screen waits for has been
// read (a wrapper around fetch records when its JSON is parsed) to the
// moment the screen's table holds every row (a MutationObserver), best and
// median of five loads. Network time is left out on purpose: the target is
// the app's own drawing, not the link.
import { chromium } from '@playwright/test';
import { startSlate } from '../tests/web/lib/slate.mjs';
import { newAccount, enrolTotp } from '../tests/api/lib/session.mjs';
import { request } from '../tests/api/lib/harness.mjs';

const markdown = process.argv.includes('--markdown');
const PEOPLE = 600;
const CALLED = 120;
const RUNS = 5;
const PASSWORD = 'a bench that sits by the harbour wall';

const slate = await startSlate();
const { api, base } = slate;

/* people, through the import (one request, one transaction) */
const have = (await api('GET', `${base}/people?limit=500&offset=0`)).people.length
  + (await api('GET', `${base}/people?limit=500&offset=500`)).people.length;
const departments = (await api('GET', `${base}/departments`)).departments.map((d) => d.name).filter((n) => n !== 'Cast');
const rows = ['name,kind,department,job_title,work_email,work_phone'];
for (let i = have; i < PEOPLE; i++) {
  rows.push(`Bench Person ${i},crew,${departments[i % departments.length]},Assistant,bench${i}@example.org,+44 191 496 ${String(1000 + i).slice(-4)}`);
}
const imported = await request(slate.server, {
  method: 'POST', path: `${base}/people/import?dry_run=false`,
  headers: { cookie: slate.admin.cookie, origin: slate.server.origin, 'x-csrf-token': slate.admin.csrf, 'content-type': 'text/csv' },
  body: `${rows.join('\n')}\n`,
});
if (imported.status !== 201) throw new Error(`import: ${imported.status} ${imported.body}`);

/* a day with 120 people called */
const day = await api('POST', `${base}/days`, { date: '2027-06-01', general_call: '07:00', wrap_estimate: '19:00' });
const everyone = [...(await api('GET', `${base}/people?limit=500&offset=0`)).people, ...(await api('GET', `${base}/people?limit=500&offset=500`)).people];
for (const p of everyone.filter((x) => x.kind === 'crew').slice(0, CALLED)) {
  await api('PUT', `${base}/days/${day.id}/calls/${p.id}`, { call: '06:30' });
}

/* a producer, signed in through the page */
const email = 'bench.producer@example.org';
const session = await newAccount(slate.server, email, PASSWORD);
const mfa = await enrolTotp(slate.server, session);
await api('POST', `${base}/members`, { email, role: 'producer' });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium', args: ['--ignore-certificate-errors'] });
const context = await browser.newContext({ baseURL: slate.origin, ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
await page.goto('/sign-in');
await page.getByLabel('Email').fill(email);
await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByLabel('Code from your authenticator app, or a recovery code').fill(mfa.recoveryCodes[0]);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForURL(/\/callsheet$/);

/* the stopwatch, in the page: the last awaited JSON parsed → the table complete */
async function time(path, selector, want, waitFor) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await context.newPage();
    await p.addInitScript(({ selector: sel, want: n, waitFor: w }) => {
      window.__bench = { dataAt: 0, drawnAt: 0 };
      const fetch0 = window.fetch;
      window.fetch = async (...args) => {
        const res = await fetch0(...args);
        if (!w.some((x) => String(args[0]).includes(x))) return res;
        const json = res.json.bind(res);
        res.json = async () => {
          const v = await json();
          window.__bench.dataAt = performance.now();
          return v;
        };
        return res;
      };
      new MutationObserver(() => {
        if (!window.__bench.drawnAt && document.querySelectorAll(sel).length >= n) window.__bench.drawnAt = performance.now();
      }).observe(document, { childList: true, subtree: true });
    }, { selector, want, waitFor });
    await p.goto(path);
    await p.waitForFunction(() => window.__bench && window.__bench.drawnAt > 0, null, { timeout: 60_000 });
    const b = await p.evaluate(() => window.__bench);
    times.push(b.drawnAt - b.dataAt);
    await p.close();
  }
  times.sort((a, b) => a - b);
  return { best: times[0], median: times[Math.floor(times.length / 2)] };
}

const office = `/office/${slate.prod.id}`;
const directory = await time(`${office}/people`, 'table.people tbody tr', PEOPLE, ['/people']);
const grid = await time(`${office}/days/${day.id}`, 'table.grid.calls:not(.deptcalls) input[type=checkbox]:checked', CALLED, ['/people', '/calls', '/days/', '/departments', '/locations', '/scenes']);

await browser.close();
await slate.server.stop();

const fmt = (x) => `${x.toFixed(0)} ms`;
if (markdown) {
  console.log('| screen | rows | drawn after the data (best) | (median of 5) | target |');
  console.log('|---|---|---|---|---|');
  console.log(`| people directory | ${PEOPLE} | ${fmt(directory.best)} | ${fmt(directory.median)} | < 300 ms |`);
  console.log(`| calls grid | ${CALLED} called | ${fmt(grid.best)} | ${fmt(grid.median)} | < 300 ms |`);
} else {
  console.log(`people directory (${PEOPLE}): best ${fmt(directory.best)}, median ${fmt(directory.median)} (target < 300 ms)`);
  console.log(`calls grid (${CALLED} called): best ${fmt(grid.best)}, median ${fmt(grid.median)} (target < 300 ms)`);
}
