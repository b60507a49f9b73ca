// The production office in the browser: a producer, an AD and a department
// head of the demo production at work, each signed in through the sign-in
// page in their own browser context. A producer finds people, adds and
// changes one (the API's refusals shown by the field), imports a crew list
// (a bad row refused and named, then fixed), invites an AD whose mailed
// link is followed in a second context; the AD builds a new shoot day
// (locations, scenes in order, a department call, two individual calls),
// previews it, sees what changed, and publishes; a department head edits
// only their own department's calls (the other departments' controls are
// absent, and a forged request is refused); a revoked member's open page
// is refused on its next action. Every name typed is hostile; every screen
// passes checkPage (axe, CSP, no console error, 360 px, 44 px targets) at
// a phone's and a desktop's size.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { startSlate, mailedLink, watch, checkPage, waitFor, signedInMember } from './lib/slate.mjs';
import { request } from '../api/lib/harness.mjs';
import { call, signInAndChangePassword, NEW_PASSWORD } from '../api/lib/session.mjs';

const XSS = (n) => `<img src=x onerror="window.__xss=${n}">`;
const PASSWORD = 'a long walk along the harbour at dawn';

test.describe.configure({ mode: 'serial' });

let slate, office, ids = {};
const browsers = {};

/** A member of the demo production in `role`, signed in in a browser of its own (lib/slate.mjs). */
async function member(browser, key, email, role, department) {
  browsers[key] = await signedInMember(slate, browser, email, PASSWORD, role, department);
  return browsers[key];
}

/** An account made by the administrator: its one-time password replaced; returns the session. */
function newAccountFromPassword(email, oneTime) {
  return signInAndChangePassword(slate.server, PASSWORD, { email, oneTime });
}

/** What the API answers a member's own session for a request made from their page (a forged one). */
function fromPage(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const me = await (await fetch('/api/v1/me', { credentials: 'same-origin' })).json();
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token || '' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.status;
  }, { method, path, body });
}

test.beforeAll(async ({ browser }) => {
  slate = await startSlate();
  office = `/office/${slate.prod.id}`;
  const people = await slate.api('GET', `${slate.base}/people?limit=500`);
  ids.camera = people.people.find((p) => p.department === 'Camera');
  ids.grip = people.people.find((p) => p.department === 'Grip');
  // a hostile name in every place these screens show one
  await slate.api('PATCH', `${slate.base}/people/${ids.camera.id}`, { name: `Cam ${XSS(1)}`, job_title: `Focus ${XSS(2)}` });
  await slate.api('POST', `${slate.base}/departments`, { name: `Drones ${XSS(3)}` });
  await member(browser, 'producer', 'pat.producer@example.org', 'producer');
  await member(browser, 'head', 'dana.camera@example.org', 'department_head', 'Camera');
});

test.afterAll(async () => {
  for (const b of Object.values(browsers)) await b.context.close();
  await slate?.server.stop();
});

test('a producer opens the office from their productions and sees the next shoot day with its acknowledgements', async () => {
  const { page, watcher } = browsers.producer;
  await page.goto('/productions');
  await page.getByRole('link', { name: 'Production office' }).click();
  await expect(page).toHaveURL(new RegExp(`${office}$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Office' })).toBeVisible();
  await expect(page.getByText('Next shoot day')).toBeVisible();
  await expect(page.getByText(/\d+ of \d+ acknowledged/).first()).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Recent changes' })).toBeVisible();
  await checkPage(page, watcher, 'office-home');
});

test('the people directory filters by department and kind, and shows the fields the role reveals', async () => {
  const { page, watcher } = browsers.producer;
  await page.getByRole('link', { name: 'People' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'People' })).toBeVisible();
  const rows = page.locator('table.people tbody tr');
  await expect(rows.first()).toBeVisible();
  const all = await rows.count();
  await page.getByLabel('Department').selectOption('Camera');
  await expect(page.getByText(/^\d+ people$/)).not.toHaveText(`${all} people`);
  await expect(rows.locator('td:nth-child(2)').filter({ hasNotText: 'Camera' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: `Cam ${XSS(1)}` })).toBeVisible();
  await page.getByLabel('Crew or cast').selectOption('cast');
  await expect(page.getByText('Nobody matches.')).toBeVisible();
  await page.getByLabel('Department').selectOption('');
  await expect(rows.first()).toBeVisible();
  await expect(rows.locator('td:nth-child(4)').filter({ hasNotText: 'cast' })).toHaveCount(0);
  await page.getByLabel('Crew or cast').selectOption('');
  await expect(page.getByText(/^\d+ people$/)).toHaveText(`${all} people`);
  await page.getByLabel('Search by name').fill('ada');
  await expect(page.getByText(/^\d+ people$/)).not.toHaveText(`${all} people`);
  // every row drawn matches (read once the list has settled, not while it is redrawn)
  await expect(rows.locator('th').filter({ hasNotText: /ada/i })).toHaveCount(0);
  const names = await rows.locator('th').allTextContents();
  expect(names.length).toBeGreaterThan(0);
  for (const n of names) expect(n).toMatch(/ada/i);
  await checkPage(page, watcher, 'office-people');
  await page.getByLabel('Search by name').fill('');
});

test('a person is added with the API\'s refusals shown by their fields, then changed and deleted', async () => {
  const { page, watcher } = browsers.producer;
  await page.goto(`${office}/people`);
  await page.getByRole('link', { name: 'Add a person' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Add a person' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill(`Nova ${XSS(4)}`);
  await page.getByLabel('Work email').fill('not an email');
  await page.getByLabel('Department').selectOption('Grip');
  await page.getByRole('button', { name: 'Add a person' }).click();
  await expect(page.getByLabel('Work email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.field-error:not([hidden])')).toHaveCount(1);
  await checkPage(page, watcher, 'office-person-refused');
  await page.getByLabel('Work email').fill('nova@example.org');
  await page.getByRole('button', { name: 'Add a person' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Nova ${XSS(4)}` })).toBeVisible();
  await expect(page.getByText(`Nova ${XSS(4)} is added.`)).toBeVisible();
  await page.getByLabel('Job title').fill('Best boy grip');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(page.locator('.facts')).toContainText('Best boy grip');
  await checkPage(page, watcher, 'office-person');
  const id = new URL(page.url()).pathname.split('/').pop();
  expect((await slate.api('GET', `${slate.base}/people/${id}`)).job_title).toBe('Best boy grip');
  await page.getByRole('button', { name: 'Delete this person' }).click();
  await expect(page.getByText(/Their entry and their calls are removed/)).toBeVisible();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page).toHaveURL(new RegExp(`${office}/people$`));
  await expect(page.getByText(`Nova ${XSS(4)} is deleted.`)).toBeVisible();
  const gone = await call(slate.server, slate.admin, 'GET', `${slate.base}/people/${id}`);
  expect(gone.status).toBe(404);
});

test('a crew list with one bad row is refused with the row and cell named, then fixed, checked again and imported', async () => {
  const { page, watcher } = browsers.producer;
  await page.goto(`${office}/people`);
  await page.getByRole('link', { name: 'Import a crew list' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import a crew list' })).toBeVisible();
  const csv = (dept) => [
    'name,kind,department,job_title,work_email',
    '"Wren, Junior",crew,Grip,Grip trainee,wren@example.org',
    `"Sparky ${XSS(6).replaceAll('"', '""')}",crew,Electric,Spark,spark@example.org`,
    `Rowan Bad,crew,${dept},Runner,rowan@example.org`,
    '',
  ].join('\n');
  await page.getByLabel('Or paste the CSV').fill(csv('Nowhere'));
  await page.getByRole('button', { name: 'Check the file' }).click();
  await expect(page.getByText(/^Nothing was added: 1 problems?\./)).toBeVisible();
  await expect(page.locator('ul.errors li')).toHaveCount(1);
  await expect(page.locator('ul.errors li')).toHaveText(/^Row 4, department: /);
  await checkPage(page, watcher, 'office-import-refused');
  const before = (await slate.api('GET', `${slate.base}/people?limit=500`)).people.length;

  await page.getByLabel('Or paste the CSV').fill(csv('Grip'));
  await page.getByRole('button', { name: 'Check the file' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'What would be added' })).toBeVisible();
  await expect(page.locator('table.grid tbody tr')).toHaveCount(3);
  await expect(page.locator('table.grid tbody')).toContainText(`Sparky ${XSS(6)}`);
  await checkPage(page, watcher, 'office-import-preview');
  expect((await slate.api('GET', `${slate.base}/people?limit=500`)).people.length, 'a dry run adds nobody').toBe(before);
  await page.getByRole('button', { name: 'Import 3 people' }).click();
  await expect(page).toHaveURL(new RegExp(`${office}/people$`));
  await expect(page.getByText('3 people are added.')).toBeVisible();
  expect((await slate.api('GET', `${slate.base}/people?limit=500`)).people.length).toBe(before + 3);

  await page.getByLabel('Search by name').fill('wren, jun'); // a space and a comma: sent as %20 and %2C
  await expect(page.locator('table.people tbody tr')).toHaveCount(1);
  await expect(page.locator('table.people tbody tr')).toContainText('Wren, Junior');
  await expect(page.getByText('1 person', { exact: true })).toBeVisible();
});

test('a producer invites an AD from the members screen; the mailed link, followed in another browser, makes the account and the AD appears', async ({ browser }) => {
  const { page, watcher } = browsers.producer;
  await page.goto(`${office}/members`);
  await expect(page.getByRole('heading', { level: 1, name: 'Members' })).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill('alex.ad@example.org');
  await page.getByLabel('Role', { exact: true }).selectOption('ad');
  await page.getByRole('button', { name: 'Send the invitation' }).click();
  await expect(page.getByText('An invitation is on its way to alex.ad@example.org.')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Waiting to be accepted' })).toContainText('alex.ad@example.org');
  await checkPage(page, watcher, 'office-members');

  const link = await mailedLink(slate.server, 'alex.ad@example.org', 'invitation');
  const context = await browser.newContext({ baseURL: slate.origin });
  const ad = await context.newPage();
  const adWatcher = watch(ad);
  await ad.goto(link);
  await ad.getByLabel('Your name').fill(`Alex ${XSS(5)}`);
  await ad.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await ad.getByLabel('New password again').fill(PASSWORD);
  await ad.getByRole('button', { name: 'Create account and join' }).click();
  await expect(ad).toHaveURL(/\/callsheet$/);
  browsers.ad = { context, page: ad, watcher: adWatcher, email: 'alex.ad@example.org' };

  await page.reload();
  const row = page.getByRole('row', { name: new RegExp('alex\\.ad@example\\.org') });
  await expect(row).toContainText('assistant director');
  await expect(page.getByText('No invitation is waiting.')).toBeVisible();
});

test('an invitation sent again ends the old link, and a withdrawn one ends its own, each said before it is done', async () => {
  const { page } = browsers.producer;
  const email = 'kit.extra@example.org';
  const preview = (link) => request(slate.server, { method: 'POST', path: '/api/v1/invitations/preview',
    headers: { origin: slate.origin }, body: { token: new URL(link).hash.slice('#token='.length) } });
  await page.goto(`${office}/members`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send the invitation' }).click();
  await expect(page.getByText(`An invitation is on its way to ${email}.`)).toBeVisible();
  const first = await mailedLink(slate.server, email, 'invitation');
  expect((await preview(first)).status).toBe(200);

  const row = page.getByRole('row', { name: new RegExp(email.replace('.', '\\.')) });
  await row.getByRole('button', { name: 'Send again' }).click();
  await expect(row.getByText(/The link they have stops working/)).toBeVisible();
  await row.getByRole('button', { name: 'Yes, send a new link' }).click();
  await expect(page.getByText(`An invitation is on its way to ${email}.`)).toBeVisible();
  // the new link is the one in a mail to them that is not the first (two mails sent within one
  // second need not sort in the order they were sent)
  const second = await waitFor(() => {
    const dir = path.join(slate.server.data, 'mail');
    const links = fs.readdirSync(dir).filter((f) => f.endsWith('.eml'))
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .filter((m) => m.includes(`\r\nTo: ${email}\r\n`))
      .map((m) => (m.match(/https:\/\/[^\s/]+\/invitation#token=[A-Za-z0-9_-]{43}/) || [])[0]);
    return links.find((l) => l && l !== first) || null;
  }, { what: 'the second invitation mail' });
  expect((await preview(first)).status, 'the first link is dead').toBeGreaterThanOrEqual(400);
  expect((await preview(second)).status).toBe(200);

  await page.getByRole('row', { name: new RegExp(email.replace('.', '\\.')) }).getByRole('button', { name: 'Withdraw' }).click();
  await expect(page.getByText(/Their link stops working now/)).toBeVisible();
  await page.getByRole('button', { name: 'Yes, withdraw' }).click();
  await expect(page.getByText(`The invitation to ${email} is withdrawn.`)).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(email.replace('.', '\\.')) })).toHaveCount(0);
  expect((await preview(second)).status, 'the withdrawn link is dead').toBeGreaterThanOrEqual(400);
});

test('an AD builds a new shoot day: locations, scenes in order by keyboard and by dragging, a department call and two calls of their own', async () => {
  const { page, watcher } = browsers.ad;
  await page.goto(`${office}/schedule`);
  await expect(page.getByRole('heading', { level: 1, name: 'Schedule' })).toBeVisible();
  await page.getByRole('button', { name: 'Month' }).click();
  await expect(page.locator('table.month').first()).toBeVisible();
  await checkPage(page, watcher, 'office-schedule-month');
  await page.getByRole('button', { name: 'List' }).click();
  await checkPage(page, watcher, 'office-schedule');
  await page.getByLabel('Date').fill('2027-05-03');
  await page.getByLabel('General call').fill('07:30');
  await page.getByLabel('Wrap').fill('26:00');
  await page.getByRole('button', { name: 'Add a shoot day' }).click();
  await expect(page.getByText('The shoot day is added.')).toBeVisible();
  ids.day = new URL(page.url()).pathname.split('/').pop();

  await page.getByLabel(/^Bamburgh Beach/).check();
  await page.getByLabel(/^Seahouses Harbour/).check();
  await page.getByRole('button', { name: 'Save locations' }).click();
  await expect(page.getByText('Locations are saved.')).toBeVisible();

  const scenes = (await slate.api('GET', `${slate.base}/scenes`)).scenes;
  for (const n of ['1', '2', '3']) {
    await page.getByLabel('Add a scene', { exact: true }).selectOption(scenes.find((s) => s.number === n).id);
    await page.getByRole('button', { name: 'Add a scene' }).click();
    await expect(page.locator('.order li')).toHaveCount(Number(n));
  }
  // by keyboard: scene 3 up one place
  await page.getByRole('button', { name: 'Move scene 3 up' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.order li .scene-label')).toHaveText([/^Scene 1 /, /^Scene 3 /, /^Scene 2 /]);
  // by dragging: scene 2 onto scene 1
  await page.locator('.order li', { hasText: 'Scene 2 ' }).dragTo(page.locator('.order li', { hasText: 'Scene 1 ' }));
  await expect(page.locator('.order li .scene-label')).toHaveText([/^Scene 2 /, /^Scene 1 /, /^Scene 3 /]);
  await expect.poll(async () => (await slate.api('GET', `${slate.base}/days/${ids.day}`)).scenes.map((s) => s.number)).toEqual(['2', '1', '3']);

  await page.getByRole('textbox', { name: 'Call for Camera' }).fill('06:00');
  await page.getByRole('button', { name: 'Call Camera' }).click();
  await expect(page.getByText(/Camera is called at/)).toBeVisible();

  const grip = page.locator(`tr[data-person="${ids.grip.id}"]`);
  await grip.getByLabel(/^Call for/).fill('05:45');
  await grip.getByLabel(/^Call for/).press('Tab');
  await expect(grip.locator('.rowstate')).toHaveText('✓ saved');
  const cam = page.locator(`tr[data-person="${ids.camera.id}"]`);
  await cam.getByLabel(/^Pick-up for/).fill('05:15');
  await cam.getByLabel(/^Pick-up for/).press('Tab');
  await expect(cam.locator('.rowstate')).toHaveText('✓ saved');
  // a refusal stays on its row, named
  await grip.getByLabel(/^On set for/).fill('04:00');
  await grip.getByLabel(/^On set for/).press('Tab');
  await expect(grip.locator('.rowstate')).toContainText('On set:');
  await expect(grip.getByLabel(/^On set for/)).toHaveAttribute('aria-invalid', 'true');
  await grip.getByLabel(/^On set for/).fill('');
  await grip.getByLabel(/^On set for/).press('Tab');
  await expect(grip.locator('.rowstate')).toHaveText('✓ saved');
  await checkPage(page, watcher, 'office-day');

  const calls = (await slate.api('GET', `${slate.base}/days/${ids.day}/calls`)).calls;
  const byPerson = Object.fromEntries(calls.map((c) => [c.person_id, c]));
  expect(byPerson[ids.grip.id].call).toBe('05:45');
  expect(byPerson[ids.camera.id]).toMatchObject({ call: '06:00', call_from: 'department', pickup: '05:15' });
});

test('the AD previews the call sheet, publishes it, changes a call, sees exactly what changed, publishes again and follows the acknowledgements', async () => {
  const { page, watcher } = browsers.ad;
  await page.goto(`${office}/days/${ids.day}`);
  await page.getByRole('link', { name: 'Preview and publish the call sheet' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'The first version' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'Version 1 as it will be published' })).toBeVisible();
  const preview = page.locator('.sheet.preview');
  await expect(preview).toContainText('Bamburgh Beach');
  await expect(preview.getByRole('row', { name: new RegExp(ids.grip.name) })).toContainText('05:45');
  await checkPage(page, watcher, 'office-publish-first');
  await page.getByRole('button', { name: 'Publish version 1' }).click();
  await expect(page.getByText('Version 1 is published.')).toBeVisible();
  await expect(page.getByText(/^0 of \d+ acknowledged$/)).toBeVisible();

  // the grip's call moves: the preview says so before anything is sent
  await page.goto(`${office}/days/${ids.day}`);
  const grip = page.locator(`tr[data-person="${ids.grip.id}"]`);
  await grip.getByLabel(/^Call for/).fill('05:15');
  await grip.getByLabel(/^Call for/).press('Tab');
  await expect(grip.locator('.rowstate')).toHaveText('✓ saved');
  await page.getByRole('link', { name: 'Preview and publish the call sheet' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'What changes since version 1' })).toBeVisible();
  const changes = page.locator('ul.changes li');
  await expect(changes).toHaveText([`${ids.grip.name}: Call from 05:45 to 05:15`]);
  await checkPage(page, watcher, 'office-publish-diff');
  await page.getByRole('button', { name: 'Publish version 2' }).click();
  await expect(page.getByText('Version 2 is published.')).toBeVisible();

  // someone acknowledges: the list by name and department, and "not yet" only
  const version = (await slate.api('GET', `${slate.base}/days/${ids.day}/callsheets`)).callsheets.find((c) => c.version === 2);
  const acks = (await slate.api('GET', `${slate.base}/callsheets/${version.id}/acks`)).acknowledgements;
  expect(acks.map((a) => a.person_id)).toContain(ids.grip.id);
  // the camera person's record is the department head's own, and they acknowledge
  const head = browsers.head.session;
  await slate.api('PATCH', `${slate.base}/people/${ids.camera.id}`, { account_email: browsers.head.email });
  const linked = await call(slate.server, head, 'POST', `${slate.base}/people/${ids.camera.id}/confirm-link`);
  expect(linked.status).toBeLessThan(300);
  const acked = await call(slate.server, head, 'POST', `${slate.base}/callsheets/${version.id}/ack`);
  expect(acked.status).toBeLessThan(300);
  await page.reload();
  const total = acks.length;
  await expect(page.getByText(`1 of ${total} acknowledged`)).toBeVisible();
  await expect(page.locator('table.acks').getByRole('row', { name: /^Cam <img/ })).toContainText('✓');
  await page.getByLabel('Only those who have not acknowledged').check();
  await expect(page.locator('table.acks tbody tr')).toHaveCount(total - 1);
  await expect(page.locator('table.acks').getByRole('row', { name: /^Cam <img/ })).toHaveCount(0);
  await checkPage(page, watcher, 'office-publish-acks');
  await page.getByRole('button', { name: 'What changed in version 2' }).click();
  await expect(page.locator('ul.changes li').last()).toHaveText(`${ids.grip.name}: Call from 05:45 to 05:15`);
});

test('the AD sees each one\'s mail sent and reminds who has not acknowledged; the mailed link opens the recipient\'s own copy without signing in: their call, their PDF, Acknowledge, seen by the AD as by link', async ({ browser }) => {
  const version = (await slate.api('GET', `${slate.base}/days/${ids.day}/callsheets`)).callsheets.find((c) => c.version === 2);
  const grip = await slate.api('GET', `${slate.base}/people/${ids.grip.id}`);
  expect(grip.work_email, 'the demo grip has a work address').toBeTruthy();
  const gripMail = async () => (await slate.api('GET', `${slate.base}/callsheets/${version.id}/deliveries`)).deliveries.filter((d) => d.person_id === ids.grip.id);
  await waitFor(async () => (await gripMail()).some((d) => d.status === 'sent'), { what: 'the grip\'s mail sent' });

  // the AD: the mail column, and a reminder to the one who has not acknowledged (the grip)
  const ad = browsers.ad;
  const rowOf = (page) => page.locator('table.acks').getByRole('row', { name: new RegExp(ids.grip.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
  await ad.page.reload();
  await expect(rowOf(ad.page).locator('td[data-mail]')).toHaveAttribute('data-mail', 'sent');
  await expect(rowOf(ad.page)).toContainText('not yet');
  await ad.page.getByRole('button', { name: 'Remind the 1 who have not acknowledged' }).click();
  await expect(ad.page.getByText('Mail is on its way to 1.')).toBeVisible();
  await checkPage(ad.page, ad.watcher, 'office-publish-mail');
  await waitFor(async () => (await gripMail()).length === 2, { what: 'the reminder queued' });
  const link = await mailedLink(slate.server, grip.work_email, 'sheet');

  // a phone that has never signed in to Slate
  const context = await browser.newContext({ baseURL: slate.origin });
  const page = await context.newPage();
  const watcher = watch(page);
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Call sheet' })).toBeVisible();
  await expect(page).toHaveURL(/\/sheet$/); /* the token left the address bar */
  await expect(page.getByText(`Sent to ${ids.grip.name}.`, { exact: false })).toBeVisible();
  await expect(page.locator('.calltime')).toHaveText('05:15');
  await expect(page.locator('.sheet')).toContainText('Bamburgh Beach');
  // every call, as the PDF holds them: the hostile name of the camera person stays text
  await expect(page.locator('.sheet ul.calls li').filter({ hasText: /^Cam <img/ })).toContainText('06:00');
  await checkPage(page, watcher, 'sheet-link');
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my PDF' }).click()]);
  const printed = execFileSync('pdftotext', [await pdf.path(), '-'], { encoding: 'utf8' });
  expect(printed.slice(printed.indexOf('Your call'), printed.indexOf('Locations'))).toContain('05:15');
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.getByText('Acknowledged', { exact: false }).first()).toBeVisible();
  await checkPage(page, watcher, 'sheet-link-acknowledged');
  await context.close();

  await ad.page.reload();
  await expect(rowOf(ad.page)).toContainText('(by the mailed link)');
  await expect(ad.page.getByRole('button', { name: /^Remind the/ })).toHaveCount(0);
  await expect(ad.page.getByLabel(/^The personal link in the mail/), 'an AD does not change production settings').toHaveCount(0);

  // the producer turns link-only access off: the same link now asks for sign-in; then on again
  const producer = browsers.producer;
  await producer.page.goto(`${office}/days/${ids.day}/publish`);
  const linkAccess = producer.page.getByLabel(/^The personal link in the mail/);
  await expect(linkAccess).toBeChecked();
  await linkAccess.uncheck();
  await expect(producer.page.getByText('Mailed links now ask the recipient to sign in.')).toBeVisible();
  const again = await browser.newContext({ baseURL: slate.origin });
  const later = await again.newPage();
  await later.goto(link);
  await expect(later.getByText('This production shows its call sheets to signed-in people only.', { exact: false })).toBeVisible();
  await expect(later.locator('.calltime')).toHaveCount(0);
  await again.close();
  await linkAccess.check();
  await expect(producer.page.getByText('Mailed links open the call sheet without signing in.')).toBeVisible();
  expect((await slate.api('GET', slate.base)).link_access).toBe(true);

  // automatic reminders: a bad number is refused by the field, then 12 hours is kept, then off again
  const hours = producer.page.getByLabel('Remind automatically, hours before general call');
  await hours.fill('80');
  await producer.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(producer.page.getByText('A whole number of hours from 0 to 72.')).toBeVisible();
  await hours.fill('12');
  await producer.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(producer.page.getByText('Whoever has not acknowledged is reminded 12 hours before general call.')).toBeVisible();
  expect((await slate.api('GET', slate.base)).remind_hours_before).toBe(12);
  await checkPage(producer.page, producer.watcher, 'office-publish-settings');
  await hours.fill('0');
  await producer.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(producer.page.getByText('No automatic reminders.')).toBeVisible();
  expect((await slate.api('GET', slate.base)).remind_hours_before).toBe(0);
});

test('a department head edits their own department\'s calls, has no control for another, and a forged request is refused', async () => {
  const { page, watcher } = browsers.head;
  await page.goto(`${office}/days/${ids.day}`);
  await expect(page.getByRole('heading', { level: 2, name: 'Calls', exact: true })).toBeVisible();
  await expect(page.locator(`tr[data-person="${ids.grip.id}"]`)).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'Call for Grip' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save the day' })).toHaveCount(0);
  const cam = page.locator(`tr[data-person="${ids.camera.id}"]`);
  await cam.getByLabel(/^Call for/).fill('05:30');
  await cam.getByLabel(/^Call for/).press('Tab');
  await expect(cam.locator('.rowstate')).toHaveText('✓ saved');
  await checkPage(page, watcher, 'office-day-department-head');
  const gripCall = async () => (await slate.api('GET', `${slate.base}/days/${ids.day}/calls`)).calls.find((c) => c.person_id === ids.grip.id).call;
  const was = await gripCall();
  expect(await fromPage(page, 'PUT', `${slate.base}/days/${ids.day}/calls/${ids.grip.id}`, { call: '04:00' })).toBe(403);
  expect(await fromPage(page, 'PUT', `${slate.base}/days/${ids.day}/department-calls/${(await slate.api('GET', `${slate.base}/departments`)).departments.find((d) => d.name === 'Grip').id}`, { call: '04:00' })).toBe(403);
  expect(await gripCall(), 'the forged requests wrote nothing').toBe(was);
});

test('a producer revokes a member, told first what it does, and the member\'s open page is refused on its next action', async () => {
  const { page, watcher } = browsers.producer;
  const head = browsers.head.page;
  await page.goto(`${office}/members`);
  const row = page.getByRole('row', { name: /dana\.camera@example\.org/ });
  await row.getByRole('button', { name: 'Revoke access' }).click();
  await expect(row.getByText(/loses access to this production now/)).toBeVisible();
  await checkPage(page, watcher, 'office-members-revoke');
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(page.getByText(/access is revoked/)).toBeVisible();
  await expect(page.getByRole('row', { name: /dana\.camera@example\.org/ })).toContainText('revoked');

  const cam = head.locator(`tr[data-person="${ids.camera.id}"]`);
  await cam.getByLabel(/^Call for/).fill('05:00');
  await cam.getByLabel(/^Call for/).press('Tab');
  await expect(cam.locator('.rowstate')).not.toHaveText(/saved|Saving/);
  const c = (await slate.api('GET', `${slate.base}/days/${ids.day}/calls`)).calls.find((x) => x.person_id === ids.camera.id);
  expect(c.call, 'nothing written after the revocation').toBe('05:30');
});

test('a producer adds a confidential location with its coordinates; the map is a link the person follows, never loaded into the page', async () => {
  const { page, watcher } = browsers.producer;
  const elsewhere = [];
  page.on('request', (r) => { if (!r.url().startsWith(slate.origin)) elsewhere.push(r.url()); });
  await page.goto(`${office}/locations`);
  await expect(page.getByRole('heading', { level: 1, name: 'Locations' })).toBeVisible();
  await checkPage(page, watcher, 'office-locations');
  await page.getByLabel('Name', { exact: true }).fill(`Quarry ${XSS(7)}`);
  await page.getByLabel('Address', { exact: true }).fill('Howick Quarry, Northumberland');
  await page.getByLabel('Latitude', { exact: true }).fill('55.4501');
  await page.getByLabel('Longitude', { exact: true }).fill('-1.5902');
  await page.getByLabel('Parking', { exact: true }).fill('Lay-by on the B1339');
  await page.getByLabel(/^Confidential/).check();
  await page.getByRole('button', { name: 'Add a location' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Quarry ${XSS(7)}` })).toBeVisible();
  const osm = page.getByRole('link', { name: 'Open in OpenStreetMap' });
  await expect(osm).toHaveAttribute('href', 'https://www.openstreetmap.org/?mlat=55.4501&mlon=-1.5902#map=16/55.4501/-1.5902');
  await expect(osm).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(page.getByText(/^Confidential: /)).toBeVisible();
  await checkPage(page, watcher, 'office-location');
  expect(elsewhere, 'nothing was fetched from another site').toEqual([]);
  const saved = (await slate.api('GET', `${slate.base}/locations`)).locations.find((l) => l.name.startsWith('Quarry'));
  expect(saved).toMatchObject({ confidential: true, latitude: 55.4501, longitude: -1.5902, parking: 'Lay-by on the B1339' });
});

test('sustainability: an entry made with the factor picker shows in the entries, the totals and the server\'s chart; a CSV with a bad row is refused, fixed and imported', async () => {
  const { page, watcher } = browsers.producer;
  await page.goto(`${office}/sustainability`);
  await expect(page.getByRole('heading', { level: 1, name: 'Sustainability' })).toBeVisible();
  const before = (await slate.api('GET', `${slate.base}/sustainability/report`)).total;
  await page.getByLabel('Shoot day', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel('Department', { exact: true }).selectOption({ label: 'Electric' });
  await page.getByLabel('Find a factor (activity, category)').fill('gas oil');
  const picker = page.getByLabel('Emission factor');
  await expect(picker.locator('option')).not.toHaveCount(0);
  await picker.selectOption('gas-oil');
  await expect(page.getByText(/kg CO2e per litres\. Source: UK DESNZ/)).toBeVisible();
  await page.getByLabel('Quantity', { exact: true }).fill('100');
  await expect(page.getByLabel('Unit', { exact: true })).toHaveValue('L');
  await page.getByLabel('Note', { exact: true }).fill(`generator ${XSS(8)}`);
  await page.getByRole('button', { name: 'Add an entry' }).click();
  await expect(page.getByText('The entry is added.')).toBeVisible();
  const after = (await slate.api('GET', `${slate.base}/sustainability/report`)).total;
  expect(after.entries).toBe(before.entries + 1);
  await expect(page.getByText(new RegExp(`from ${after.entries} entries`))).toBeVisible();
  const chart = page.getByRole('img', { name: 'CO2e by category (bar chart)' });
  await chart.scrollIntoViewIfNeeded();
  await expect.poll(() => chart.evaluate((img) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await checkPage(page, watcher, 'office-sustainability');

  const day = (await slate.api('GET', `${slate.base}/days`)).days[0];
  const csv = (unit) => `day_id,department,factor,quantity,unit,note\n${day.id},Transport,gas-oil,40,L,van\n${day.id},Transport,gas-oil,12,${unit},truck\n`;
  const box = page.getByRole('form', { name: 'Import a CSV file' });
  await box.getByLabel('Or paste the CSV').fill(csv('parsecs'));
  await box.getByRole('button', { name: 'Check the file' }).click();
  await expect(page.locator('ul.errors li')).toHaveText([/^Row 3, unit: /]);
  await box.getByLabel('Or paste the CSV').fill(csv('L'));
  await box.getByRole('button', { name: 'Check the file' }).click();
  await expect(page.getByText(/^2 entries, [\d.]+ t CO2e in all\.$/)).toBeVisible();
  // the page's entries come late (a slow network): "added" is said only with the rows it speaks
  // of, so a click that follows it lands on the new page, never on the one it replaces
  const late = (route) => new Promise((r) => setTimeout(r, 1500)).then(() => route.continue());
  await page.route('**/sustainability/entries?limit=1000', late);
  await page.getByRole('button', { name: 'Import 2 entries' }).click();
  await expect(page.getByText('2 entries are added.')).toBeVisible();
  expect(await page.locator('tr[data-entry]').count()).toBe(after.entries + 2);
  await page.unroute('**/sustainability/entries?limit=1000', late);
  expect((await slate.api('GET', `${slate.base}/sustainability/report`)).total.entries).toBe(after.entries + 2);

  // the entry is corrected in place: its CO2e worked out again from the same factor
  const mine = (await slate.api('GET', `${slate.base}/sustainability/entries?limit=1000`)).entries.find((e) => (e.note || '').startsWith('generator <img'));
  const row = page.locator(`tr[data-entry="${mine.id}"]`);
  await row.getByRole('button', { name: 'Change' }).click();
  await row.getByLabel('Quantity', { exact: true }).fill('150');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('The entry is changed.')).toBeVisible();
  const changed = await slate.api('GET', `${slate.base}/sustainability/entries/${mine.id}`);
  expect(changed.quantity).toBe(150);
  expect(changed.kg_co2e).toBeCloseTo(mine.kg_co2e * 1.5, 2);

  // evidence: a receipt attached to it, stored by the API and offered back as a download
  await page.getByLabel('Entry', { exact: true }).selectOption(mine.id);
  await page.getByLabel('Receipt or delivery note (image or PDF)').setInputFiles({
    name: 'receipt.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% a receipt for 150 L of gas oil\n%%EOF\n'),
  });
  await page.getByRole('button', { name: 'Attach evidence' }).click();
  await expect(page.getByText('The evidence is attached, stored encrypted.')).toBeVisible();
  await expect(page.locator(`tr[data-entry="${mine.id}"]`).getByRole('link', { name: 'Evidence' })).toBeVisible();
  expect((await slate.api('GET', `${slate.base}/sustainability/entries/${mine.id}`)).evidence_id).toBeTruthy();

  await page.getByRole('button', { name: 'Preview the recalculation' }).click();
  await expect(page.getByText(/entries would change: from/)).toBeVisible();
  await checkPage(page, watcher, 'office-sustainability-settings');
});

test('exports download with the session, and the audit log filters by action and by person', async () => {
  const { page, watcher } = browsers.producer;
  await page.goto(`${office}/records`);
  await expect(page.getByRole('heading', { level: 1, name: 'Exports and audit' })).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Everything, as JSON' }).click()]);
  const data = JSON.parse(await (await import('node:fs')).promises.readFile(await download.path(), 'utf8'));
  expect(data.production.id).toBe(slate.prod.id);
  await expect(page.locator('table.audit tbody tr').first()).toBeVisible();
  await page.getByLabel('Action', { exact: true }).fill('person.');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.locator('table.audit tbody tr').first()).toBeVisible();
  const actions = await page.locator('table.audit tbody tr td:nth-child(2)').allTextContents();
  expect(actions.length).toBeGreaterThan(0);
  for (const a of actions) expect(a.startsWith('person.')).toBe(true);
  await page.getByLabel('Action', { exact: true }).fill('not an action!');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByLabel('Action', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Action', { exact: true }).fill('');
  await page.getByLabel('By or about').selectOption(ids.camera.id);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.locator('table.audit tbody tr').first()).toBeVisible();
  const about = await page.locator('table.audit tbody tr td:nth-child(5)').allTextContents();
  expect(about.some((x) => x.includes('Cam '))).toBe(true);
  await checkPage(page, watcher, 'office-records');
});

test('an instance administrator adds an account (its one-time password shown once), disables it with its sessions, and enables it', async ({ browser }) => {
  // the first administrator of the instance, signed in through the page with a recovery code
  const context = await browser.newContext({ baseURL: slate.origin });
  const page = await context.newPage();
  const watcher = watch(page);
  browsers.admin = { context, page, watcher };
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill('admin@localhost');
  await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Code from your authenticator app, or a recovery code').fill(slate.admin.mfa.recoveryCodes[0]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/callsheet$/);
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Administration' })).toBeVisible();
  await checkPage(page, watcher, 'admin');

  await page.getByLabel('Email', { exact: true }).fill('sam.new@example.org');
  await page.getByLabel('Name shown').fill(`Sam ${XSS(9)}`);
  await page.getByRole('button', { name: 'Add an account' }).click();
  await expect(page.getByText('The account sam.new@example.org is added.')).toBeVisible();
  const oneTime = await page.locator('#one-time code').textContent();
  expect(oneTime).toMatch(/^\S{20}$/);
  const row = page.getByRole('row', { name: /sam\.new@example\.org/ });
  await expect(row).toContainText('must choose a password');

  // Sam signs in elsewhere with it; disabling signs Sam out at once
  const sam = await newAccountFromPassword('sam.new@example.org', oneTime);
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(row.getByText(/signed out everywhere now/)).toBeVisible();
  await row.getByRole('button', { name: 'Yes, disable' }).click();
  await expect(page.getByText('sam.new@example.org is disabled.')).toBeVisible();
  expect((await call(slate.server, sam, 'GET', '/api/v1/me')).status).toBe(401);
  await page.getByRole('row', { name: /sam\.new@example\.org/ }).getByRole('button', { name: 'Enable' }).click();
  await page.getByRole('button', { name: 'Yes, enable' }).click();
  await expect(page.getByText('sam.new@example.org is enabled.')).toBeVisible();
  await checkPage(page, watcher, 'admin-accounts');
});
