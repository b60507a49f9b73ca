/*
 * records.js — /office/{id}/records: the production's data taken out, and
 * its audit log.
 *
 *   exports    every format the API writes (JSON, CSV tables one by one or
 *              all in a ZIP, the shoot days as iCalendar, the people as
 *              vCards): plain links the browser downloads with the session;
 *              each export is audited by the API
 *   audit log  newest first, a page at a time, filtered by action and by
 *              person (production admins and producers)
 */
import { h, field, statusLine, busy, uid } from '../dom.js';
import { get, getAll, query } from '../api.js';
import { t, problemText } from '../text.js';
import { formatInstant } from '../format.js';
import { apiBase, loadProduction, frame, scope, table } from '../office.js';

const TABLES = ['people', 'departments', 'locations', 'days', 'scenes', 'calls', 'callsheets'];

function exportsPart(prod) {
  const base = `${apiBase(prod.id)}/export`;
  const slug = prod.id;
  const item = (href, text, file) => h('li', null, h('a', { href, download: file }, text));
  return [h('h2', null, t('exportsTitleOffice')), h('p', null, t('exportsIntroOffice')),
    h('ul', { class: 'plain downloads' },
      item(`${base}?format=json`, t('exportJson'), `slate-${slug}.json`),
      item(`${base}?format=csv`, t('exportZip'), `slate-${slug}.zip`),
      item(`${base}?format=ics`, t('exportIcs'), `slate-${slug}.ics`),
      item(`${base}?format=vcf`, t('exportVcf'), `slate-${slug}.vcf`)),
    h('details', null, h('summary', null, t('exportTables')),
      h('ul', { class: 'plain downloads' }, TABLES.map((tb) => item(`${base}?format=csv&table=${tb}`, t('exportTable', { table: tb }), `${tb}.csv`))))];
}

function auditPart(prod, people) {
  const base = `${apiBase(prod.id)}/audit`;
  const note = statusLine();
  const action = field(t('auditAction'), { name: 'action', autocomplete: 'off', placeholder: 'person.update' }, t('auditActionHint'));
  const personId = uid('who');
  const person = h('select', { id: personId, name: 'person' }, h('option', { value: '' }, t('anyone')),
    people.map((p) => h('option', { value: p.id }, p.name)));
  const apply = h('button', { type: 'submit' }, t('filter'));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('auditFilters'), novalidate: true },
    action.row, h('div', { class: 'field' }, h('label', { for: personId }, t('auditPerson')), person), apply);
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, t('olderEvents'));
  let before = null;
  const load = async (reset) => {
    const q = query({ limit: 50, action: action.input.value.trim(), person: person.value, before: reset ? null : before });
    action.setError(null);
    try {
      const page = await get(`${base}${q}`);
      if (reset) body.replaceChildren();
      body.append(...page.events.map((e) => h('tr', null,
        h('td', null, formatInstant(e.at, prod.timezone)),
        h('td', null, e.action), h('td', null, e.outcome),
        h('td', null, e.actor_name || e.actor || ''),
        h('td', null, e.object_name || e.object || ''))));
      before = page.next_before;
      more.hidden = !before;
      note.say(body.children.length ? '' : t('noEvents'));
    } catch (err) {
      const why = err.fields && (err.fields['?action'] || err.fields.action);
      if (why) action.setError(why);
      else note.say(problemText(err), 'error');
    }
  };
  form.addEventListener('submit', busy(apply, () => load(true)));
  more.addEventListener('click', busy(more, () => load(false)));
  const grid = h('div', { class: 'scroll', role: 'region', 'aria-label': t('auditTitle'), tabindex: '0' },
    h('table', { class: 'grid audit' }, h('caption', { class: 'sr-only' }, t('auditTitle')),
      h('thead', null, h('tr', null, [t('when'), t('auditAction'), t('outcome'), t('who'), t('about')].map((x) => h('th', { scope: 'col' }, x)))),
      body));
  return { parts: [h('h2', null, t('auditTitle')), form, note, grid, more], load };
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const parts = [];
  let audit = null;
  if (scope(prod, 'export', 'read') === 'all') parts.push(...exportsPart(prod));
  if (scope(prod, 'audit', 'read') === 'all') {
    const people = await getAll(`${apiBase(prod.id)}/people`, 'people').catch(() => []);
    audit = auditPart(prod, people);
    parts.push(...audit.parts);
  }
  if (!parts.length) parts.push(h('p', null, t('noRecordsForRole')));
  frame(prod, t('recordsTitle'), ...parts);
  if (audit) await audit.load(true);
}

export { render };
