/*
 * incidents.js — the incident register (GDPR Article 33), for instance
 * administrators:
 *
 *   /admin?incidents          every incident, newest awareness first, each
 *                             with its status and its 72-hour clock
 *   /admin?incident=new       open an incident
 *   /admin?incident={id}      one incident: every field, its clock, the
 *                             actions its status allows (record containment,
 *                             record the authority's notification, close,
 *                             compute who is affected, change its text),
 *                             the people affected, and its history
 *
 * (The addresses live under /admin because the server answers the app's
 * page at the paths it lists; the app reads the query.)
 *
 * The clock is the API's (clock.state, hours_left, hours_to_notification):
 * the page only words it. The API allows all of this to instance
 * administrators only; anyone else sees its refusal, and every refusal of
 * a field is shown next to that field.
 */
import { h, show, link, field, statusLine, busy } from '../dom.js';
import { get, post, patch, ApiError, showFieldErrors } from '../api.js';
import { t, problemText } from '../text.js';
import { formatInstant } from '../format.js';
import { confirmStep } from '../office.js';

const API = '/api/v1/incidents';
const one = (id) => `${API}/${encodeURIComponent(id)}`;
export const listPath = '/admin?incidents';
export const incidentPath = (id) => `/admin?incident=${encodeURIComponent(id)}`;

/* The free-text fields, in the order of Article 33(3). */
const TEXT = ['nature', 'contact', 'data_categories', 'people_categories', 'approx_people', 'approx_records', 'consequences', 'measures'];

/* t(key), or the fallback when the table has no such key */
const tOr = (key, fallback) => {
  const s = t(key);
  return s === key ? fallback : s;
};
const label = (key) => tOr(`incidentFields.${key}`, key);

/* a line for a contact or a number, a box for the rest */
const textAttrs = (k) => (k === 'contact' || k.startsWith('approx') ? { name: k, autocomplete: 'off' } : { name: k, rows: 3 });

/* the order a change's parts are told in */
const ORDER = ['status', 'from_status', 'discovered_at', 'aware_at', 'notified_at', 'authority_reference', 'late_reason', 'no_notification_reason', ...TEXT, 'affected_query', 'affected_people'];
const rank = (k) => (ORDER.indexOf(k) === -1 ? ORDER.length : ORDER.indexOf(k));

/* 23.5 → "23 h 30 min"; under an hour: "25 min" */
function hours(n) {
  const mins = Math.round(Math.abs(n) * 60);
  const hh = Math.floor(mins / 60);
  const mm = mins % 60;
  if (hh === 0) return t('durMin', { m: mm });
  return mm ? t('durHourMin', { h: hh, m: mm }) : t('durHour', { h: hh });
}

/*
 * The clock in words and its kind: running (plain), warn (past 48 h),
 * late (past 72 h), stopped (notified), closed (closed without notifying).
 */
export function clockWords(c) {
  switch (c.state) {
    case 'running': return { kind: 'running', text: t('clockLeft', { left: hours(c.hours_left) }) };
    case 'WARNING': return { kind: 'warn', text: t('clockLeft', { left: hours(c.hours_left) }) };
    case 'OVERDUE': return { kind: 'late', text: t('clockLate', { late: hours(c.hours_left) }) };
    case 'stopped': return {
      kind: 'stopped',
      text: t(c.late ? 'clockNotifiedLate' : 'clockNotified', { took: hours(c.hours_to_notification) }),
    };
    default: return { kind: 'closed', text: t('clockClosed') };
  }
}

function clockBadge(c, attrs = {}) {
  const w = clockWords(c);
  return h('p', { class: 'clock', dataset: { kind: w.kind }, ...attrs }, w.text);
}

const statusWord = (s) => t(`incidentStatus.${s}`);

/* A time input in this device's zone; the value as the API takes it (RFC 3339 UTC), or undefined. */
function whenField(labelText, name, hint) {
  const f = field(labelText, { type: 'datetime-local', name, step: 60 }, hint);
  f.value = () => {
    if (!f.input.value) return undefined;
    const d = new Date(f.input.value);
    return Number.isNaN(d.getTime()) ? f.input.value : d.toISOString();
  };
  return f;
}

/* "2026-12-05T09:30" for a datetime-local input: now (plus minutes ahead), in this device's zone */
function localNow(ahead = 0) {
  const d = new Date(Date.now() + ahead * 60_000);
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

const zoneHint = () => t('incidentZoneHint', { zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });

/* What to say for a failed load: a refusal as such, with the API's reason. */
const loadText = (err) => (err instanceof ApiError && err.status === 403 ? t('incidentsRefused', { detail: err.message }) : problemText(err));

/* Shows the API's refusal next to the fields it names, else on the note. */
function refusal(err, fields, note) {
  if (!(err instanceof ApiError)) throw err;
  const setters = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.setError]));
  if (!showFieldErrors(err, setters)) note.say(problemText(err), 'error');
}

function clearErrors(fields, note) {
  for (const f of Object.values(fields)) f.setError(null);
  note.say('');
}

function page(title, ...content) {
  show(title, h('p', { class: 'eyebrow' }, t('adminTitle')), h('h1', null, title), ...content);
}

/* /admin?incidents */
async function renderList(ctx) {
  const note = statusLine();
  note.say(ctx.message || '');
  ctx.message = null;
  let incidents;
  try {
    incidents = (await get(API)).incidents;
  } catch (err) {
    note.say(loadText(err), 'error');
    page(t('incidentsTitle'), note);
    return;
  }
  const items = incidents.map((i) => h('li', { class: 'card incident', dataset: { status: i.status } },
    h('h2', null, link(incidentPath(i.id), i.nature || i.id)),
    h('p', { class: 'muted' }, `${statusWord(i.status)} · ${t('awareAt', { when: formatInstant(i.aware_at) })}`),
    clockBadge(i.clock)));
  page(t('incidentsTitle'),
    h('p', null, t('incidentsIntro')),
    note,
    h('div', { class: 'actions' }, link('/admin?incident=new', t('openIncident'), { class: 'button primary' })),
    incidents.length ? h('ul', { class: 'cards', 'aria-label': t('incidentsTitle') }, items) : h('p', null, t('noIncidents')));
}

/* /admin?incident=new */
async function renderOpen(ctx) {
  const note = statusLine();
  const f = {
    discovered_at: whenField(t('discoveredAt'), 'discovered_at', zoneHint()),
    aware_at: whenField(t('awareAtLabel'), 'aware_at', t('awareAtHint')),
  };
  for (const k of TEXT) f[k] = field(label(k) + (k === 'nature' || k === 'contact' ? '' : ` ${t('optional')}`), textAttrs(k));
  const submit = h('button', { type: 'submit', class: 'primary' }, t('openIncident'));
  const form = h('form', { class: 'act', novalidate: true, 'aria-label': t('openIncident') }, Object.values(f).map((x) => x.row), note, submit);
  form.addEventListener('submit', busy(submit, async () => {
    clearErrors(f, note);
    const body = {};
    for (const k of ['discovered_at', 'aware_at']) if (f[k].value() !== undefined) body[k] = f[k].value();
    for (const k of TEXT) if (f[k].input.value.trim()) body[k] = f[k].input.value;
    try {
      const made = await post(API, body);
      ctx.flash(t('incidentOpened'));
      ctx.go(incidentPath(made.id));
    } catch (err) {
      refusal(err, f, note);
    }
  }));
  page(t('openIncident'), h('p', null, link(listPath, t('backToIncidents'))), h('p', null, t('openIntro')), form);
}

/* The rows of a definition list, leaving out what is empty. */
function facts(pairs) {
  return h('dl', { class: 'record' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

/* One change of the history in words: its action, then what it set. */
function changeWords(change, users) {
  const parts = [];
  for (const [k, v] of Object.entries(change).sort(([a], [b]) => rank(a) - rank(b))) {
    if (k === 'action') continue;
    let text;
    if (v && typeof v === 'object') {
      text = t('lookupWords', {
        who: v.account ? (users.get(v.account) || v.account) : t('lookupToken', { id: v.token }),
        from: formatInstant(v.from), to: formatInstant(v.to), events: v.events ?? 0, people: v.people ?? 0,
      });
    } else {
      text = k === 'status' || k === 'from_status' ? statusWord(v) : /_at$/.test(k) ? formatInstant(v) : String(v);
    }
    parts.push(h('li', null, h('span', { class: 'muted' }, `${label(k)}: `), text));
  }
  return parts.length ? h('ul', { class: 'changes' }, parts) : null;
}

function historyPart(inc, users) {
  return [h('h2', null, t('incidentHistory')),
    h('ol', { class: 'history' }, (inc.history || []).map((x) => h('li', null,
      h('p', null, h('strong', null, tOr(`incidentActions.${String(x.change && x.change.action).replace(/^incident\./, '')}`, String(x.change && x.change.action))),
        h('span', { class: 'muted' }, ` · ${formatInstant(x.at)} · ${users.get(x.actor) || x.actor}`)),
      changeWords(x.change || {}, users))))];
}

function affectedPart(inc, prods) {
  const a = inc.affected;
  const out = [h('h2', null, t('affectedTitle'))];
  if (!a) {
    out.push(h('p', null, t('affectedNone')));
    return out;
  }
  out.push(h('p', null, t('affectedCount', { n: a.people.length, q: a.queries.length })));
  if (a.people.length) {
    out.push(h('ul', { class: 'plain affected' }, a.people.map((p) => h('li', null,
      link(`/office/${encodeURIComponent(p.production_id)}/people/${encodeURIComponent(p.person_id)}`, p.person_id),
      h('span', { class: 'muted' }, ` · ${prods.get(p.production_id) || p.production_id}`)))));
  }
  return out;
}

/* A form of the detail page: fields, a submit button, its own note; act(body) is the call. */
function actionForm(title, intro, fields, buttonText, act, { danger = false, level = 'h2' } = {}) {
  const note = statusLine();
  const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, buttonText);
  const form = h('form', { class: 'act', novalidate: true, 'aria-label': title }, Object.values(fields).map((x) => x.row), note, submit);
  form.addEventListener('submit', busy(submit, async () => {
    clearErrors(fields, note);
    try {
      await act();
    } catch (err) {
      refusal(err, fields, note);
    }
  }));
  return [h(level, null, title), intro ? h('p', null, intro) : null, form];
}

function actionsPart(inc, reload) {
  const id = inc.id;
  const parts = [];
  if (inc.status === 'open') {
    const f = { measures: field(label('measures'), { name: 'measures', rows: 3 }, t('containHint')) };
    f.measures.input.value = inc.measures || '';
    parts.push(...actionForm(t('recordContainment'), null, f, t('recordContainment'), async () => {
      const body = { status: 'contained' };
      if (f.measures.input.value.trim() && f.measures.input.value !== inc.measures) body.measures = f.measures.input.value;
      await patch(one(id), body);
      await reload(t('containmentRecorded'));
    }));
  }
  if (inc.status === 'contained') {
    const f = {
      reference: field(t('authorityReference'), { name: 'reference', autocomplete: 'off', maxlength: 200 }, t('authorityReferenceHint')),
      notified_at: whenField(t('notifiedAt'), 'notified_at', zoneHint()),
      late_reason: field(`${t('lateReason')} ${t(inc.clock.state === 'OVERDUE' ? 'requiredNow' : 'optional')}`, { name: 'late_reason', rows: 3 }, t('lateReasonHint')),
    };
    f.notified_at.input.value = localNow();
    parts.push(...actionForm(t('recordNotification'), t('recordNotificationIntro'), f, t('recordNotification'), async () => {
      const body = { reference: f.reference.input.value.trim() };
      if (f.notified_at.value() !== undefined) body.notified_at = f.notified_at.value();
      if (f.late_reason.input.value.trim()) body.late_reason = f.late_reason.input.value;
      await post(`${one(id)}/authority-notification`, body);
      await reload(t('notificationRecorded'));
    }));
    const g = { no_notification_reason: field(t('noNotificationReason'), { name: 'no_notification_reason', rows: 3 }, t('noNotificationHint')) };
    parts.push(...actionForm(t('closeWithout'), null, g, t('closeWithout'), async () => {
      await patch(one(id), { status: 'closed', no_notification_reason: g.no_notification_reason.input.value });
      await reload(t('incidentClosed'));
    }, { danger: true }));
  }
  if (inc.status === 'notified') {
    const note = statusLine();
    parts.push(h('h2', null, t('closeIncident')), note, h('div', { class: 'actions' },
      confirmStep(h('button', { type: 'button', class: 'danger' }, t('closeIncident')), t('closeConsequence'), t('yesClose'), async () => {
        try {
          await patch(one(id), { status: 'closed' });
          await reload(t('incidentClosed'));
        } catch (err) {
          note.say(problemText(err), 'error');
        }
      })));
  }
  if (inc.status === 'closed') parts.push(h('p', { class: 'status' }, t('incidentIsClosed')));
  return parts;
}

/* The forms that stay while the incident is not closed: who is affected, and its description. */
function moreActions(inc, reload) {
  const id = inc.id;
  const parts = [];

  /* who is affected: computed by the API from the audit log */
  const a = {
    account: field(`${t('affectedAccount')} ${t('optional')}`, { name: 'account', type: 'email', autocomplete: 'off' }, t('affectedAccountHint')),
    token: field(`${t('affectedToken')} ${t('optional')}`, { name: 'token', autocomplete: 'off' }, t('affectedTokenHint')),
    from: whenField(t('affectedFrom'), 'from', zoneHint()),
    to: whenField(t('affectedTo'), 'to', null),
  };
  a.to.input.value = localNow(1); /* the minute under way counts */
  parts.push(...actionForm(t('computeAffected'), t('computeAffectedIntro'), a, t('computeAffected'), async () => {
    const body = {};
    if (a.account.input.value.trim()) body.account = a.account.input.value.trim();
    if (a.token.input.value.trim()) body.token = a.token.input.value.trim();
    for (const k of ['from', 'to']) if (a[k].value() !== undefined) body[k] = a[k].value();
    const r = await post(`${one(id)}/affected`, body);
    await reload(t('affectedComputed', { n: r.affected ? r.affected.people.length : 0 }));
  }, { level: 'h3' }));

  /* the description, changed in place: only what was changed is sent */
  const e = {};
  for (const k of TEXT) {
    e[k] = field(label(k), textAttrs(k));
    e[k].input.value = inc[k] || '';
  }
  const edit = actionForm(t('changeText'), null, e, t('saveChanges'), async () => {
    const body = {};
    for (const k of TEXT) if (e[k].input.value !== (inc[k] || '')) body[k] = e[k].input.value;
    await patch(one(id), body);
    await reload(t('incidentChanged'));
  });
  /* a closed incident's text and status no longer change; who was affected may still be found */
  if (inc.status === 'closed') return { compute: parts, edit: [] };
  return { compute: parts, edit: [h('details', { class: 'more' }, h('summary', null, t('changeText')), edit.slice(1))] };
}

/* /admin?incident={id} */
async function renderDetail(ctx) {
  const id = ctx.params[0];
  const note = statusLine();
  const draw = async (message) => {
    let inc, users = new Map(), prods = new Map();
    try {
      [inc] = await Promise.all([
        get(one(id)),
        get('/api/v1/admin/users').then((x) => { users = new Map(x.users.map((u) => [u.id, u.email])); }).catch(() => {}),
        get('/api/v1/productions').then((x) => { prods = new Map(x.productions.map((p) => [p.id, p.name])); }).catch(() => {}),
      ]);
    } catch (err) {
      note.say(loadText(err), 'error');
      page(t('incidentTitle'), h('p', null, link(listPath, t('backToIncidents'))), note);
      return;
    }
    note.say(message || '', 'info');
    const w = clockWords(inc.clock);
    const record = [
      [label('nature'), inc.nature],
      [t('discoveredAt'), formatInstant(inc.discovered_at)],
      [t('awareAtLabel'), formatInstant(inc.aware_at)],
      [t('deadline'), formatInstant(inc.clock.deadline)],
      [t('notifiedAt'), inc.notified_at ? formatInstant(inc.notified_at) : null],
      [t('authorityReference'), inc.authority_reference],
      [t('lateReason'), inc.late_reason],
      [t('noNotificationReason'), inc.no_notification_reason],
      ...TEXT.slice(1).map((k) => [label(k), inc[k]]),
      [t('openedBy'), users.get(inc.opened_by) || inc.opened_by],
      [t('openedAt'), formatInstant(inc.opened_at)],
      [t('updatedAt'), formatInstant(inc.updated_at)],
    ];
    const more = moreActions(inc, draw);
    page(t('incidentTitle'),
      h('p', null, link(listPath, t('backToIncidents'))),
      note,
      h('div', { class: 'clockbox', dataset: { kind: w.kind } },
        h('p', { class: 'clockstatus' }, statusWord(inc.status)),
        h('p', { class: 'clock', dataset: { kind: w.kind } }, w.text),
        h('p', null, inc.clock.state === 'stopped'
          ? t('notifiedOn', { when: formatInstant(inc.notified_at) })
          : t('deadlineOn', { when: formatInstant(inc.clock.deadline) }))),
      ...actionsPart(inc, draw),
      h('h2', null, t('incidentRecord')),
      facts(record),
      more.edit,
      ...affectedPart(inc, prods),
      more.compute,
      ...historyPart(inc, users));
  };
  await draw(ctx.message);
  ctx.message = null;
}

export const list = { render: renderList };
export const open = { render: renderOpen };
export const detail = { render: renderDetail };
