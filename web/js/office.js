/*
 * office.js — what the production office's pages share: the production with
 * the caller's rights in it, the office's own navigation, addresses, and
 * the small pieces every office page draws (a table in a scrolling box, a
 * confirmation said before it happens, a time field that takes "25:30").
 *
 * The rights come from GET /api/v1/productions/{id}: the caller's scope for
 * each resource and action of the same policy table the API checks every
 * request against. A page draws only the controls the scope allows; the
 * API refuses the rest whatever a page draws (tests/web forge the requests
 * the missing controls would have made).
 */
import { h, show, link, statusLine } from './dom.js';
import { get } from './api.js';
import { t, problemText } from './text.js';
import { formatInstant } from './format.js';

export const apiBase = (id) => `/api/v1/productions/${encodeURIComponent(id)}`;
export const officePath = (id, rest = '') => `/office/${encodeURIComponent(id)}${rest}`;

/* The caller's scope for resource × action: 'none' … 'all'. */
export function scope(prod, resource, action) {
  return (prod.rights && prod.rights[resource] && prod.rights[resource][action]) || 'none';
}

/*
 * May the caller do action on resource for a record of this department
 * (a department name, or null)? 'self' is left to the API: a page offers
 * only what the scope grants for everyone in it.
 */
export function may(prod, resource, action, department = undefined) {
  const s = scope(prod, resource, action);
  if (s === 'all') return true;
  if (s === 'department') return department === undefined || (!!prod.department && department === prod.department.name);
  return false;
}

/*
 * Loads the production for a page: the answer, or null after showing why
 * not (a production this account is not a member of is "not found").
 */
export async function loadProduction(ctx) {
  const id = ctx.params[0];
  try {
    return await get(apiBase(id));
  } catch (err) {
    const note = statusLine();
    note.say(problemText(err), 'error');
    show(t('officeTitle'), h('h1', null, t('officeTitle')), note, h('p', null, link('/productions', t('navProductions'))));
    return null;
  }
}

/* The office's pages a role has something to see on, in order. */
function sections(prod) {
  const id = prod.id;
  return [
    [officePath(id), t('officeHome'), true],
    [officePath(id, '/people'), t('officePeople'), scope(prod, 'person', 'read') === 'all'],
    [officePath(id, '/members'), t('officeMembers'), ['all', 'department'].includes(scope(prod, 'member', 'read'))],
    [officePath(id, '/schedule'), t('officeSchedule'), scope(prod, 'schedule', 'read') === 'all'],
    [officePath(id, '/locations'), t('officeLocations'), scope(prod, 'location', 'read') === 'all'],
    [officePath(id, '/sustainability'), t('officeSustainability'), scope(prod, 'sustainability', 'read') !== 'none' || ['all', 'department'].includes(scope(prod, 'sustainability_totals', 'read'))],
    [officePath(id, '/records'), t('officeRecords'), scope(prod, 'export', 'read') === 'all' || scope(prod, 'audit', 'read') === 'all'],
  ].filter(([, , shown]) => shown);
}

/*
 * What every office page says of a production at its end, right under its
 * title: archived (read-only, since when) or closed (and the day its data
 * goes); null while it is active. The API refuses the changes whatever a
 * page offers; this says why before anyone tries.
 */
export function endBanner(prod) {
  if (!prod.archived_at) return null;
  const text = prod.closed_at && prod.deletion_due
    ? t('bannerClosed', { when: formatInstant(prod.deletion_due, prod.timezone) })
    : t('bannerArchived', { when: formatInstant(prod.archived_at, prod.timezone) });
  return h('p', { class: 'banner', role: 'note', dataset: { kind: prod.closed_at ? 'closed' : 'archived' } }, text);
}

/* Shows an office page: the production's name, the office's navigation, the page's title, its end's banner, and content. */
export function frame(prod, title, ...content) {
  const here = location.pathname;
  const nav = h('nav', { class: 'subnav', 'aria-label': t('officeNav') },
    h('ul', null, sections(prod).map(([href, text]) =>
      h('li', null, link(href, text, here === href ? { 'aria-current': 'page' } : {})))));
  show(`${title} · ${prod.name}`,
    h('p', { class: 'eyebrow' }, prod.name),
    nav,
    h('h1', null, title),
    endBanner(prod),
    ...content);
}

/* A table in a box that scrolls sideways on a phone (the page itself never does). */
export function table(caption, headers, rows, attrs = {}) {
  return h('div', { class: 'scroll', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', attrs,
      h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows)));
}

/*
 * Says what an action will do before it is done: the button is replaced by
 * the consequence and "Yes, …" / "Cancel"; act() runs on yes.
 */
export function confirmStep(button, consequence, yesText, act) {
  button.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger' }, yesText);
    const no = h('button', { type: 'button' }, t('cancel'));
    const box = h('div', { class: 'confirm', role: 'group', 'aria-label': yesText },
      h('p', null, consequence), h('div', { class: 'actions' }, yes, no));
    button.replaceWith(box);
    yes.focus();
    no.addEventListener('click', () => {
      box.replaceWith(button);
      button.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      try {
        await act();
      } finally {
        yes.disabled = false;
        no.disabled = false;
      }
    });
  });
  return button;
}

/*
 * A time as the API takes it: "HH:MM", past 24:00 for after midnight
 * ("25:30"), so not <input type=time>, which stops at 23:59.
 */
export const TIME_ATTRS = { inputmode: 'numeric', pattern: '[0-9]{1,2}:[0-9]{2}', maxlength: '5', autocomplete: 'off', class: 'time' };

/* Today's date in the production's time zone, "YYYY-MM-DD". */
export function todayIn(tz) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}
