/*
 * publish.js — /office/{id}/days/{did}/publish: publishing a day's call sheet.
 *
 *   1. the call sheet as it would go out now (GET …/callsheets/preview):
 *      the day, its locations, scenes, department calls and every call;
 *   2. what changed since the last published version (calls moved, people
 *      added or removed, locations and the general call changed), before
 *      anything is confirmed;
 *   3. "Publish version N": then who has acknowledged it, by name and
 *      department, filterable to those who have not.
 *
 * Earlier versions are listed with what changed from each to the next
 * (GET …/callsheets/{cid}/diff). The preview and the diffs are the
 * publisher's view; each recipient's copy is shaped by their own role.
 */
import { h, link, field, statusLine, busy, uid } from '../dom.js';
import { get, post, patch, query } from '../api.js';
import { t, fieldName, problemText, archivedRefusal } from '../text.js';
import { formatDate, formatTime, formatInstant } from '../format.js';
import { apiBase, officePath, loadProduction, frame, may, table } from '../office.js';
import { sheetBody, pdfLinks } from './callsheet.js';

const show1 = (v) => (v === null || v === undefined || v === '' ? t('none') : /^\d{1,2}:\d{2}$/.test(v) ? formatTime(v) : String(v));
const named = (x) => (typeof x === 'string' ? x : x && (x.name || x.department || x.id)) || '';

/* The diff as sentences, one per change; [] when nothing changed. */
export function diffLines(d) {
  if (!d) return [];
  const out = [];
  if (d.general_call) out.push(t('diffGeneralCall', { from: show1(d.general_call.from), to: show1(d.general_call.to) }));
  if (d.wrap_estimate) out.push(t('diffWrap', { from: show1(d.wrap_estimate.from), to: show1(d.wrap_estimate.to) }));
  for (const c of d.calls || []) {
    out.push(t('diffCall', { name: c.name || c.person_id, field: fieldName(c.field), from: show1(c.from), to: show1(c.to) }));
  }
  for (const p of d.people_added || []) out.push(t('diffAdded', { name: p.name || p.person_id, call: show1(p.call) }));
  for (const p of d.people_removed || []) out.push(t('diffRemoved', { name: p.name || p.person_id }));
  const loc = d.locations || {};
  for (const l of loc.added || []) out.push(t('diffLocationAdded', { name: named(l) }));
  for (const l of loc.removed || []) out.push(t('diffLocationRemoved', { name: named(l) }));
  for (const l of loc.changed || []) out.push(t('diffLocationChanged', { name: named(l), field: fieldName(l.field), from: show1(l.from), to: show1(l.to) }));
  const sc = d.scenes || {};
  for (const s of sc.added || []) out.push(t('diffSceneAdded', { n: s.number || named(s) }));
  for (const s of sc.removed || []) out.push(t('diffSceneRemoved', { n: s.number || named(s) }));
  if (sc.reordered) out.push(t('diffScenesReordered'));
  for (const c of d.department_calls || []) out.push(t('diffDepartmentCall', { department: named(c.department) || c.department_id, from: show1(c.from), to: show1(c.to) }));
  return out;
}

/*
 * Whether a mailed link opens the call sheet without signing in (the
 * production's link_access), for those who may change the production.
 */
function linkAccessControl(prod) {
  const id = uid('linkaccess');
  const box = h('input', { type: 'checkbox', id, checked: prod.link_access !== false });
  const said = statusLine();
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      await patch(apiBase(prod.id), { link_access: box.checked });
      prod.link_access = box.checked;
      said.say(t(box.checked ? 'linkAccessOn' : 'linkAccessOff'));
    } catch (err) {
      box.checked = !box.checked;
      said.say(problemText(err), 'error');
    }
    box.disabled = false;
  });
  return h('div', null, h('div', { class: 'check' }, box, h('label', { for: id }, t('linkAccess'))), said);
}

/* Automatic reminders N hours before general call (the production's remind_hours_before). */
function autoRemindControl(prod) {
  const hours = field(t('remindHours'), { type: 'number', name: 'remind_hours_before', min: 0, max: 72, step: 1, inputmode: 'numeric', value: String(prod.remind_hours_before || 0) }, t('remindHoursHint'));
  const save = h('button', { type: 'submit' }, t('save'));
  const said = statusLine();
  const form = h('form', { class: 'inline', novalidate: true }, hours.row, save, said);
  form.addEventListener('submit', busy(save, async () => {
    hours.setError(null);
    const n = Number(hours.input.value);
    if (!Number.isInteger(n) || n < 0 || n > 72) {
      hours.setError(t('remindHoursBad'));
      return;
    }
    try {
      await patch(apiBase(prod.id), { remind_hours_before: n });
      prod.remind_hours_before = n;
      said.say(n ? t('remindHoursOn', { n }) : t('remindHoursOff'));
    } catch (err) {
      hours.setError(err.fields && err.fields.remind_hours_before ? err.fields.remind_hours_before : null);
      said.say(problemText(err), 'error');
    }
  }));
  return form;
}

/* What sending queued: "Mail is on its way to 12 people. Not sent: Ana (no email address)." */
function sentText(d) {
  const out = [t('mailQueuedFor', { n: d.queued })];
  const missed = d.not_sent || [];
  if (missed.length) out.push(t('mailNotSentTo', { names: missed.map((m) => `${m.name} (${m.reason})`).join(', ') }));
  return out.join(' ');
}

function diffView(d, emptyText) {
  const lines = diffLines(d);
  return lines.length ? h('ul', { class: 'changes' }, lines.map((l) => h('li', null, l))) : h('p', null, emptyText);
}

function callsTable(calls) {
  const rows = (calls || []).map((c) => h('tr', null,
    h('th', { scope: 'row' }, c.name), h('td', null, c.department || ''), h('td', null, c.job_title || ''),
    h('td', null, formatTime(c.call), c.call_from === 'department' ? h('span', { class: 'muted' }, ` ${t('deptShort')}`) : null),
    h('td', null, formatTime(c.pickup)), h('td', null, formatTime(c.hair_makeup)), h('td', null, formatTime(c.on_set)),
    h('td', null, c.cast_status || '')));
  return table(t('everyCall'), [t('name'), t('department'), t('jobTitle'), fieldName('call'), fieldName('pickup'),
    fieldName('hair_makeup'), fieldName('on_set'), t('castStatus')], rows, { class: 'grid' });
}

/* What became of the latest message to a person (GET …/deliveries): one line. */
function mailText(d, tz) {
  if (!d) return '';
  const why = d.reason || d.relay_answer || '';
  switch (d.status) {
    case 'sent': return t('mailSent', { when: formatInstant(d.sent_at, tz) });
    case 'deferred': return t('mailDeferred', { when: formatInstant(d.next_attempt_at, tz), why });
    case 'failed': return t('mailFailed', { why });
    case 'bounced': return t('mailBounced', { why });
    case 'not_sent': return t('mailNotSent', { why });
    default: return t('mailQueued');
  }
}

/*
 * Who has acknowledged a version, by department and name; "Not yet only" filters.
 * With deliveries (those who may publish), a column says what became of each one's mail.
 */
export function acksView(prod, acks, deliveries = null) {
  const id = uid('notyet');
  const box = h('input', { type: 'checkbox', id });
  const done = acks.filter((a) => a.acknowledged_at).length;
  const sorted = [...acks].sort((a, b) => (a.department || '').localeCompare(b.department || '') || a.name.localeCompare(b.name));
  const latest = new Map(); /* person → their latest message (a reminder after the first) */
  for (const d of deliveries || []) {
    const had = latest.get(d.person_id);
    if (!had || (d.queued_at || '') >= (had.queued_at || '')) latest.set(d.person_id, d);
  }
  const body = h('div');
  const heads = [t('name'), t('department'), deliveries ? t('mailColumn') : null, t('acknowledged')].filter(Boolean);
  const draw = () => {
    const shown = box.checked ? sorted.filter((a) => !a.acknowledged_at) : sorted;
    body.replaceChildren(shown.length ? table(t('acksTitle'), heads, shown.map((a) => h('tr', { dataset: { acked: a.acknowledged_at ? 'yes' : 'no' } },
      h('th', { scope: 'row' }, a.name), h('td', null, a.department || ''),
      deliveries ? h('td', { dataset: { mail: (latest.get(a.person_id) || {}).status || 'none' } }, mailText(latest.get(a.person_id), prod.timezone)) : null,
      h('td', null, a.acknowledged_at ? `✓ ${formatInstant(a.acknowledged_at, prod.timezone)}${a.acknowledged_via === 'link' ? ` ${t('viaLink')}` : ''}` : t('notYet')))), { class: 'grid acks' })
      : h('p', null, t('everyoneAcked')));
  };
  box.addEventListener('change', draw);
  draw();
  return [h('p', { class: 'lead' }, t('ackCount', { done, of: acks.length })),
    h('div', { class: 'check' }, box, h('label', { for: id }, t('notYetOnly'))), body];
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const did = ctx.params[1];
  const base = apiBase(prod.id);
  const dayApi = `${base}/days/${encodeURIComponent(did)}`;
  const back = h('p', null, link(officePath(prod.id, `/days/${encodeURIComponent(did)}`), t('backToDay')));
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  let day, versions;
  try {
    [day, versions] = await Promise.all([get(dayApi), get(`${dayApi}/callsheets`).then((x) => x.callsheets)]);
  } catch (err) {
    note.say(problemText(err), 'error');
    frame(prod, t('publishTitle'), back, note);
    return;
  }
  const title = `${t('publishTitle')} · ${t('dayOf', { day: day.number, of: day.total })}`;
  const latest = versions.reduce((a, b) => (!a || b.version > a.version ? b : a), null);
  const parts = [];
  if (may(prod, 'callsheet', 'publish')) {
    try {
      const preview = await get(`${dayApi}/callsheets/preview`);
      const cs = preview;
      const publish = h('button', { type: 'button', class: 'primary' }, t('publishVersion', { v: cs.version }));
      const sendId = uid('send');
      const send = h('input', { type: 'checkbox', id: sendId, checked: true });
      publish.addEventListener('click', busy(publish, async () => {
        try {
          /* what is published is what was previewed, or nothing (409: look again) */
          const guards = { expect_version: cs.version, expect_digest: cs.digest };
          if (send.checked) guards.send = 'true';
          const done = await post(`${dayApi}/callsheets${query(guards)}`);
          ctx.flash([t('published', { v: done.version }), done.deliveries ? sentText(done.deliveries) : ''].join(' ').trim());
          ctx.go(location.pathname, { replace: true });
        } catch (err) {
          note.say(err.status === 409 && !archivedRefusal(err) ? t('publishedMeanwhile') : problemText(err), 'error');
        }
      }));
      parts.push(
        h('h2', null, latest ? t('changesSince', { v: latest.version }) : t('firstVersion')),
        latest ? diffView(preview.changes, t('noChanges')) : h('p', null, t('firstVersionIntro')),
        h('div', { class: 'check' }, send, h('label', { for: sendId }, t('sendByMail'))),
        may(prod, 'production', 'write') ? [linkAccessControl(prod), autoRemindControl(prod)] : null,
        h('div', { class: 'actions' }, publish),
        h('h2', null, t('previewTitle', { v: cs.version })),
        h('article', { class: 'sheet preview' },
          h('header', null, h('p', { class: 'eyebrow' }, prod.name), h('h3', null, formatDate(cs.sheet.date)),
            h('p', null, t('dayOf', { day: cs.sheet.day, of: cs.sheet.of }), cs.sheet.unit ? ` · ${cs.sheet.unit}` : '')),
          sheetBody(cs.sheet),
          h('h3', null, t('everyCall')), callsTable(cs.sheet.calls)));
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  }
  if (latest) {
    const sheetApi = `${base}/callsheets/${encodeURIComponent(latest.id)}`;
    let acks = null;
    let deliveries = null;
    try {
      acks = (await get(`${sheetApi}/acks`)).acknowledgements;
      /* who may publish sees what became of each message */
      if (may(prod, 'callsheet', 'publish')) deliveries = (await get(`${sheetApi}/deliveries`)).deliveries;
    } catch (err) {
      note.say(problemText(err), 'error');
    }
    let remind = null;
    const waiting = acks ? acks.filter((a) => !a.acknowledged_at).length : 0;
    if (deliveries && waiting > 0) {
      const button = h('button', { type: 'button' }, t('remindWaiting', { n: waiting }));
      const said = statusLine();
      button.addEventListener('click', busy(button, async () => {
        try {
          said.say(sentText(await post(`${sheetApi}/remind`)));
        } catch (err) {
          said.say(problemText(err), 'error');
        }
      }));
      remind = h('div', { class: 'actions' }, button, said);
    }
    parts.unshift(h('h2', null, t('acksFor', { v: latest.version, when: formatInstant(latest.published_at, prod.timezone) })),
      pdfLinks(prod.id, latest.id), remind, acks ? acksView(prod, acks, deliveries) : null);
  }
  const older = [...versions].sort((a, b) => b.version - a.version).filter((v) => v.version > 1);
  if (older.length) {
    parts.push(h('h2', null, t('versionsTitle')), h('ul', { class: 'plain' }, older.map((v) => {
      const out = h('div');
      const open = h('button', { type: 'button', class: 'link' }, t('whatChangedIn', { v: v.version }));
      open.addEventListener('click', busy(open, async () => {
        try {
          out.replaceChildren(diffView(await get(`${base}/callsheets/${encodeURIComponent(v.id)}/diff`), t('noChanges')));
        } catch (err) {
          out.replaceChildren(h('p', null, problemText(err)));
        }
      }));
      return h('li', null, open, pdfLinks(prod.id, v.id), out);
    })));
  }
  frame(prod, title, back, note, ...parts);
}

export { render };
