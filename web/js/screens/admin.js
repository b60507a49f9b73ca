/*
 * admin.js — /admin: the instance administrator's page.
 *
 *   productions   every production on this instance (each opens its
 *                 office), and a new one
 *   accounts      every account: add one (its one-time password is shown
 *                 here once, to pass on by hand), disable or enable it,
 *                 see where it is signed in and sign it out everywhere
 *   sessions      sign out every account but this session
 *
 * Each action that ends access says so before it is done. The API allows
 * all of this to instance administrators only; for anyone else the page
 * shows the API's refusal.
 */
import { h, show, link, field, statusLine, busy, uid } from '../dom.js';
import { get, post, del, ApiError, showFieldErrors } from '../api.js';
import { t, problemText } from '../text.js';
import { formatInstant } from '../format.js';
import { table, confirmStep } from '../office.js';

function productionsPart(productions, reload) {
  const name = field(t('productionName'), { name: 'name', autocomplete: 'off' });
  const tz = field(t('timezoneLabel'), { name: 'timezone', autocomplete: 'off', value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' }, t('timezoneHint'));
  const add = h('button', { type: 'submit', class: 'primary' }, t('addProduction'));
  const form = h('form', { novalidate: true, 'aria-label': t('addProduction') }, name.row, tz.row, add);
  form.addEventListener('submit', busy(add, async () => {
    name.setError(null);
    tz.setError(null);
    try {
      await post('/api/v1/productions', { name: name.input.value.trim(), timezone: tz.input.value.trim() });
      await reload(t('productionAdded'));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!showFieldErrors(err, { name: name.setError, timezone: tz.setError })) name.setError(problemText(err));
    }
  }));
  return [h('h2', null, t('productionsTitleAdmin')),
    h('ul', { class: 'plain' }, productions.map((p) => h('li', null, link(`/office/${encodeURIComponent(p.id)}`, p.name), h('span', { class: 'muted' }, ` · ${p.timezone}`)))),
    h('h3', null, t('addProduction')), form];
}

function accountsPart(me, users, reload, note) {
  const rows = users.map((u) => {
    const self = u.id === me.user.id;
    const sessions = h('div');
    const open = h('button', { type: 'button' }, t('showSessions'));
    open.addEventListener('click', busy(open, async () => {
      try {
        const list = (await get(`/api/v1/admin/users/${encodeURIComponent(u.id)}/sessions`)).sessions;
        sessions.replaceChildren(list.length ? h('ul', { class: 'plain' }, list.map((s) => h('li', null,
          s.user_agent || t('unknownBrowser'), h('span', { class: 'muted' }, ` · ${t('lastSeen', { when: formatInstant(s.last_seen_at) })}`))))
          : h('p', null, t('noSessions')));
      } catch (err) {
        note.say(problemText(err), 'error');
      }
    }));
    const actions = [open];
    if (!self) {
      actions.push(confirmStep(h('button', { type: 'button' }, t('endSessions')), t('endSessionsConsequence', { email: u.email }), t('yesEndSessions'), async () => {
        try {
          const r = await del(`/api/v1/admin/users/${encodeURIComponent(u.id)}/sessions`);
          await reload(t('sessionsEnded', { n: r.ended, email: u.email }));
        } catch (err) {
          note.say(problemText(err), 'error');
        }
      }));
      actions.push(u.disabled
        ? confirmStep(h('button', { type: 'button' }, t('enableAccount')), t('enableConsequence', { email: u.email }), t('yesEnable'), async () => {
          try {
            await post(`/api/v1/admin/users/${encodeURIComponent(u.id)}/enable`);
            await reload(t('accountEnabled', { email: u.email }));
          } catch (err) {
            note.say(problemText(err), 'error');
          }
        })
        : confirmStep(h('button', { type: 'button', class: 'danger' }, t('disableAccount')), t('disableConsequence', { email: u.email }), t('yesDisable'), async () => {
          try {
            await post(`/api/v1/admin/users/${encodeURIComponent(u.id)}/disable`);
            await reload(t('accountDisabled', { email: u.email }));
          } catch (err) {
            note.say(problemText(err), 'error');
          }
        }));
    }
    return h('tr', null,
      h('th', { scope: 'row' }, u.display_name, h('br'), h('span', { class: 'muted' }, u.email)),
      h('td', null, [u.instance_admin ? t('instanceAdmin') : null, u.disabled ? t('disabled') : t('active'),
        u.must_change_password ? t('mustChange') : null].filter(Boolean).join(' · ')),
      h('td', null, h('div', { class: 'actions' }, actions), sessions));
  });
  return [h('h2', null, t('accountsTitle')),
    table(t('accountsTitle'), [t('account'), t('status'), t('actionsCol')], rows, { class: 'grid members' })];
}

function addAccountPart(reload) {
  const note = statusLine();
  const email = field(t('email'), { type: 'email', name: 'email', autocomplete: 'off' });
  const name = field(t('accountName'), { name: 'display_name', autocomplete: 'off' });
  const adminId = uid('admin');
  const admin = h('input', { type: 'checkbox', id: adminId });
  const out = h('div');
  const add = h('button', { type: 'submit', class: 'primary' }, t('addAccount'));
  const form = h('form', { novalidate: true, 'aria-label': t('addAccount') }, email.row, name.row,
    h('div', { class: 'check' }, admin, h('label', { for: adminId }, t('makeInstanceAdmin'))), note, add);
  form.addEventListener('submit', busy(add, async () => {
    email.setError(null);
    const body = { email: email.input.value.trim() };
    if (name.input.value.trim()) body.display_name = name.input.value.trim();
    if (admin.checked) body.instance_admin = true;
    try {
      const made = await post('/api/v1/admin/users', body);
      await reload(t('accountAdded', { email: made.email }));
      /* shown once: the API keeps only its hash */
      document.getElementById('one-time').replaceChildren(h('div', { class: 'flag', role: 'note' },
        h('p', null, t('oneTimeIntro', { email: made.email })),
        h('p', null, h('code', { class: 'secret' }, made.password))));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!showFieldErrors(err, { email: email.setError, display_name: name.setError })) note.say(problemText(err), 'error');
    }
  }));
  return [h('h3', null, t('addAccount')), h('div', { id: 'one-time' }), form, out];
}

async function render(ctx) {
  const note = statusLine();
  const draw = async (message) => {
    let productions, users;
    try {
      [productions, users] = await Promise.all([
        get('/api/v1/productions').then((x) => x.productions),
        get('/api/v1/admin/users').then((x) => x.users),
      ]);
    } catch (err) {
      note.say(problemText(err), 'error');
      showPage(note);
      return;
    }
    note.say(message || ''); // with the page it speaks of, not before its data came
    const everyone = confirmStep(h('button', { type: 'button', class: 'danger' }, t('endAllSessions')), t('endAllConsequence'), t('yesEndAll'), async () => {
      try {
        const r = await del('/api/v1/admin/sessions');
        await draw(t('allSessionsEnded', { n: r.ended }));
      } catch (err) {
        note.say(problemText(err), 'error');
      }
    });
    showPage(note, ...productionsPart(productions, draw), ...accountsPart(ctx.me, users, draw, note), ...addAccountPart(draw),
      h('h2', null, t('sessionsAll')), h('p', null, t('endAllIntro')), h('div', { class: 'actions' }, everyone));
  };
  await draw(ctx.message);
  ctx.message = null;
}

function showPage(...content) {
  show(t('adminTitle'), h('h1', null, t('adminTitle')), ...content);
}

export { render };
