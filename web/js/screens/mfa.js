/*
 * mfa.js — /second-factor: enrol an authenticator app (the QR code and the
 * key to type, then a code to confirm), the ten recovery codes shown once
 * with copy and download, and turning it off where no production requires
 * it. Required enrolment is the API's rule: while it holds, app.js sends
 * every page here, as the API refuses everything else.
 */
import { h, show, field, statusLine, busy } from '../dom.js';
import { post, ApiError } from '../api.js';
import { t, problemText } from '../text.js';

/* "ABCDEFGH…" → "ABCD EFGH …", easier to type */
function grouped(secret) {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

function recoveryCodes(ctx, codes) {
  const note = statusLine();
  const text = codes.join('\n');
  const copy = h('button', { type: 'button' }, t('copy'));
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      note.say(t('copied'));
    } catch {
      note.say(t('copyFailed'), 'error');
    }
  });
  const download = h('button', { type: 'button', onclick: () => {
    const body = t('recoveryFile', { email: ctx.me.user.email, codes: text });
    const url = URL.createObjectURL(new Blob([body], { type: 'text/plain;charset=utf-8' }));
    const a = h('a', { href: url, download: 'slate-recovery-codes.txt', hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } }, t('download'));
  const done = h('button', { type: 'button', class: 'primary', onclick: () => ctx.afterSignIn() }, t('continue'));
  show(t('recoveryTitle'), h('h1', null, t('recoveryTitle')), h('p', null, t('recoveryIntro')),
    h('ol', { class: 'codes' }, codes.map((c) => h('li', null, h('code', null, c)))),
    h('div', { class: 'actions' }, copy, download), note, done);
}

function enrol(ctx, secret) {
  const note = statusLine();
  const code = field(t('mfaConfirmCode'), { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]*', maxlength: 6, required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('mfaConfirm'));
  const form = h('form', { novalidate: true }, code.row, submit);
  form.addEventListener('submit', busy(submit, async () => {
    code.setError(null);
    note.say('');
    let res;
    try {
      res = await post('/api/v1/me/mfa/totp/confirm', { code: code.input.value.trim() });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 400) code.setError(t('mfaCodeWrong'));
      else note.say(problemText(err), 'error');
      return;
    }
    recoveryCodes(ctx, res.recovery_codes);
  }));
  show(t('mfaTitle'), h('h1', null, t('mfaTitle')),
    h('h2', null, t('mfaScan')),
    h('img', { class: 'qr', width: 220, height: 220, alt: t('mfaQrAlt'),
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(secret.qr_svg)}` }),
    h('p', null, t('mfaSecret')), h('p', null, h('code', { class: 'secret' }, grouped(secret.secret))),
    note, form);
}

export async function render(ctx) {
  const { enrolled, required } = ctx.me.mfa || {};
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  if (!enrolled) {
    const start = h('button', { type: 'button', class: 'primary' }, t('mfaStart'));
    start.addEventListener('click', busy(start, async () => {
      try {
        enrol(ctx, await post('/api/v1/me/mfa/totp'));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        note.say(problemText(err), 'error');
      }
    }));
    show(t('mfaTitle'), h('h1', null, t('mfaTitle')), note,
      required ? h('p', { class: 'status', dataset: { kind: 'warn' } }, t('mfaRequired')) : null,
      h('p', null, t('mfaIntro')), start);
    return;
  }
  if (required) {
    show(t('mfaTitle'), h('h1', null, t('mfaTitle')), note, h('p', null, t('mfaEnrolled')), h('p', null, t('mfaCannotDisable')));
    return;
  }
  const code = field(t('mfaConfirmCode'), { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6, required: true }, t('mfaDisableHint'));
  const submit = h('button', { type: 'submit' }, t('mfaDisable'));
  const form = h('form', { novalidate: true }, code.row, submit);
  form.addEventListener('submit', busy(submit, async () => {
    code.setError(null);
    try {
      await post('/api/v1/me/mfa/totp/disable', { code: code.input.value.trim() });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 403) {
        /* a wrong code, or a production that began requiring the factor meanwhile */
        const me = await ctx.refreshMe().catch(() => ctx.me);
        if (me.mfa && me.mfa.required) note.say(t('mfaCannotDisable'), 'error');
        else code.setError(t('mfaCodeWrong'));
      } else if (err.status === 400) code.setError(t('mfaCodeWrong'));
      else note.say(problemText(err), 'error');
      return;
    }
    ctx.flash(t('mfaDisabled'));
    await ctx.refreshMe();
    await render(ctx);
  }));
  show(t('mfaTitle'), h('h1', null, t('mfaTitle')), note, h('p', null, t('mfaEnrolled')), form);
}
