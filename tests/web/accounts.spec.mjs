// The account pages as people meet them: a first sign-in with a one-time
// password, sign-in from the keyboard alone, the throttle's wait said
// plainly, a forgotten password reset by the mailed link, an invitation
// for someone who already has an account (accepted after signing in), and
// a production that requires a second factor sending its member to enrol.
import { test, expect } from '@playwright/test';
import { startSlate, mailedLink, watch, checkPage, runSlate, SHOTS } from './lib/slate.mjs';

test.describe.configure({ mode: 'serial' });

const EMAIL = 'sam.script@example.org';
const PASSWORD = 'continuity polaroids in a ring binder';
const RESET = 'a fresh passphrase after the wrap party';
let slate, context, page, watcher, oneTime;

test.beforeAll(async ({ browser }) => {
  slate = await startSlate();
  const add = runSlate(['user', 'add', '--email', EMAIL, '--name', 'Sam', '--data', slate.server.data, '--json']);
  expect(add.code, add.stderr).toBe(0);
  oneTime = JSON.parse(add.stdout).password;
  context = await browser.newContext({ baseURL: slate.origin });
  page = await context.newPage();
  watcher = watch(page);
});

test.afterAll(async () => {
  await context?.close();
  await slate?.server.stop();
});

async function signIn(email, password) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a page that needs a session sends me to sign in, from the keyboard alone, with focus always visible', async () => {
  await page.goto('/my-details');
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByLabel('Code from your authenticator app, or a recovery code'), 'asked for only when the account has one').toBeHidden();
  await checkPage(page, watcher, 'sign-in-first');
  await page.keyboard.press('Tab');
  // skip link, brand, then the form: reach the email field by Tab, as a keyboard user does
  let guard = 0;
  while (!(await page.getByLabel('Email').evaluate((el) => el === document.activeElement)) && guard++ < 10) {
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    expect(outline, 'the focused control shows its focus').not.toBe('none');
    await page.keyboard.press('Tab');
  }
  await page.keyboard.type(EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type(oneTime);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/first-password$/);
});

test('a one-time password is replaced first, with the policy\'s reason by the field', async () => {
  await expect(page.getByRole('heading', { level: 1, name: 'Choose your password' })).toBeVisible();
  await page.getByLabel('One-time password').fill(oneTime);
  await page.getByLabel('New password', { exact: true }).fill('password1234');
  await page.getByLabel('New password again').fill('password1234');
  await page.getByRole('button', { name: 'Save password' }).click();
  const field = page.getByLabel('New password', { exact: true });
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  const reason = await page.locator('#' + (await field.getAttribute('aria-describedby')).split(' ').pop()).textContent();
  expect(reason.length).toBeGreaterThan(5);
  await checkPage(page, watcher, 'first-password');
  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('New password again').fill(PASSWORD + 'x');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByText('The two passwords are not the same.')).toBeVisible();
  await page.getByLabel('New password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).toHaveURL(/\/my-details$/);
  await expect(page.getByText('The production office has not linked', { exact: false }).or(page.getByRole('heading', { name: 'Where you are signed in' }))).toBeVisible();
});

test('an invitation for an existing account is accepted after signing in, and a production that requires a second factor sends me to enrol', async () => {
  await slate.api('PATCH', slate.base, { require_mfa: true });
  await slate.api('POST', `${slate.base}/invitations`, { email: EMAIL, role: 'cast' });
  const link = await mailedLink(slate.server, EMAIL, 'invitation');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto(link);
  await expect(page.getByText(`You are invited to join ${slate.prod.name} as cast.`)).toBeVisible();
  await expect(page.getByText('You already have an account with this address.', { exact: false })).toBeVisible();
  await checkPage(page, watcher, 'invitation-existing');
  await page.getByRole('button', { name: 'Sign in to accept' }).click();
  await signIn(EMAIL, PASSWORD);
  await expect(page).toHaveURL(/\/invitation$/);
  await page.getByRole('button', { name: 'Accept and join' }).click();
  await expect(page).toHaveURL(/\/second-factor$/);
  await expect(page.getByText('Your production requires a second factor.', { exact: false })).toBeVisible();
  await page.goto('/callsheet');
  await expect(page).toHaveURL(/\/second-factor$/);
  // the link again: spent
  await page.goto(link);
  await expect(page.getByText('This invitation is no longer valid', { exact: false })).toBeVisible();
  await checkPage(page, watcher, 'invitation-spent');
});

test('a forgotten password: the same answer for any address, then the mailed link sets a new one', async () => {
  await page.goto('/sign-in');
  const out = page.getByRole('button', { name: 'Sign out', exact: true });
  if (await out.count()) await out.click();
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeVisible();
  await checkPage(page, watcher, 'forgot-password');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByText('If an account has this address, a link is on its way.', { exact: false })).toBeVisible();
  const link = await mailedLink(slate.server, EMAIL, 'reset-password');
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Set a new password' })).toBeVisible();
  await checkPage(page, watcher, 'reset-password');
  await page.getByLabel('New password', { exact: true }).fill(RESET);
  await page.getByLabel('New password again').fill(RESET);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByText('Your password is set', { exact: false })).toBeVisible();
  await signIn(EMAIL, RESET);
  await expect(page).toHaveURL(/\/second-factor$/);
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill(RESET + ' again');
  await page.getByLabel('New password again').fill(RESET + ' again');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByText('This link is no longer valid', { exact: false })).toBeVisible();
});

test('a person closes their own account in My details, then changes their mind at sign-in and reopens it', async () => {
  const leaving = 'lee.leaving@example.org';
  const add = runSlate(['user', 'add', '--email', leaving, '--name', 'Lee', '--data', slate.server.data, '--json']);
  expect(add.code, add.stderr).toBe(0);
  await page.goto('/sign-in');
  const out = page.getByRole('button', { name: 'Sign out', exact: true });
  if (await out.count()) await out.click();
  await signIn(leaving, JSON.parse(add.stdout).password);
  await expect(page).toHaveURL(/\/first-password$/);
  await page.getByLabel('One-time password').fill(JSON.parse(add.stdout).password);
  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('New password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).not.toHaveURL(/\/first-password$/);

  await page.goto('/my-details');
  const part = page.getByRole('region', { name: 'Close my account' }).or(page.locator('section', { has: page.getByRole('heading', { name: 'Close my account' }) }));
  await expect(part.getByRole('heading', { name: 'Close my account' })).toBeVisible();
  // not without saying so, and not with a wrong password
  await part.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await part.getByRole('button', { name: 'Close my account' }).click();
  await expect(part.getByText('Tick the box to say you understand.')).toBeVisible();
  await part.getByLabel('I understand that everything Slate holds about me will be deleted').check();
  await part.getByLabel('Password', { exact: true }).fill('not my password at all');
  await part.getByRole('button', { name: 'Close my account' }).click();
  await expect(part.getByText('is not your password')).toBeVisible();
  await part.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await part.locator('form').screenshot({ path: `${SHOTS}/close-account-form.png` });
  await part.getByRole('button', { name: 'Close my account' }).click();

  // signed out, told when it goes
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByText(/Your account is closed\. Slate deletes it for good on \w+day,? \d+ \w+,? \d{4}\./)).toBeVisible();
  await checkPage(page, watcher, 'account-closed');
  // the right password: closed, with the date, and the button reopens it
  await signIn(leaving, PASSWORD);
  await expect(page.getByText(/This account is closed\. Slate deletes it for good on/)).toBeVisible();
  await checkPage(page, watcher, 'account-closed-sign-in');
  await page.getByRole('button', { name: 'Reopen my account' }).click();
  await expect(page).not.toHaveURL(/\/sign-in$/);
  await page.goto('/my-details');
  await expect(page.getByRole('heading', { name: 'Close my account' })).toBeVisible();
});

test('the throttle\'s wait is said plainly', async () => {
  await page.goto('/sign-in');
  const out = page.getByRole('button', { name: 'Sign out', exact: true });
  if (await out.count()) await out.click();
  for (let i = 0; i < 12; i++) {
    await signIn('nobody.here@example.org', `wrong password number ${i}`);
    const said = page.locator('.status[data-kind="error"]');
    await expect(said).toBeVisible();
    if (/Too many attempts/.test(await said.textContent())) break;
  }
  await expect(page.getByText(/Too many attempts\. Try again in \d+ (seconds|minutes)\./)).toBeVisible();
  await checkPage(page, watcher, 'sign-in-throttled');
});
