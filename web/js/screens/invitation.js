/*
 * invitation.js — /invitation#token=…: who invites you, to what, as whom
 * (POST /api/v1/invitations/preview), then either a new account (name and
 * password; the API applies the password policy) or, for an address that
 * has an account already, accepting once signed in as it.
 *
 * The token is read from the fragment, which never reaches the server in a
 * URL or a Referer. Across the sign-in it waits in sessionStorage (this tab
 * only; wiped at sign-out) and is forgotten once accepted.
 */
import { h, show, field, statusLine, busy } from '../dom.js';
import { get, post, ApiError, showFieldErrors } from '../api.js';
import { t, roleName, problemText } from '../text.js';
import { fragmentToken } from './password.js';

const KEY = 'slate.invitation';

export async function render(ctx) {
  const fromLink = fragmentToken();
  if (fromLink) sessionStorage.setItem(KEY, fromLink);
  const token = fromLink || sessionStorage.getItem(KEY);
  const note = statusLine();
  const page = (...body) => show(t('inviteTitle'), h('h1', null, t('inviteTitle')), note, ...body);
  if (!token) {
    page(h('p', null, t('linkMissing')));
    return;
  }
  let inv;
  try {
    inv = await post('/api/v1/invitations/preview', { token });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 400) sessionStorage.removeItem(KEY);
    page(h('p', { class: 'status', dataset: { kind: 'error' } }, err.status === 400 ? t('inviteInvalid') : problemText(err)));
    return;
  }
  const production = inv.production.name;
  const intro = [h('p', { class: 'lead' }, t('inviteIntro', { production, role: roleName(inv.role) })),
    h('p', null, t('inviteFor', { email: inv.email }))];
  const joined = async () => {
    sessionStorage.removeItem(KEY);
    ctx.flash(t('inviteAccepted', { production }));
    await ctx.afterSignIn();
  };

  if (inv.account === 'new') {
    const name = field(t('displayName'), { type: 'text', name: 'display_name', autocomplete: 'name', required: true, maxlength: 200 }, t('displayNameHint'));
    const pass = field(t('newPassword'), { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 12 }, t('newPasswordHint'));
    const again = field(t('confirmPassword'), { type: 'password', name: 'confirm_password', autocomplete: 'new-password', required: true });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('createAccount'));
    const form = h('form', { novalidate: true }, name.row, pass.row, again.row, submit);
    form.addEventListener('submit', busy(submit, async () => {
      note.say('');
      name.setError(null);
      pass.setError(null);
      again.setError(pass.input.value === again.input.value ? null : t('mismatch'));
      if (pass.input.value !== again.input.value) return;
      try {
        await post('/api/v1/invitations/accept', { token, display_name: name.input.value.trim(), password: pass.input.value });
        await post('/api/v1/auth/login', { email: inv.email, password: pass.input.value });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (!showFieldErrors(err, { password: pass.setError, display_name: name.setError })) {
          note.say(err.status === 400 ? t('inviteInvalid') : problemText(err), 'error');
        }
        return;
      }
      await joined();
    }));
    page(...intro, h('p', null, t('inviteNew')), form);
    return;
  }

  let me = null;
  try {
    me = await get('/api/v1/me');
  } catch {
    me = null;
  }
  if (!me) {
    const button = h('button', { type: 'button', class: 'primary', onclick: () => {
      sessionStorage.setItem('slate.next', '/invitation');
      ctx.go('/sign-in');
    } }, t('signInToAccept'));
    page(...intro, h('p', null, t('inviteExisting')), button);
    return;
  }
  if (me.user.email.toLowerCase() !== inv.email.toLowerCase()) {
    page(...intro, h('p', { class: 'status', dataset: { kind: 'error' } }, t('inviteWrongAccount', { email: me.user.email })));
    return;
  }
  const accept = h('button', { type: 'button', class: 'primary' }, t('accept'));
  accept.addEventListener('click', busy(accept, async () => {
    try {
      await post('/api/v1/invitations/accept', { token });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      note.say(err.status === 400 ? t('inviteInvalid') : problemText(err), 'error');
      return;
    }
    await joined();
  }));
  page(...intro, accept);
}
