// The incident register in the browser, on a phone: an instance
// administrator finds "Incidents" in the bar, opens an incident (the API's
// reasons shown by the fields it names), sees it in the register with its
// 72-hour clock (time left, amber past 48 hours, "late by" past 72),
// records containment and the authority's notification and sees the clock
// stop, closes it, and computes who is affected from the audit log. A
// producer who is not an instance administrator has no Incidents entry,
// and the addresses typed by hand show the API's refusal and nothing of
// the register.
import { test, expect } from '@playwright/test';
import { startSlate, checkPage, waitFor, signInPage } from './lib/slate.mjs';
import { newAccount, enrolTotp, NEW_PASSWORD } from '../api/lib/session.mjs';

test.describe.configure({ mode: 'serial' });

const PASSWORD = 'a long walk along the harbour at dawn';
const XSS = '<img src=x onerror="window.__xss=1">';
let slate, admin, producer;
const ids = {};

/* hours ago as an RFC 3339 instant (the API), and as a datetime-local value in the browser's zone (Europe/London) */
const hoursAgo = (h) => new Date(Date.now() - h * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const localAgo = (h) => new Date(Date.now() - h * 3600_000).toLocaleString('sv-SE', { timeZone: 'Europe/London' }).replace(' ', 'T').slice(0, 16);

/** The reason shown for a field: its error line, wired to it by aria-describedby. */
async function reasonFor(page, field) {
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  const id = (await field.getAttribute('aria-describedby')).split(' ').pop();
  return page.locator(`#${id}`);
}

test.beforeAll(async ({ browser }) => {
  slate = await startSlate();
  // a producer of the demo production, not an instance administrator
  const session = await newAccount(slate.server, 'pat.producer@example.org', PASSWORD);
  const mfa = await enrolTotp(slate.server, session);
  await slate.api('POST', `${slate.base}/members`, { email: 'pat.producer@example.org', role: 'producer' });
  producer = await signInPage(slate, browser, 'pat.producer@example.org', PASSWORD, mfa.recoveryCodes[0]);
  admin = await signInPage(slate, browser, 'admin@localhost', NEW_PASSWORD, slate.admin.mfa.recoveryCodes[0]);
});

test.afterAll(async () => {
  await admin?.context.close();
  await producer?.context.close();
  await slate?.server.stop();
});

test('an administrator opens an incident from the Incidents entry, the API\'s reasons by the fields, and sees its clock', async () => {
  const { page, watcher } = admin;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Incidents' })).toBeVisible();
  await expect(page.getByText('No incident is recorded.')).toBeVisible();
  await checkPage(page, watcher, 'incidents-empty');

  await page.getByRole('link', { name: 'Open an incident' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Open an incident' })).toBeVisible();
  // aware before it was discovered: the API's reason, by the awareness field
  await page.getByLabel('When it was discovered').fill(localAgo(48.5));
  await page.getByLabel('When you became aware of it').fill(localAgo(49.5));
  await page.getByRole('button', { name: 'Open an incident' }).click();
  const aware = page.getByLabel('When you became aware of it');
  await expect(await reasonFor(page, aware)).toHaveText('is before discovered_at');
  // then the times right, what happened left out: the reason moves to that field
  await page.getByLabel('When it was discovered').fill(localAgo(50));
  await page.getByRole('button', { name: 'Open an incident' }).click();
  await expect(aware).not.toHaveAttribute('aria-invalid', 'true');
  await expect(await reasonFor(page, page.getByLabel('What happened'))).toHaveText('is required');
  await checkPage(page, watcher, 'incident-open-refused');

  await page.getByLabel('What happened').fill(`A laptop with the crew list export was stolen from a car ${XSS}`);
  await page.getByLabel('Contact for more information').fill('privacy@studio.example');
  await page.getByLabel('Kinds of personal data (optional)').fill('contact details, dietary notes');
  await page.getByLabel('About how many people (optional)').fill('about 40');
  await page.getByRole('button', { name: 'Open an incident' }).click();
  await expect(page).toHaveURL(/\/admin\?incident=inc_/);
  ids.warn = new URL(page.url()).searchParams.get('incident');
  await expect(page.getByText('The incident is opened.', { exact: false })).toBeVisible();
  const clock = page.locator('.clockbox .clock');
  // aware 49.5 hours ago: about 22 h 30 min left, in the warning style from 48 h
  await expect(clock).toHaveText(/^2[12] h( \d+ min)? left$/);
  await expect(clock).toHaveAttribute('data-kind', 'warn');
  await expect(page.locator('.clockbox')).toContainText('Open');
  // what was typed is shown as text (the markup in it included), and who opened it by address
  await expect(page.locator('dl.record')).toContainText(`A laptop with the crew list export was stolen from a car ${XSS}`);
  await expect(page.locator('dl.record')).toContainText('admin@localhost');
  await checkPage(page, watcher, 'incident-detail-open');

  // two more, opened over the API: one fresh, one past its 72 hours
  ids.fresh = (await slate.api('POST', '/api/v1/incidents', { discovered_at: hoursAgo(3), aware_at: hoursAgo(2), nature: 'A call sheet mailed to the wrong list', contact: 'privacy@studio.example' })).id;
  ids.late = (await slate.api('POST', '/api/v1/incidents', { discovered_at: hoursAgo(81), aware_at: hoursAgo(80), nature: 'A backup bucket left open', contact: 'privacy@studio.example' })).id;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
  const cards = page.locator('li.card.incident');
  await expect(cards).toHaveCount(3);
  // newest awareness first: time left, warning, late by
  await expect(cards.nth(0)).toContainText('A call sheet mailed to the wrong list');
  await expect(cards.nth(0).locator('.clock')).toHaveText(/^(69|70) h( \d+ min)? left$/);
  await expect(cards.nth(0).locator('.clock')).toHaveAttribute('data-kind', 'running');
  await expect(cards.nth(1)).toContainText('A laptop with the crew list export');
  await expect(cards.nth(1).locator('.clock')).toHaveAttribute('data-kind', 'warn');
  await expect(cards.nth(2).locator('.clock')).toHaveText(/^Late by (7|8) h( \d+ min)?$/);
  await expect(cards.nth(2).locator('.clock')).toHaveAttribute('data-kind', 'late');
  for (let i = 0; i < 3; i++) await expect(cards.nth(i)).toContainText('Open · aware');
  await expect(page.getByRole('link', { name: 'Incidents' })).toHaveAttribute('aria-current', 'page');
  await checkPage(page, watcher, 'incidents-list');
});

test('the administrator records containment and the authority\'s notification; the clock stops, and the incident closes', async () => {
  const { page, watcher } = admin;
  await page.getByRole('link', { name: /A laptop with the crew list export/ }).click();
  await expect(page).toHaveURL(new RegExp(`incident=${ids.warn}$`));
  await page.getByLabel('Measures taken or proposed').first().fill('laptop wiped remotely, passwords rotated');
  await page.getByRole('button', { name: 'Record containment' }).click();
  await expect(page.getByText('Containment is recorded.')).toBeVisible();
  await expect(page.locator('.clockbox')).toContainText('Contained');

  // no reference: the API's reason by the reference field; the clock runs on
  await page.getByRole('button', { name: 'Record the authority\'s notification' }).click();
  await expect(await reasonFor(page, page.getByLabel('The authority\'s reference'))).toHaveText(/must not be empty|is required/);
  await expect(page.locator('.clockbox .clock')).toHaveAttribute('data-kind', 'warn');
  await page.getByLabel('The authority\'s reference').fill('ICO-2026-0042');
  await page.getByRole('button', { name: 'Record the authority\'s notification' }).click();
  await expect(page.getByText('The authority\'s notification is recorded. The clock has stopped.')).toBeVisible();
  const clock = page.locator('.clockbox .clock');
  await expect(clock).toHaveText(/^Notified, after (49|50) h( \d+ min)?$/);
  await expect(clock).toHaveAttribute('data-kind', 'stopped');
  await expect(page.locator('dl.record')).toContainText('ICO-2026-0042');
  const history = page.locator('ol.history > li');
  await expect(history).toHaveCount(3);
  await expect(history.nth(0)).toContainText('Opened');
  await expect(history.nth(1)).toContainText('laptop wiped remotely');
  await expect(history.nth(2)).toContainText('Authority notified');
  await expect(history.nth(2)).toContainText('ICO-2026-0042');
  await checkPage(page, watcher, 'incident-notified');

  // the register says notified, with the clock stopped
  await page.getByRole('link', { name: 'All incidents' }).click();
  const card = page.locator('li.card.incident', { hasText: 'A laptop with the crew list export' });
  await expect(card).toContainText('Notified · aware');
  await expect(card.locator('.clock')).toHaveAttribute('data-kind', 'stopped');

  // closed, told first what it means; then nothing more to do on it
  await card.getByRole('link').click();
  await page.getByRole('button', { name: 'Close the incident' }).click();
  await expect(page.getByText('A closed incident no longer changes', { exact: false })).toBeVisible();
  await page.getByRole('button', { name: 'Yes, close it' }).click();
  await expect(page.getByText('The incident is closed.')).toBeVisible();
  await expect(page.getByText('This incident is closed: its text and status no longer change.', { exact: false })).toBeVisible();
  await expect(page.getByRole('button', { name: /Record|Close/ })).toHaveCount(0);
  await expect(page.getByText('Change the description')).toHaveCount(0);
  // who was affected may still be found (the API allows it on a closed incident)
  await expect(page.getByRole('button', { name: 'Compute who is affected' })).toBeVisible();
  await expect(history).toHaveCount(4);
  await checkPage(page, watcher, 'incident-closed');
});

test('past 72 hours the notification needs the reason for the delay, said by its field', async () => {
  const { page, watcher } = admin;
  await slate.api('PATCH', `/api/v1/incidents/${ids.late}`, { status: 'contained', measures: 'bucket made private' });
  await page.goto(`/admin?incident=${ids.late}`);
  await expect(page.locator('.clockbox .clock')).toHaveText(/^Late by/);
  await page.getByLabel('The authority\'s reference').fill('ICO-2026-0043');
  await page.getByRole('button', { name: 'Record the authority\'s notification' }).click();
  const reason = page.getByLabel(/^Reason for the delay/);
  await expect(await reasonFor(page, reason)).toHaveText(/late_reason|72 hours/);
  await checkPage(page, watcher, 'incident-late-refused');
  await reason.fill('the bucket was found by a contractor who told us late');
  await page.getByRole('button', { name: 'Record the authority\'s notification' }).click();
  // aware 80 h ago to the second; the notification's time is the form's, to the minute (its
  // seconds dropped): 79 h 59 min when the page was loaded within the minute the incident began
  await expect(page.locator('.clockbox .clock')).toHaveText(/^Notified late, after (79 h 5\d min|8[01] h)/);
});

test('who is affected: computed from the audit log, the person read listed on the incident', async () => {
  const { page, watcher } = admin;
  // the administrator's account reads one person's private fields over the API
  const people = await slate.api('GET', `${slate.base}/people?limit=5`);
  const person = people.people[0];
  const read = await slate.api('GET', `${slate.base}/people/${person.id}`);
  expect(Object.keys(read)).toContain('home_address');
  await waitFor(async () => (await slate.api('GET', `${slate.base}/audit?limit=500`)).events
    .some((e) => e.action === 'person.read_private' && e.object.includes(person.id)), { timeout: 60_000, what: 'the read in the audit log' });

  await page.goto(`/admin?incident=${ids.fresh}`);
  await expect(page.getByText('Not computed yet.')).toBeVisible();
  // neither an account nor a token: the API's reason, said on the form
  await page.getByLabel('Reads from').fill(localAgo(1));
  await page.getByRole('button', { name: 'Compute who is affected' }).click();
  await expect(page.getByText('say whose reads', { exact: false })).toBeVisible();
  await page.getByLabel('Account (its email) (optional)').fill('nobody@nowhere.example');
  await page.getByRole('button', { name: 'Compute who is affected' }).click();
  await expect(await reasonFor(page, page.getByLabel('Account (its email) (optional)'))).toHaveText('there is no account with that email');
  await page.getByLabel('Account (its email) (optional)').fill('admin@localhost');
  await page.getByRole('button', { name: 'Compute who is affected' }).click();
  await expect(page.getByText(/^Computed\. People affected so far: [1-9]\d*\.$/)).toBeVisible();
  await expect(page.locator('ul.affected')).toContainText(person.id);
  await expect(page.locator('ul.affected')).toContainText(slate.prod.name);
  await expect(page.locator('ol.history > li').last()).toContainText('Affected people computed');
  await expect(page.locator('ol.history > li').last()).toContainText('reads by admin@localhost from');
  await checkPage(page, watcher, 'incident-affected');
});

test('a producer who is not an instance administrator has no Incidents entry, and the addresses show the refusal', async () => {
  const { page, watcher } = producer;
  await page.goto('/callsheet');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'My call sheet' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Incidents' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Administration' })).toHaveCount(0);

  await page.goto('/admin?incidents');
  await expect(page.getByRole('heading', { level: 1, name: 'Incidents' })).toBeVisible();
  await expect(page.locator('.status[data-kind="error"]')).toHaveText(/^Refused: instance administrators only\./);
  await expect(page.getByRole('link', { name: 'Open an incident' })).toHaveCount(0);
  await expect(page.locator('li.card.incident')).toHaveCount(0);
  await checkPage(page, watcher, 'incidents-refused');

  await page.goto(`/admin?incident=${ids.fresh}`);
  await expect(page.locator('.status[data-kind="error"]')).toHaveText(/^Refused: instance administrators only\./);
  await expect(page.getByText('A call sheet mailed to the wrong list')).toHaveCount(0);
  await expect(page.getByRole('button')).toHaveText(['Sign out']);
});
