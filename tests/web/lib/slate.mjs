// What the browser tests share: a real `slate serve` on loopback whose
// public URL is the address the browser uses (so the mailed links and the
// Origin check are the real ones), the API as the production office uses
// it, the mail Slate sent, and the checks every page must pass — axe-core
// (WCAG 2.1 AA), no console error, no CSP violation, nothing wider than the
// phone, touch targets of 44 px — with its screenshots at a phone's and a
// desktop's size, kept in build/web/screenshots for a reviewer.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { startServer, REPO_ROOT } from '../../api/lib/harness.mjs';
import { readyAdmin, call, newAccount, enrolTotp } from '../../api/lib/session.mjs';

export { totpCode } from '../../api/lib/totp.mjs';
export { waitFor, runSlate } from '../../api/lib/harness.mjs';
export { mailedLink } from '../../api/lib/mail.mjs';

export const SHOTS = path.join(REPO_ROOT, 'build', 'web', 'screenshots');
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts Slate with its demo production; returns {server, origin, admin, prod, api, base}.
 * publicPort: the port the browser uses when it is not Slate's own (a proxy's).
 */
export async function startSlate({ publicPort } = {}) {
  const port = await freePort();
  const origin = `https://localhost:${publicPort || port}`;
  const server = await startServer({ port, env: { SLATE_PUBLIC_URL: origin } });
  const admin = await readyAdmin(server);
  const api = async (method, p, body) => {
    const res = await call(server, admin, method, p, { body });
    if (res.status >= 400) throw new Error(`${method} ${p} → ${res.status} ${res.body}`);
    return res.json;
  };
  const prods = await api('GET', '/api/v1/productions');
  const prod = prods.productions.find((p) => p.name.includes('demo'));
  return { server, origin, admin, prod, api, base: `/api/v1/productions/${prod.id}` };
}

/**
 * Watches a page for what must never happen: a console error (other than
 * the browser's own line for an API answer of 4xx, which the page shows as
 * a message, or for an API call made with no signal), an uncaught exception, a CSP violation, a dialog (an injected
 * alert), or an HTML or asset response without the app's CSP.
 */
export function watch(page) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location()?.url || '';
    // the browser's own line for an API answer the page shows as a message (4xx), or for
    // an API call made with no signal (the offline test): not the page's error
    if (/^Failed to load resource: (the server responded with a status of 4\d\d|net::ERR_INTERNET_DISCONNECTED)/.test(text) && url.includes('/api/v1/')) return;
    problems.push(`console: ${text} (${url})`);
  });
  page.on('pageerror', (err) => problems.push(`exception: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('response', async (res) => {
    const type = res.request().resourceType();
    if (!['document', 'script', 'stylesheet'].includes(type)) return;
    if (!res.url().startsWith(new URL(page.url() || res.url()).origin)) return;
    const csp = (await res.allHeaders())['content-security-policy'] || '';
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "require-trusted-types-for 'script'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      if (!csp.includes(d)) problems.push(`${res.url()} (${type}) has no "${d}" in its CSP: ${csp}`);
    }
  });
  page.addInitScript(() => {
    window.__slateViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__slateViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return {
    problems,
    async assertClean() {
      const violations = await page.evaluate(() => window.__slateViolations || []);
      expect([...problems, ...violations.map((v) => `CSP violation: ${v}`)]).toEqual([]);
      expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    },
  };
}

/**
 * The checks every page passes, then its screenshots: axe-core with the
 * WCAG 2.1 A and AA rules, no horizontal scrolling at 360 px, every button,
 * field and bar link at least 44 px tall (inline links in running text are
 * the WCAG exception), and no problem seen by watch().
 */
export async function checkPage(page, watcher, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${name}`).toEqual([]);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const fit = await page.evaluate(() => ({
    wide: document.documentElement.scrollWidth,
    small: [...document.querySelectorAll('button, input, textarea, select, .bar a')]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ what: el.outerHTML.slice(0, 80), h: el.getBoundingClientRect().height }))
      .filter((x) => x.h < 44),
  }));
  expect(fit.wide, `${name} fits 360 px`).toBeLessThanOrEqual(360);
  expect(fit.small, `${name}: touch targets of 44 px`).toEqual([]);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(size || PHONE);
  await watcher.assertClean();
}

/** What the browser keeps for this origin: caches, localStorage, sessionStorage, IndexedDB. */
export function kept(page) {
  return page.evaluate(async () => ({
    caches: await caches.keys(),
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).map((d) => d.name),
  }));
}

/**
 * A new member of slate's demo production in `role` (department for the roles that take
 * one), with an account of its own (password) signed in through the sign-in page in a
 * browser context of its own; producers and production admins get a second factor first
 * (the API insists) and sign in with a recovery code. Returns {context, page, watcher,
 * email, session}.
 */
export async function signedInMember(slate, browser, email, password, role, department) {
  const session = await newAccount(slate.server, email, password);
  const mfa = ['producer', 'production_admin'].includes(role) ? await enrolTotp(slate.server, session) : null;
  await slate.api('POST', `${slate.base}/members`, { email, role, ...(department ? { department } : {}) });
  const signed = await signInPage(slate, browser, email, password, mfa ? mfa.recoveryCodes[0] : undefined);
  return { ...signed, email, session };
}

/**
 * A browser context of its own signed in through the sign-in page as email, with
 * recoveryCode for the second factor when the account has one. Returns {context, page, watcher}.
 */
export async function signInPage(slate, browser, email, password, recoveryCode) {
  const context = await browser.newContext({ baseURL: slate.origin });
  const page = await context.newPage();
  const watcher = watch(page);
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (recoveryCode !== undefined) {
    await page.getByLabel('Code from your authenticator app, or a recovery code').fill(recoveryCode);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(page).toHaveURL(/\/callsheet$/);
  return { context, page, watcher };
}
