// A crew member with only a phone and the invitation mail: joins, enrols a
// second factor, reads and acknowledges their call sheet, sees a new
// version flagged with what changed for them, opens it again with no
// signal (and acknowledges there), edits their own details, and signs out
// leaving nothing in the browser. Everything the production office does is
// done through the API, as it would be; every name it types is hostile.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { startSlate, mailedLink, watch, checkPage, kept, waitFor } from './lib/slate.mjs';
import { totpStep, totpCodeAtStep } from '../api/lib/totp.mjs';
import { signIn, call } from '../api/lib/session.mjs';

const EMAIL = 'robin.gaffer@example.org';
const PASSWORD = 'sodium lamps over the harbour wall';
// hostile text in every field the page shows: shown as text, never run
const XSS = (n) => `<img src=x onerror="window.__xss=${n}">`;
const NAME = `Robin ${XSS(1)}`;

test.describe.configure({ mode: 'serial' });

let slate, context, page, watcher, secret, lastStep = 0, person, day1, recovery;

/** A TOTP code for a step not used yet (the API refuses a step twice). */
async function freshCode() {
  let step = Math.max(totpStep(), lastStep + 1);
  while (step > totpStep() + 1) {
    await new Promise((r) => setTimeout(r, 1000));
    step = Math.max(totpStep(), lastStep + 1);
  }
  lastStep = step;
  return totpCodeAtStep(secret, step);
}

test.beforeAll(async ({ browser }) => {
  slate = await startSlate();
  context = await browser.newContext({ baseURL: slate.origin });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: slate.origin });
  page = await context.newPage();
  watcher = watch(page);
  const days = await slate.api('GET', `${slate.base}/days`);
  day1 = days.days.find((d) => d.number === 1) || days.days[0];
});

test.afterAll(async () => {
  await context?.close();
  await slate?.server.stop();
});

test('the invitation mail opens a page that names the production and the role, and makes the account', async () => {
  await slate.api('POST', `${slate.base}/invitations`, { email: EMAIL, role: 'crew' });
  const link = await mailedLink(slate.server, EMAIL, 'invitation');
  expect(new URL(link).origin).toBe(slate.origin);
  const sent = [];
  page.on('request', (r) => sent.push(r.url() + JSON.stringify(r.headers())));
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Your invitation' })).toBeVisible();
  await expect(page.getByText(`You are invited to join ${slate.prod.name} as crew.`)).toBeVisible();
  await expect(page.getByText(`The invitation is for ${EMAIL}.`)).toBeVisible();
  const token = new URL(link).hash.slice('#token='.length);
  expect(sent.filter((s) => s.includes(token)), 'the token never leaves in a URL or a Referer').toEqual([]);
  await checkPage(page, watcher, 'invitation');

  await page.getByLabel('Your name').fill(NAME);
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByLabel('New password again').fill('short');
  await page.getByRole('button', { name: 'Create account and join' }).click();
  await expect(page.locator('.field-error:not([hidden])')).toHaveText(/12 characters/);
  await expect(page.getByLabel('New password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await checkPage(page, watcher, 'invitation-password-refused');

  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('New password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account and join' }).click();
  await expect(page).toHaveURL(/\/(callsheet|second-factor)$/);
});

test('a second factor is enrolled with the QR code and the typed key, and the recovery codes are shown once', async () => {
  await page.goto('/second-factor');
  await expect(page.getByRole('heading', { level: 1, name: 'Second factor' })).toBeVisible();
  await checkPage(page, watcher, 'second-factor');
  await page.getByRole('button', { name: 'Set up a second factor' }).click();
  const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
  await expect(qr).toBeVisible();
  expect(await qr.evaluate((img) => img.naturalWidth > 0 && img.src.startsWith('data:image/svg+xml'))).toBe(true);
  secret = (await page.locator('code.secret').textContent()).replace(/\s+/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await checkPage(page, watcher, 'second-factor-enrol');

  await page.getByLabel('Code shown by the app').fill('000000');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByText('That code is not right.', { exact: false })).toBeVisible();
  await page.getByLabel('Code shown by the app').fill(await freshCode());
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your recovery codes' })).toBeVisible();
  const codes = await page.locator('.codes code').allTextContents();
  expect(codes).toHaveLength(10);
  for (const c of codes) expect(c).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  recovery = codes;
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join('\n'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as text' }).click()]);
  const file = await download.path();
  const text = (await import('node:fs')).readFileSync(file, 'utf8');
  for (const c of codes) expect(text).toContain(c);
  await checkPage(page, watcher, 'recovery-codes');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/callsheet$/);
});

test('my call sheet: my call in large type, the day, locations with a maps link, key contacts with a dialler link; hostile names stay text', async () => {
  const depts = await slate.api('GET', `${slate.base}/departments`);
  const dept = depts.departments[0].name;
  person = await slate.api('POST', `${slate.base}/people`, { name: NAME, kind: 'crew', department: dept, job_title: `Gaffer ${XSS(2)}`, account_email: EMAIL });
  await slate.api('POST', `${slate.base}/people`, { name: `Key ${XSS(3)}`, kind: 'crew', department: dept, job_title: `Unit manager ${XSS(4)}`, key_contact: true, work_phone: '+44 20 7946 0958' });
  await slate.api('PUT', `${slate.base}/days/${day1.id}/calls/${person.id}`, { call: '06:30', pickup: '05:45', on_set: '07:00' });
  // what the day shows, renamed with hostile text, then published
  const { id: cid } = await slate.api('POST', `${slate.base}/days/${day1.id}/callsheets`, {});
  const drawn = (await slate.api('GET', `${slate.base}/callsheets/${cid}`)).sheet;
  await slate.api('PATCH', `${slate.base}/locations/${drawn.locations[0].id}`, {
    name: `Harbour ${XSS(5)}`, address: `1 Pier Road ${XSS(6)}`, parking: `Behind the pier ${XSS(7)}`,
    nearest_hospital: `St Mary ${XSS(8)}`, access_notes: `Gate code ${XSS(9)}`,
  });
  await slate.api('PATCH', `${slate.base}/scenes/${drawn.scenes[0].id}`, { set: `Lighthouse ${XSS(10)}` });
  await slate.api('PATCH', slate.base, { name: `${slate.prod.name} ${XSS(11)}` });
  slate.prod.name = `${slate.prod.name} ${XSS(11)}`;
  await slate.api('POST', `${slate.base}/days/${day1.id}/callsheets`, {});

  await page.goto('/callsheet');
  const sheet = page.locator('article.sheet').first();
  await expect(sheet.locator('.calltime')).toHaveText('06:30');
  await expect(sheet.getByText('Pick-up')).toBeVisible();
  await expect(sheet.getByText('05:45')).toBeVisible();
  await expect(sheet.getByText(`Day 1 of ${day1.total}`, { exact: false })).toBeVisible();
  for (const text of [`Harbour ${XSS(5)}`, `1 Pier Road ${XSS(6)}`, `Behind the pier ${XSS(7)}`, `St Mary ${XSS(8)}`, `Gate code ${XSS(9)}`, `Lighthouse ${XSS(10)}`]) {
    await expect(sheet.getByText(text), text).toBeVisible();
  }
  await expect(sheet.locator('.eyebrow')).toContainText(slate.prod.name);
  await expect(sheet.getByText(`Key ${XSS(3)}`)).toBeVisible();
  await expect(sheet.locator('a[href^="tel:+442079460958"]')).toBeVisible();
  expect(await sheet.locator('a[href^="geo:"]').count()).toBeGreaterThan(0);
  expect(await page.locator('img[src="x"]').count(), 'no injected element').toBe(0);
  await checkPage(page, watcher, 'callsheet');

  // the same sheet for print: my PDF, with my call on top and the hostile names as text
  const [pdf] = await Promise.all([page.waitForEvent('download'), sheet.getByRole('link', { name: 'Print (PDF, A4)' }).click()]);
  const printed = execFileSync('pdftotext', [await pdf.path(), '-'], { encoding: 'utf8' });
  const mine = printed.slice(printed.indexOf('Your call'), printed.indexOf('Locations'));
  expect(mine).toContain(NAME);
  expect(mine).toContain('06:30');

  await page.getByRole('button', { name: 'Acknowledge' }).first().click();
  await expect(sheet.getByText('Acknowledged')).toBeVisible();
  const cs = (await slate.api('GET', `${slate.base}/days/${day1.id}/callsheets`)).callsheets[0];
  const acks = await slate.api('GET', `${slate.base}/callsheets/${cs.id}/acks`);
  expect(acks.acknowledgements.find((a) => a.person_id === person.id).acknowledged_at).toBeTruthy();
});

test('a republished version is flagged and says what changed for me', async () => {
  await slate.api('PUT', `${slate.base}/days/${day1.id}/calls/${person.id}`, { call: '05:45', pickup: '05:00', on_set: '07:00' });
  await slate.api('POST', `${slate.base}/days/${day1.id}/callsheets`, {});
  await page.reload();
  const sheet = page.locator('article.sheet').first();
  await expect(sheet.locator('.flag')).toContainText('New version');
  await expect(sheet.locator('.flag')).toContainText('Call: from 06:30 to 05:45');
  await expect(sheet.locator('.calltime')).toHaveText('05:45');
  await checkPage(page, watcher, 'callsheet-new-version');
});

test('with no signal the kept call sheet opens, says when it was updated, and an acknowledgement waits for the connection', async () => {
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  // the worker controls the page once it has been loaded under it
  await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await page.reload();
  await expect(page.locator('.calltime').first()).toHaveText('05:45');
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByText('No connection. Showing what was kept on this device', { exact: false })).toBeVisible();
  await expect(page.locator('.calltime').first()).toHaveText('05:45');
  await page.getByRole('button', { name: 'Acknowledge' }).first().click();
  await expect(page.getByText('It is sent when you are back online', { exact: false })).toBeVisible();
  await expect(page.locator('.flag').first()).not.toContainText('acknowledge it again');
  await checkPage(page, watcher, 'callsheet-offline');
  // what the device kept is this person's own: no other person's personal phone or email
  const others = (await slate.api('GET', `${slate.base}/people?limit=200`)).people.filter((p) => p.id !== person.id);
  const secrets = others.flatMap((p) => [p.personal_phone, p.personal_email, p.home_address, p.emergency_contact]).filter(Boolean);
  expect(secrets.length, 'the demo has personal fields to leak').toBeGreaterThan(10);
  const keptText = await page.evaluate(async () => {
    const cache = await caches.open('slate-data');
    const out = [];
    for (const req of await cache.keys()) out.push(req.url, await (await cache.match(req)).text());
    return out.join('\n');
  });
  expect(keptText).toContain('/api/v1/me/callsheets');
  expect(secrets.filter((v) => keptText.includes(v))).toEqual([]);
  const cs = (await slate.api('GET', `${slate.base}/days/${day1.id}/callsheets`)).callsheets[0];
  const acked = async () => (await slate.api('GET', `${slate.base}/callsheets/${cs.id}/acks`)).acknowledgements.some((a) => a.person_id === person.id && a.acknowledged_at);
  expect(await acked()).toBe(false);
  await context.setOffline(false);
  await waitFor(acked, { what: 'the offline acknowledgement sent once back online', timeout: 15_000 });
});

test('my productions list my role', async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'My productions' }).click();
  await expect(page.getByRole('heading', { level: 2, name: slate.prod.name })).toBeVisible();
  await expect(page.getByText('Your role: crew')).toBeVisible();
  await checkPage(page, watcher, 'productions');
});

test('my details: I change my own phone, a bad one is refused by the field, my sessions are listed', async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'My details' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'My details' })).toBeVisible();
  const phone = page.getByLabel('Personal phone');
  await phone.fill('not a phone');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(phone).toHaveAttribute('aria-invalid', 'true');
  await phone.fill('+44 7700 900123');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  const p = await slate.api('GET', `${slate.base}/people/${person.id}`);
  expect(p.personal_phone).toBe('+44 7700 900123');
  await expect(page.getByText('(this device)')).toBeVisible();
  await checkPage(page, watcher, 'my-details');

  // my data, as the API's export of scope self
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download my data from/ }).click()]);
  const mine = JSON.parse((await import('node:fs')).readFileSync(await download.path(), 'utf8'));
  expect(mine.scope).toBe('self');
  expect(mine.people.map((p) => p.id)).toEqual([person.id]);
  // and everything Slate holds about me, across productions
  const [all] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download everything about me' }).click()]);
  expect(all.suggestedFilename()).toBe('slate-my-data.json');
  const everything = JSON.parse((await import('node:fs')).readFileSync(await all.path(), 'utf8'));
  expect(everything.schema).toBe('slate.me-export/1');
  expect(everything.account.email).toBe(EMAIL);
  expect(everything.productions.find((p) => p.id === slate.prod.id).person.personal_phone).toBe('+44 7700 900123');

  // my calendar link, shown once
  await page.getByRole('button', { name: 'Get my calendar link' }).click();
  await expect(page.getByRole('link', { name: /^webcal:\/\/.*\/feeds\/[A-Za-z0-9_-]{43}\.ics$/ })).toBeVisible();

  // another session of mine (a second phone) ends with "sign out everywhere else"
  const other = await signIn(slate.server, { email: EMAIL, password: PASSWORD, totp: await freshCode() });
  expect((await call(slate.server, other, 'GET', '/api/v1/me')).status).toBe(200);
  await page.reload();
  await expect(page.locator('.sessions li')).toHaveCount(2);
  await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await expect(page.getByText('Every other session has ended.')).toBeVisible();
  await expect(page.locator('.sessions li')).toHaveCount(1);
  expect((await call(slate.server, other, 'GET', '/api/v1/me')).status).toBe(401);
});

test('signing out deletes everything the browser kept', async () => {
  expect((await kept(page)).caches.length).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByText('You are signed out.', { exact: false })).toBeVisible();
  expect(await kept(page)).toEqual({ caches: [], local: 0, session: 0, idb: [] });
  await page.goto('/callsheet');
  await expect(page).toHaveURL(/\/sign-in$/);
  await checkPage(page, watcher, 'sign-in');
});

test('signing in asks for the second factor, and takes a code from the app', async () => {
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const code = page.getByLabel('Code from your authenticator app, or a recovery code');
  await expect(code).toBeVisible();
  await expect(code).toBeFocused();
  await checkPage(page, watcher, 'sign-in-code');
  await code.fill(await freshCode());
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/callsheet$/);
  await expect(page.locator('.calltime').first()).toHaveText('05:45');
});

test('a recovery code signs in once, typed in any case without dashes', async () => {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  const typed = recovery[0].replace(/-/g, '').toLowerCase();
  for (const round of [1, 2]) {
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel('Code from your authenticator app, or a recovery code');
    await code.fill(typed);
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (round === 1) {
      await expect(page).toHaveURL(/\/callsheet$/);
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    } else {
      await expect(page.getByText('That code is not right, or it was used already.', { exact: false })).toBeVisible();
    }
  }
  await page.getByLabel('Code from your authenticator app, or a recovery code').fill(await freshCode());
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/callsheet$/);
});

test('the second factor is turned off with a current code where no production requires it', async () => {
  await page.goto('/second-factor');
  await expect(page.getByText('Your account has a second factor.')).toBeVisible();
  await checkPage(page, watcher, 'second-factor-enrolled');
  await page.getByLabel('Code shown by the app').fill('123456');
  await page.getByRole('button', { name: 'Turn off the second factor' }).click();
  await expect(page.getByText('That code is not right.', { exact: false })).toBeVisible();
  await page.getByLabel('Code shown by the app').fill(await freshCode());
  await page.getByRole('button', { name: 'Turn off the second factor' }).click();
  await expect(page.getByText('The second factor is off.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Set up a second factor' })).toBeVisible();
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
  expect(me.mfa.enrolled).toBe(false);
});

test('a revoked member\'s next page load signs them out and forgets what the device kept', async () => {
  await page.goto('/callsheet');
  await expect(page.locator('.calltime').first()).toHaveText('05:45');
  expect((await kept(page)).caches).toContain('slate-data');
  const { members } = await slate.api('GET', `${slate.base}/members`);
  const me = members.find((m) => m.email === EMAIL);
  const revoked = await slate.api('POST', `${slate.base}/members/${me.id}/revoke`, {});
  expect(revoked.sessions_ended).toBe(true);
  await page.reload();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByText('Your session has ended. Sign in again.')).toBeVisible();
  const left = await kept(page);
  expect(left.caches).not.toContain('slate-data');
  expect(left.local).toBe(0);
  await checkPage(page, watcher, 'sign-in-after-revoke');
});
