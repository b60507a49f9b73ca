// A production's end in the browser (issue 22), on a phone: a producer of
// the demo production archives it from the office home (said before it is
// done, in the page), and from then every office page carries a banner
// saying it is read-only; a change tried anyway is refused in words. The
// producer unarchives it, archives it again, closes it (the banner and the
// End part and My productions name the day its data is deleted, the one
// the API set), and reopens it. A crew member sees the banner but no End controls, and the
// API refuses them the step anyway; closed, the production's pages tell
// them in words that only its leaders read it. Every screen passes
// checkPage (axe, CSP, no console error, 360 px, 44 px targets).
import { test, expect } from '@playwright/test';
import { startSlate, watch, checkPage, signedInMember } from './lib/slate.mjs';

const PASSWORD = 'the tide turns at the harbour wall';

test.describe.configure({ mode: 'serial' });

let slate, office;
const browsers = {};

/** A member of the demo production in `role`, signed in in a browser of its own (lib/slate.mjs). */
async function member(browser, key, email, role, department) {
  browsers[key] = await signedInMember(slate, browser, email, PASSWORD, role, department);
  return browsers[key];
}

/** The status the API answers a member's own session for a request made from their page (a forged one). */
function fromPage(page, method, path) {
  return page.evaluate(async ({ method, path }) => {
    const me = await (await fetch('/api/v1/me', { credentials: 'same-origin' })).json();
    const res = await fetch(path, { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': me.csrf_token || '' } });
    return res.status;
  }, { method, path });
}

/** An instant as the page shows it: the browser's locale, the production's time zone. */
function shown(page, iso, tz) {
  return page.evaluate(({ iso, tz }) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: tz }).format(new Date(iso)), { iso, tz });
}

const state = () => slate.api('GET', slate.base);

test.beforeAll(async ({ browser }) => {
  slate = await startSlate();
  office = `/office/${slate.prod.id}`;
  await member(browser, 'producer', 'pia.producer@example.org', 'producer');
  await member(browser, 'crew', 'gus.grip@example.org', 'crew', 'Camera');
});

test.afterAll(async () => {
  for (const b of Object.values(browsers)) await b.context.close();
  await slate?.server.stop();
});

test('a producer archives the production, said in the page first; every office page then says it is read-only', async () => {
  const { page, watcher } = browsers.producer;
  await page.goto(office);
  const end = page.getByRole('region', { name: 'End of the production' });
  await expect(end).toContainText('Active: everyone works in it as usual.');
  await expect(page.getByRole('note')).toHaveCount(0);
  await checkPage(page, watcher, 'end-active');

  // Cancel puts the button back and changes nothing
  await end.getByRole('button', { name: 'Archive this production' }).click();
  await expect(end.getByRole('group', { name: 'Yes, archive' })).toContainText('every change to it is refused');
  await end.getByRole('button', { name: 'Cancel' }).click();
  expect((await state()).archived_at).toBeNull();

  await end.getByRole('button', { name: 'Archive this production' }).click();
  await checkPage(page, watcher, 'end-archive-confirm');
  await end.getByRole('button', { name: 'Yes, archive' }).click();
  await expect(page.getByRole('status')).toHaveText('The production is archived: it is read-only now.');
  const archived = await state();
  expect(archived.archived_at).toMatch(/^\d{4}-/);
  const since = await shown(page, archived.archived_at, archived.timezone);
  await expect(page.getByRole('note')).toHaveText(`This production is archived (since ${since}): it is read-only for everyone, and changes are refused.`);
  await expect(end).toContainText(`Archived since ${since}.`);
  await expect(end.getByRole('button', { name: 'Archive this production' })).toHaveCount(0);
  await checkPage(page, watcher, 'end-archived');

  // another office page: the banner, and a change tried anyway refused in words
  await page.getByRole('navigation', { name: 'Production office' }).getByRole('link', { name: 'Locations' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Locations' })).toBeVisible();
  await expect(page.getByRole('note')).toContainText('This production is archived');
  const form = page.getByRole('form', { name: 'Add a location' });
  await form.getByLabel('Name').fill('Harbour wall');
  await form.getByRole('button', { name: 'Add a location' }).click();
  await expect(form.getByRole('status')).toHaveText(/^Not done: this production is archived, so it is read-only\./);
  expect((await slate.api('GET', `${slate.base}/locations`)).locations.map((l) => l.name)).not.toContain('Harbour wall');
  await checkPage(page, watcher, 'end-refused');
});

test('a crew member sees the banner but no End controls, and the API refuses them the step anyway', async () => {
  const { page, watcher } = browsers.crew;
  await page.goto(office);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByRole('note')).toContainText('This production is archived');
  await expect(page.getByRole('heading', { name: 'End of the production' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Unarchive|Close this production|Archive/ })).toHaveCount(0);
  await checkPage(page, watcher, 'end-crew');
  expect(await fromPage(page, 'POST', `${slate.base}/unarchive`)).toBe(403);
  expect((await state()).archived_at).not.toBeNull();
});

test('the producer unarchives, archives again, closes (the deletion date shown), and reopens', async () => {
  const { page, watcher } = browsers.producer;
  await page.goto(office);
  const end = page.getByRole('region', { name: 'End of the production' });
  await end.getByRole('button', { name: 'Unarchive' }).click();
  await expect(page.getByRole('status')).toHaveText('The production is unarchived: it takes changes again.');
  await expect(page.getByRole('note')).toHaveCount(0);
  await expect(end).toContainText('Active');
  expect((await state()).archived_at).toBeNull();

  await end.getByRole('button', { name: 'Archive this production' }).click();
  await end.getByRole('button', { name: 'Yes, archive' }).click();
  await expect(page.getByRole('note')).toContainText('This production is archived');

  await end.getByRole('button', { name: 'Close this production' }).click();
  await expect(end.getByRole('group', { name: 'Yes, close' })).toContainText('deleted for good at the end of the grace period');
  await checkPage(page, watcher, 'end-close-confirm');
  await end.getByRole('button', { name: 'Yes, close' }).click();
  await expect(page.getByRole('status')).toContainText('The production is closed.');
  const closed = await state();
  expect(closed.closed_at).toMatch(/^\d{4}-/);
  const due = await shown(page, closed.deletion_due, closed.timezone);
  await expect(page.getByRole('status')).toHaveText(`The production is closed. Slate deletes its data for good on ${due}; each producer and production admin has been mailed the date.`);
  await expect(page.getByRole('note')).toHaveText(`This production is closed: it is read-only, and Slate deletes its data for good on ${due}.`);
  await expect(end).toContainText(`Slate deletes its data for good on ${due}.`);
  await expect(end.getByRole('link', { name: 'Download a final export' })).toBeVisible();
  await checkPage(page, watcher, 'end-closed');
  // My productions says it too
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My productions' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'My productions' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 2, name: closed.name }) })).toContainText(`Closed: Slate deletes its data for good on ${due}.`);
  await checkPage(page, watcher, 'end-productions-closed');
  await page.goto(office);

  // closed: the crew member's office pages say in words that only its leaders read it
  const crew = browsers.crew;
  await crew.page.goto(office);
  await expect(crew.page.getByRole('status')).toContainText('only its production admins and producers read it');

  await end.getByRole('button', { name: 'Reopen' }).click();
  await expect(page.getByRole('status')).toHaveText('The production is reopened: its deletion is off. It stays archived.');
  await expect(page.getByRole('note')).toContainText('This production is archived');
  const reopened = await state();
  expect(reopened.deletion_due).toBeNull();
  expect(reopened.archived_at).not.toBeNull();
  await checkPage(page, watcher, 'end-reopened');
  await crew.watcher.assertClean();
});
