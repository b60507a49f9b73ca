/*
 * text.js — every word the web app shows, in one place, so that a
 * translation is one more table. t('key', {name: …}) fills {name} in.
 * Numbers, dates and times are not here: format.js formats them with the
 * browser's locale (Intl) in the production's time zone.
 */

const en = {
  app: 'Slate',
  skip: 'Skip to content',
  loading: 'Loading…',
  offline: 'No connection. Showing what was kept on this device, last updated {when}.',
  offlineNothing: 'No connection, and nothing is kept on this device yet. Try again when you have signal.',
  error: 'Something went wrong: {detail}',
  retry: 'Try again',
  signOut: 'Sign out',
  nav: 'Main',
  navCallsheet: 'My call sheet',
  navProductions: 'My productions',
  navDetails: 'My details',

  signInTitle: 'Sign in',
  email: 'Email',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  wrongCredentials: 'That email and password do not match an account.',
  totpTitle: 'Second factor',
  totpLabel: 'Code from your authenticator app, or a recovery code',
  totpHint: 'Six digits, or a recovery code like ABCD-EFGH-JKLM-NPQR.',
  totpWrong: 'That code is not right, or it was used already. Wait for the next code and try again.',
  throttled: 'Too many attempts. Try again in {wait}.',
  throttledNoWait: 'Too many attempts. Try again later.',
  forgotLink: 'Forgot your password?',
  signedOut: 'You are signed out. Everything this device kept of Slate has been deleted.',
  sessionEnded: 'Your session has ended. Sign in again.',
  seconds: '{n} seconds',
  minutes: '{n} minutes',

  firstTitle: 'Choose your password',
  firstIntro: 'You signed in with a one-time password. Choose your own before you go on.',
  currentPassword: 'One-time password',
  newPassword: 'New password',
  newPasswordHint: 'At least 12 characters. Not a dictionary word, not your email, not one character repeated.',
  confirmPassword: 'New password again',
  mismatch: 'The two passwords are not the same.',
  savePassword: 'Save password',
  wrongCurrent: 'The one-time password is not right.',

  forgotTitle: 'Reset your password',
  forgotIntro: 'Give the email address of your account. If it has one, a link to set a new password is sent there; it works for 30 minutes.',
  sendLink: 'Send the link',
  forgotSent: 'If an account has this address, a link is on its way. Check your mail.',
  resetTitle: 'Set a new password',
  resetDone: 'Your password is set, and every other session of your account has ended. Sign in with the new password.',
  linkInvalid: 'This link is no longer valid: it was used, it expired, or a newer one was sent. Ask for a new one.',
  linkMissing: 'This page needs the link from your mail. Open the link again, or ask for a new one.',
  toSignIn: 'Go to sign in',

  inviteTitle: 'Your invitation',
  inviteIntro: 'You are invited to join {production} as {role}.',
  inviteFor: 'The invitation is for {email}.',
  inviteNew: 'Create your account to accept it.',
  inviteExisting: 'You already have an account with this address. Sign in to accept.',
  displayName: 'Your name',
  displayNameHint: 'As the production office and your colleagues should see it.',
  createAccount: 'Create account and join',
  accept: 'Accept and join',
  signInToAccept: 'Sign in to accept',
  inviteAccepted: 'You have joined {production}.',
  inviteInvalid: 'This invitation is no longer valid: it was used, withdrawn or it expired. Ask the production office for a new one.',
  inviteWrongAccount: 'You are signed in as {email}, but the invitation is for another address. Sign out, then open the link again.',

  mfaTitle: 'Second factor',
  mfaRequired: 'Your production requires a second factor. Set it up to go on.',
  mfaIntro: 'A second factor keeps your account safe if your password leaks: after your password, Slate asks for a code from an authenticator app on your phone.',
  mfaEnrolled: 'Your account has a second factor.',
  mfaStart: 'Set up a second factor',
  mfaScan: 'Scan this code with your authenticator app',
  mfaQrAlt: 'QR code for your authenticator app',
  mfaSecret: 'Or type this key into the app:',
  mfaConfirmCode: 'Code shown by the app',
  mfaConfirm: 'Confirm',
  mfaCodeWrong: 'That code is not right. Check the time on your phone and try the next code.',
  recoveryTitle: 'Your recovery codes',
  recoveryIntro: 'Each code signs you in once if you lose your phone. Keep them somewhere safe: they are shown only now.',
  copy: 'Copy',
  copied: 'Copied.',
  copyFailed: 'Copying is not allowed here; select the codes and copy them by hand.',
  download: 'Download as text',
  recoveryFile: 'Slate recovery codes for {email}\n\n{codes}\n\nEach code works once.\n',
  continue: 'Continue',
  mfaDisable: 'Turn off the second factor',
  mfaDisableHint: 'Give a current code from your app to turn it off.',
  mfaDisabled: 'The second factor is off.',
  mfaCannotDisable: 'A production you belong to requires a second factor, so it cannot be turned off.',

  productionsTitle: 'My productions',
  noProductions: 'You are not a member of any production yet. Your invitation mail has a link to join.',
  yourRole: 'Your role: {role}',
  timezone: 'Time zone: {tz}',

  callsheetTitle: 'My call sheet',
  today: 'Today',
  next: 'Next shoot day',
  noCallsheets: 'No published call sheet for today or your next shoot day yet.',
  dayOf: 'Day {day} of {of}',
  version: 'Version {v}, published {when}',
  cancelled: 'This shoot day is cancelled.',
  yourCall: 'Your call',
  notCalled: 'You are not called on this day.',
  pickup: 'Pick-up',
  hairMakeup: 'Hair and make-up',
  onSet: 'On set',
  castStatus: 'Status',
  generalCall: 'General call',
  wrap: 'Wrap (estimate)',
  sunrise: 'Sunrise',
  sunset: 'Sunset',
  locations: 'Locations',
  address: 'Address',
  openMap: 'Open in maps',
  parking: 'Parking',
  hospital: 'Nearest hospital',
  access: 'Access',
  scenes: 'Scenes',
  sceneNumber: 'Scene {n}',
  pages: '{n} pages',
  castList: 'Cast: {names}',
  departmentCall: 'Your department\'s call',
  departmentCalls: 'Department calls',
  department: 'Department',
  name: 'Name',
  role: 'Role',
  keyContacts: 'Key contacts',
  acknowledge: 'Acknowledge',
  acknowledged: 'Acknowledged',
  ackQueued: 'Acknowledged on this device. It is sent when you are back online.',
  ackSent: 'Thank you: the production office can see you have read this version.',
  newVersion: 'New version {v}: read it and acknowledge it again.',
  newVersionSeen: 'New version {v}.',
  changedFor: 'What changed for you:',
  changed: '{field}: from {from} to {to}',
  none: 'none',
  nextDay: '(next day)',

  detailsTitle: 'My details',
  myRecord: 'My entry in {production}',
  noRecord: 'The production office has not linked an entry to your account yet.',
  personalPhone: 'Personal phone',
  personalEmail: 'Personal email',
  emergencyContact: 'Emergency contact',
  dietary: 'Dietary notes',
  workPhone: 'Work phone',
  workEmail: 'Work email',
  jobTitle: 'Job title',
  save: 'Save',
  saved: 'Saved.',
  calendarTitle: 'Calendar',
  calendarIntro: 'A private link your calendar app can subscribe to. Anyone with the link sees your calls: asking for a new link ends the old one.',
  calendarNew: 'Get my calendar link',
  calendarLink: 'Your calendar link (shown once):',
  sessionsTitle: 'Where you are signed in',
  thisDevice: 'this device',
  lastSeen: 'last active {when}',
  signOutElsewhere: 'Sign out everywhere else',
  signedOutElsewhere: 'Every other session has ended.',
  exportsTitle: 'My data',
  exportIntro: 'Download what {production} holds about you, as JSON.',
  exportLink: 'Download my data from {production}',
  securityTitle: 'Security',
  mfaLink: 'Second factor',
  unknownBrowser: 'Unknown browser',

  roles: {
    production_admin: 'production admin', producer: 'producer', ad: 'assistant director',
    department_head: 'department head', crew: 'crew', cast: 'cast',
  },
  fields: {
    call: 'Call', call_from: 'Call at', pickup: 'Pick-up', hair_makeup: 'Hair and make-up',
    on_set: 'On set', general_call: 'General call', locations: 'Locations',
  },
  notFoundTitle: 'Page not found',
  notFound: 'There is no such page.',
};

const table = en;

export function t(key, vars = {}) {
  const s = key.split('.').reduce((o, k) => (o == null ? o : o[k]), table);
  if (typeof s !== 'string') return key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function roleName(role) {
  return table.roles[role] || role;
}

export function fieldName(f) {
  return table.fields[f] || f;
}

/* What to say for a failed API call: no signal, or the API's own reason. */
export function problemText(err) {
  return err && err.offline ? t('offlineNothing') : t('error', { detail: err && err.message });
}
