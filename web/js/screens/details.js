/*
 * details.js — /my-details: my entry in each production (the fields my
 * role lets me change of my own record, as the API allows: phone, email,
 * emergency contact, dietary notes), my calendar link, where I am signed
 * in (with "sign out everywhere else"), my data as a download (of each
 * production, and everything Slate holds about me: GET /api/v1/me/export),
 * and the second factor. The API decides every field; its refusals are shown by
 * the field they name.
 */
import { h, show, field, statusLine, busy, link } from '../dom.js';
import { get, post, patch, del, ApiError, showFieldErrors } from '../api.js';
import { t, problemText } from '../text.js';
import { formatDate, formatInstant } from '../format.js';

const EDITABLE = [
  ['personal_phone', 'personalPhone', { type: 'tel', autocomplete: 'tel' }],
  ['personal_email', 'personalEmail', { type: 'email', autocomplete: 'email' }],
  ['emergency_contact', 'emergencyContact', { type: 'text' }],
  ['dietary', 'dietary', { type: 'text' }],
];

function personForm(prod, person) {
  const note = statusLine();
  const fields = {};
  for (const [name, label, attrs] of EDITABLE) {
    if (!(name in person)) continue; /* not a field my role reads: not mine to edit */
    fields[name] = field(t(label), { name, ...attrs, value: person[name] || '' });
  }
  const readOnly = h('dl', { class: 'facts' },
    [[t('name'), person.name], [t('department'), person.department], [t('jobTitle'), person.job_title],
      [t('workPhone'), person.work_phone], [t('workEmail'), person.work_email]]
      .filter(([, v]) => v).map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
  if (!Object.keys(fields).length) return [readOnly];
  const submit = h('button', { type: 'submit', class: 'primary' }, t('save'));
  const form = h('form', { novalidate: true }, Object.values(fields).map((f) => f.row), submit);
  form.addEventListener('submit', busy(submit, async () => {
    const body = {};
    for (const [name, f] of Object.entries(fields)) {
      f.setError(null);
      if (f.input.value !== (person[name] || '')) body[name] = f.input.value.trim();
    }
    note.say('');
    if (!Object.keys(body).length) return;
    try {
      Object.assign(person, await patch(`/api/v1/productions/${encodeURIComponent(prod.id)}/people/${encodeURIComponent(person.id)}`, body));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const setters = Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.setError]));
      if (!showFieldErrors(err, setters)) note.say(problemText(err), 'error');
      return;
    }
    note.say(t('saved'));
  }));
  return [readOnly, form, note];
}

function calendar(prod) {
  const out = h('div');
  const button = h('button', { type: 'button' }, t('calendarNew'));
  button.addEventListener('click', busy(button, async () => {
    try {
      const feed = await post(`/api/v1/productions/${encodeURIComponent(prod.id)}/me/calendar-feed`);
      out.replaceChildren(h('p', null, t('calendarLink')),
        h('p', null, h('a', { href: feed.url }, feed.url)), h('p', null, h('code', { class: 'secret' }, feed.https_url)));
    } catch (err) {
      out.replaceChildren(h('p', { class: 'status', dataset: { kind: 'error' } }, problemText(err)));
    }
  }));
  return [h('p', null, t('calendarIntro')), button, out];
}

async function productionPart(prod) {
  const parts = [h('h2', null, t('myRecord', { production: prod.name }))];
  if (prod.person_id) {
    try {
      const person = await get(`/api/v1/productions/${encodeURIComponent(prod.id)}/people/${encodeURIComponent(prod.person_id)}`);
      parts.push(...personForm(prod, person));
    } catch (err) {
      parts.push(h('p', { class: 'status', dataset: { kind: 'error' } }, problemText(err)));
    }
  } else {
    parts.push(h('p', null, t('noRecord')));
  }
  parts.push(h('h3', null, t('calendarTitle')), ...calendar(prod));
  parts.push(h('h3', null, t('exportsTitle')), h('p', null, t('exportIntro', { production: prod.name })),
    h('p', null, h('a', { href: `/api/v1/productions/${encodeURIComponent(prod.id)}/export?format=json`, download: '' },
      t('exportLink', { production: prod.name }))));
  return h('section', { class: 'card' }, parts);
}

async function sessionsPart() {
  const note = statusLine();
  const list = h('ul', { class: 'sessions' });
  const fill = async () => {
    const { sessions } = await get('/api/v1/me/sessions');
    list.replaceChildren(...sessions.map((s) => h('li', null,
      h('strong', null, s.user_agent || t('unknownBrowser')), s.current ? ` (${t('thisDevice')})` : '',
      h('br'), h('span', { class: 'muted' }, t('lastSeen', { when: formatInstant(s.last_seen_at) })))));
    return sessions;
  };
  let sessions = [];
  try {
    sessions = await fill();
  } catch (err) {
    note.say(problemText(err), 'error');
  }
  const button = h('button', { type: 'button' }, t('signOutElsewhere'));
  button.addEventListener('click', busy(button, async () => {
    try {
      for (const s of sessions) if (!s.current) await del(`/api/v1/me/sessions/${encodeURIComponent(s.id)}`);
      sessions = await fill();
      note.say(t('signedOutElsewhere'));
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  }));
  return h('section', { class: 'card' }, h('h2', null, t('sessionsTitle')), list, button, note);
}

function closePart(ctx) {
  const note = statusLine();
  const pass = field(t('password'), { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const enrolled = ctx.me && ctx.me.mfa && ctx.me.mfa.enrolled;
  const code = enrolled ? field(t('totpLabel'), { type: 'text', name: 'totp', autocomplete: 'one-time-code', spellcheck: 'false', autocapitalize: 'characters' }, t('totpHint')) : null;
  const sure = h('input', { type: 'checkbox', name: 'understood', id: 'close-understood' });
  const submit = h('button', { type: 'submit', class: 'danger' }, t('closeButton'));
  const form = h('form', { novalidate: true }, pass.row, code ? code.row : null,
    h('p', { class: 'check' }, sure, h('label', { for: 'close-understood' }, t('closeConfirm'))), submit);
  form.addEventListener('submit', busy(submit, async () => {
    note.say('');
    pass.setError(null);
    if (code) code.setError(null);
    if (!sure.checked) {
      note.say(t('closeConfirmMissing'), 'error');
      return;
    }
    const body = { password: pass.input.value };
    if (code && code.input.value.trim()) body.totp = code.input.value.trim();
    let closed;
    try {
      closed = await post('/api/v1/me/close', body);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const setters = { password: pass.setError, ...(code ? { totp: code.setError } : {}) };
      if (showFieldErrors(err, setters)) return;
      const held = (err.problem.held_by || []).map((x) => x.name).join(', ');
      note.say(held ? `${problemText(err)} ${t('closeHeldBy', { productions: held })}` : problemText(err), 'error');
      return;
    }
    pass.input.value = '';
    await ctx.signOut(t('closedMessage', { date: formatDate(closed.deletion_due.slice(0, 10)) }));
  }));
  return h('section', { class: 'card' }, h('h2', null, t('closeTitle')), h('p', null, t('closeIntro')), form, note);
}

export async function render(ctx) {
  const note = statusLine();
  let prods = [];
  try {
    prods = (await get('/api/v1/productions')).productions;
  } catch (err) {
    note.say(problemText(err), 'error');
  }
  const parts = await Promise.all(prods.map(productionPart));
  const everything = h('section', { class: 'card' }, h('h2', null, t('allMyDataTitle')), h('p', null, t('allMyDataIntro')),
    h('p', null, h('a', { href: '/api/v1/me/export', download: 'slate-my-data.json' }, t('allMyDataLink'))));
  show(t('detailsTitle'), h('h1', null, t('detailsTitle')), note, parts, everything, await sessionsPart(),
    h('section', { class: 'card' }, h('h2', null, t('securityTitle')), h('p', null, link('/second-factor', t('mfaLink')))),
    closePart(ctx));
}
