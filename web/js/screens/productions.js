/* productions.js — /productions: the productions I belong to, with my role in each, and whether one is archived or closed. */
import { h, show, statusLine, link } from '../dom.js';
import { get } from '../api.js';
import { t, roleName, problemText } from '../text.js';
import { formatInstant } from '../format.js';

export async function render() {
  const note = statusLine();
  let list;
  try {
    list = (await get('/api/v1/productions')).productions;
  } catch (err) {
    note.say(problemText(err), 'error');
    show(t('productionsTitle'), h('h1', null, t('productionsTitle')), note);
    return;
  }
  const items = list.map((p) => h('li', { class: 'card' },
    h('h2', null, p.name),
    h('p', null, t('yourRole', { role: roleName(p.role) })),
    h('p', { class: 'muted' }, t('timezone', { tz: p.timezone })),
    p.closed_at && p.deletion_due ? h('p', { class: 'ended' }, t('listClosed', { when: formatInstant(p.deletion_due, p.timezone) }))
      : p.archived_at ? h('p', { class: 'ended' }, t('listArchived')) : null,
    h('p', null, link('/callsheet', t('navCallsheet')), ' · ', link('/my-details', t('navDetails')),
      ' · ', link(`/office/${encodeURIComponent(p.id)}`, t('officeLink')))));
  show(t('productionsTitle'), h('h1', null, t('productionsTitle')), note,
    items.length ? h('ul', { class: 'cards' }, items) : h('p', null, t('noProductions')));
}
