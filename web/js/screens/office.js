/*
 * office.js — /office/{id}: the production office's home. Today's and the
 * next shoot day (Day X of Y, general call, locations), how far the latest
 * published call sheet of each has been acknowledged (how many of how
 * many, and who has not, by department), for those who may read the
 * audit log, what changed lately, and, for those who may change the
 * production, its end (archive, unarchive, close, reopen).
 */
import { h, link, statusLine, busy } from '../dom.js';
import { get, post } from '../api.js';
import { t, problemText } from '../text.js';
import { formatDate, formatTime, formatInstant } from '../format.js';
import { apiBase, officePath, loadProduction, frame, scope, may, todayIn, confirmStep } from '../office.js';

/* Who has not acknowledged, by department: [[department, [names]]…] */
export function notYetByDepartment(acks) {
  const by = new Map();
  for (const a of acks) {
    if (a.acknowledged_at) continue;
    const d = a.department || t('noDepartment');
    if (!by.has(d)) by.set(d, []);
    by.get(d).push(a.name);
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b));
}

async function dayCard(prod, day, when) {
  const base = apiBase(prod.id);
  const [full, versions] = await Promise.all([
    get(`${base}/days/${encodeURIComponent(day.id)}`),
    get(`${base}/days/${encodeURIComponent(day.id)}/callsheets`).catch(() => ({ callsheets: [] })),
  ]);
  const latest = (versions.callsheets || []).reduce((a, b) => (!a || b.version > a.version ? b : a), null);
  let ackPart = h('p', null, t('notPublished'));
  if (latest) {
    let acks = null;
    try {
      acks = (await get(`${base}/callsheets/${encodeURIComponent(latest.id)}/acks`)).acknowledgements;
    } catch {
      /* a role that does not read acknowledgements sees the version only */
    }
    const done = acks ? acks.filter((a) => a.acknowledged_at).length : null;
    ackPart = h('div', null,
      h('p', null, t('versionPublished', { v: latest.version, when: formatInstant(latest.published_at, prod.timezone) })),
      acks ? h('p', { class: 'lead' }, t('ackCount', { done, of: acks.length })) : null,
      acks && done < acks.length ? h('details', null, h('summary', null, t('notYetBy')),
        h('ul', { class: 'plain' }, notYetByDepartment(acks).map(([d, names]) =>
          h('li', null, h('strong', null, d), `: ${names.join(', ')}`)))) : null);
  }
  const open = [link(officePath(prod.id, `/days/${encodeURIComponent(day.id)}`), t('openDay'))];
  if (may(prod, 'callsheet', 'publish')) open.push(' · ', link(officePath(prod.id, `/days/${encodeURIComponent(day.id)}/publish`), t('publishLink')));
  return h('section', { class: 'card', 'aria-labelledby': `day-${day.id}` },
    h('p', { class: 'eyebrow' }, when),
    h('h2', { id: `day-${day.id}` }, formatDate(day.date)),
    h('p', null, t('dayOf', { day: day.number, of: day.total }), ` · ${day.unit}`,
      day.cancelled ? ` · ${t('dayCancelled')}` : ''),
    h('p', null, t('generalCallAt', { time: formatTime(day.general_call) })),
    full.locations && full.locations.length ? h('p', null, t('locationsList', { names: full.locations.map((l) => l.name).join(', ') })) : null,
    ackPart,
    h('p', null, open));
}

async function recent(prod) {
  if (scope(prod, 'audit', 'read') !== 'all') return null;
  const { events } = await get(`${apiBase(prod.id)}/audit?limit=8`);
  return h('section', null, h('h2', null, t('recentChanges')),
    events.length ? h('ul', { class: 'plain' }, events.map((e) => h('li', null,
      h('span', { class: 'muted' }, formatInstant(e.at, prod.timezone)), ' ',
      t('auditLine', { who: e.actor_name || e.actor || t('someone'), action: e.action }),
      e.object_name ? ` — ${e.object_name}` : ''))) : h('p', null, t('nothingYet')));
}

/*
 * The production's end, for those who may change the production: where it
 * stands (active, archived since…, closed and deleted on…) and the steps
 * that state allows. Archive and close are said before they are done
 * (confirmStep); unarchive and reopen undo and are done at once. The API
 * decides: a refusal is shown in its words, and a step done reloads the
 * page so that its banner and every part say the new state.
 */
function endPart(ctx, prod) {
  const note = statusLine();
  const tz = prod.timezone;
  const step = (path, said) => async () => {
    try {
      const end = await post(`${apiBase(prod.id)}/${path}`);
      ctx.flash(said(end));
      ctx.go(location.pathname, { replace: true });
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  };
  const undo = (text, path, said) => {
    const b = h('button', { type: 'button' }, text);
    b.addEventListener('click', busy(b, step(path, said)));
    return b;
  };
  const parts = [];
  if (!prod.archived_at) {
    parts.push(h('p', null, t('endActive')), h('p', null, t('archiveIntro')),
      h('div', { class: 'actions' }, confirmStep(h('button', { type: 'button', class: 'danger' }, t('archiveButton')),
        t('archiveConsequence', { name: prod.name }), t('yesArchive'), step('archive', () => t('archived')))));
  } else if (!prod.closed_at) {
    parts.push(h('p', { class: 'lead' }, t('endArchived', { when: formatInstant(prod.archived_at, tz) })),
      h('p', null, t('unarchiveIntro')),
      h('div', { class: 'actions' }, undo(t('unarchiveButton'), 'unarchive', () => t('unarchived'))),
      h('p', null, t('closeProdIntro')),
      h('div', { class: 'actions' }, confirmStep(h('button', { type: 'button', class: 'danger' }, t('closeProdButton')),
        t('closeProdConsequence', { name: prod.name }), t('yesCloseProd'),
        step('close', (end) => t('closedProd', { when: formatInstant(end.deletion_due, tz) })))));
  } else {
    parts.push(h('p', { class: 'lead' }, t('endClosed', { closed: formatInstant(prod.closed_at, tz), when: formatInstant(prod.deletion_due, tz) })),
      scope(prod, 'export', 'read') === 'all' ? h('p', null, link(officePath(prod.id, '/records'), t('finalExport'))) : null,
      h('p', null, t('reopenProdIntro')),
      h('div', { class: 'actions' }, undo(t('reopenProdButton'), 'reopen', () => t('reopenedProd'))));
  }
  return h('section', { class: 'card', 'aria-labelledby': 'end-title' }, h('h2', { id: 'end-title' }, t('endTitle')), ...parts, note);
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  const parts = [];
  try {
    const { days } = await get(`${apiBase(prod.id)}/days`);
    const today = todayIn(prod.timezone);
    const live = days.filter((d) => !d.cancelled);
    const todays = live.find((d) => d.date === today);
    const next = live.find((d) => d.date > today);
    if (todays) parts.push(await dayCard(prod, todays, t('today')));
    if (next) parts.push(await dayCard(prod, next, t('nextShootDay')));
    if (!todays && !next) parts.push(h('p', null, t('noDaysAhead')));
    parts.push(await recent(prod));
  } catch (err) {
    note.say(problemText(err), 'error');
  }
  if (may(prod, 'production', 'write')) parts.push(endPart(ctx, prod));
  frame(prod, t('officeHome'), note, ...parts);
}

export const home = { render };
