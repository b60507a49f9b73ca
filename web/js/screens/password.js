/*
 * password.js — the three password pages:
 *   /first-password   a one-time password replaced by the person's own
 *   /forgot-password  ask for a reset link (the same answer whether or not
 *                     an account has the address: the API's promise)
 *   /reset-password#token=…  set a new password with the mailed link; the
 *                     token stays in the fragment, which is never sent to
 *                     the server in a URL nor in a Referer
 * The password policy is the API's: its reasons are shown by the field.
 */
import { h, show, field, statusLine, link, busy } from '../dom.js';
import { post, ApiError, showFieldErrors } from '../api.js';
import { t, problemText } from '../text.js';

/* The token of a mailed link: "#token=…" */
export function fragmentToken() {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]{20,128})(?:&|$)/.exec(location.hash);
  return m ? m[1] : null;
}

/* New password twice; returns the rows and a check that they match. */
function newPasswordFields() {
  const next = field(t('newPassword'), { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: 12 }, t('newPasswordHint'));
  const again = field(t('confirmPassword'), { type: 'password', name: 'confirm_password', autocomplete: 'new-password', required: true });
  const matches = () => {
    const ok = next.input.value === again.input.value;
    again.setError(ok ? null : t('mismatch'));
    if (!ok) again.input.focus();
    return ok;
  };
  return { next, again, matches };
}

export const first = {
  render(ctx) {
    const note = statusLine();
    const current = field(t('currentPassword'), { type: 'password', name: 'current_password', autocomplete: 'current-password', required: true });
    const { next, again, matches } = newPasswordFields();
    const submit = h('button', { type: 'submit', class: 'primary' }, t('savePassword'));
    const form = h('form', { novalidate: true }, current.row, next.row, again.row, submit);
    form.addEventListener('submit', busy(submit, async () => {
      note.say('');
      current.setError(null);
      next.setError(null);
      if (!matches()) return;
      try {
        await post('/api/v1/me/password', { current_password: current.input.value, new_password: next.input.value });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 403) current.setError(t('wrongCurrent'));
        else if (!showFieldErrors(err, { new_password: next.setError, current_password: current.setError })) note.say(problemText(err), 'error');
        return;
      }
      await ctx.afterSignIn();
    }));
    show(t('firstTitle'), h('h1', null, t('firstTitle')), h('p', null, t('firstIntro')), note, form);
  },
};

export const forgot = {
  render() {
    const note = statusLine();
    const email = field(t('email'), { type: 'email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email' });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('sendLink'));
    const form = h('form', { novalidate: true }, email.row, submit);
    form.addEventListener('submit', busy(submit, async () => {
      email.setError(null);
      try {
        await post('/api/v1/auth/password-reset', { email: email.input.value.trim() });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (!showFieldErrors(err, { email: email.setError })) note.say(problemText(err), 'error');
        return;
      }
      form.replaceWith(h('p', { class: 'done' }, t('forgotSent')));
      note.say('');
    }));
    show(t('forgotTitle'), h('h1', null, t('forgotTitle')), h('p', null, t('forgotIntro')), note, form,
      h('p', null, link('/sign-in', t('toSignIn'))));
  },
};

export const reset = {
  render(ctx) {
    const token = fragmentToken();
    const note = statusLine();
    if (!token) {
      show(t('resetTitle'), h('h1', null, t('resetTitle')), h('p', null, t('linkMissing')),
        h('p', null, link('/forgot-password', t('forgotLink'))));
      return;
    }
    const { next, again, matches } = newPasswordFields();
    const submit = h('button', { type: 'submit', class: 'primary' }, t('savePassword'));
    const form = h('form', { novalidate: true }, next.row, again.row, submit);
    form.addEventListener('submit', busy(submit, async () => {
      note.say('');
      next.setError(null);
      if (!matches()) return;
      try {
        await post('/api/v1/auth/password-reset/complete', { token, new_password: next.input.value });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (showFieldErrors(err, { new_password: next.setError })) return;
        note.say(err.status === 400 ? t('linkInvalid') : problemText(err), 'error');
        return;
      }
      ctx.flash(t('resetDone'));
      ctx.go('/sign-in', { replace: true });
    }));
    show(t('resetTitle'), h('h1', null, t('resetTitle')), note, form);
  },
};
