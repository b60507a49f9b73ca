/*
 * signin.js — /sign-in: email and password, then, for an account with a
 * second factor, the authenticator code or a recovery code. The API says
 * which: a missing code answers 401 naming /totp. A throttled attempt
 * (429) says how long to wait, from Retry-After. A closed account (409,
 * with the right password and code) says when it will be deleted and
 * offers to reopen it (the same sign-in with "reopen": true).
 */
import { h, show, field, statusLine, link, busy } from '../dom.js';
import { post, ApiError } from '../api.js';
import { t, problemText } from '../text.js';
import { formatDate, formatWait } from '../format.js';

export function render(ctx) {
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  const email = field(t('email'), { type: 'email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email' });
  const pass = field(t('password'), { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const totp = field(t('totpLabel'), { type: 'text', name: 'totp', autocomplete: 'one-time-code', inputmode: 'text', spellcheck: 'false', autocapitalize: 'characters' }, t('totpHint'));
  totp.row.hidden = true;
  const submit = h('button', { type: 'submit', class: 'primary' }, t('signIn'));
  const form = h('form', { novalidate: true }, email.row, pass.row, totp.row, submit);
  let reopening = false; /* the account is closed and its person chose to reopen it */

  form.addEventListener('submit', busy(submit, async () => {
    note.say('');
    totp.setError(null);
    const body = { email: email.input.value.trim(), password: pass.input.value };
    if (!totp.row.hidden) body.totp = totp.input.value.trim();
    if (reopening) body.reopen = true;
    try {
      await post('/api/v1/auth/login', body);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const asked = !totp.row.hidden;
      if (err.status === 401 && ('totp' in err.fields || asked)) {
        totp.row.hidden = false;
        if (asked) totp.setError(t('totpWrong'));
        totp.input.value = '';
        totp.input.focus();
        return;
      }
      if (err.status === 409 && err.problem.deletion_due) {
        /* the account's own person, with the right password: closed, and may be reopened by
           signing in again with reopen (a second factor's code counts once: a new one then) */
        reopening = true;
        submit.textContent = t('reopenButton');
        note.say(t('accountClosed', { date: formatDate(err.problem.deletion_due.slice(0, 10)) }), 'error');
        if (!totp.row.hidden) {
          totp.input.value = '';
          totp.input.focus();
        }
        return;
      }
      if (err.status === 429) note.say(err.retryAfter ? t('throttled', { wait: formatWait(err.retryAfter) }) : t('throttledNoWait'), 'error');
      else if (err.status === 401) note.say(t('wrongCredentials'), 'error');
      else note.say(problemText(err), 'error');
      return;
    }
    pass.input.value = '';
    await ctx.afterSignIn();
  }));

  show(t('signInTitle'),
    h('h1', null, t('signInTitle')), note, form,
    h('p', null, link('/forgot-password', t('forgotLink'))));
}
