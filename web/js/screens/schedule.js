/*
 * schedule.js — /office/{id}/schedule: the shoot days as a list and as a
 * month view, and (for those who write the schedule) a new day. Each day
 * opens its editor (day.js).
 */
import { h, link, field, statusLine, busy } from '../dom.js';
import { get, post, ApiError, showFieldErrors } from '../api.js';
import { t } from '../text.js';
import { formatDate, formatTime } from '../format.js';
import { apiBase, officePath, loadProduction, frame, may, table, TIME_ATTRS, todayIn } from '../office.js';

const dayPath = (prod, d) => officePath(prod.id, `/days/${encodeURIComponent(d.id)}`);

function listView(prod, days) {
  const rows = days.map((d) => h('tr', { dataset: { cancelled: d.cancelled ? 'yes' : 'no' } },
    h('th', { scope: 'row' }, link(dayPath(prod, d), t('dayOf', { day: d.number, of: d.total }))),
    h('td', null, formatDate(d.date)),
    h('td', null, d.unit),
    h('td', null, formatTime(d.general_call)),
    h('td', null, formatTime(d.wrap_estimate)),
    h('td', null, d.cancelled ? t('dayCancelled') : '')));
  return table(t('shootDays'), [t('day'), t('date'), t('unit'), t('generalCall'), t('wrap'), t('status')], rows, { class: 'grid' });
}

/* One month as a calendar: weeks from Monday, each shoot day a link. */
function monthView(prod, year, month, days) {
  const first = new Date(Date.UTC(year, month, 1));
  const lead = (first.getUTCDay() + 6) % 7;
  const count = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const byDate = new Map();
  for (const d of days) {
    if (!byDate.has(d.date)) byDate.set(d.date, []);
    byDate.get(d.date).push(d);
  }
  const weekdays = [];
  for (let i = 0; i < 7; i++) {
    weekdays.push(new Intl.DateTimeFormat(undefined, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i))));
  }
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(h('td', { class: 'empty' }));
  for (let day = 1; day <= count; day++) {
    const iso = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const shoots = byDate.get(iso) || [];
    cells.push(h('td', { class: shoots.length ? 'shoot' : null },
      h('span', { class: 'date' }, String(day)),
      shoots.map((d) => link(dayPath(prod, d), d.cancelled ? t('dayShortCancelled', { n: d.number }) : t('dayShort', { n: d.number }),
        { 'aria-label': `${t('dayOf', { day: d.number, of: d.total })}, ${formatDate(d.date)}` }))));
  }
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(h('tr', null, cells.slice(i, i + 7)));
  const title = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(first);
  return h('div', { class: 'scroll', role: 'region', 'aria-label': title, tabindex: '0' },
    h('table', { class: 'month' }, h('caption', null, title),
      h('thead', null, h('tr', null, weekdays.map((w) => h('th', { scope: 'col' }, w)))),
      h('tbody', null, weeks)));
}

function months(days) {
  const seen = [];
  for (const d of days) {
    const key = d.date.slice(0, 7);
    if (!seen.includes(key)) seen.push(key);
  }
  return seen.map((k) => [Number(k.slice(0, 4)), Number(k.slice(5, 7)) - 1]);
}

function newDayForm(prod, ctx) {
  const note = statusLine();
  const fields = {
    date: field(t('date'), { type: 'date', name: 'date', value: todayIn(prod.timezone) }),
    unit: field(t('unit'), { name: 'unit', value: 'Main' }),
    general_call: field(t('generalCall'), { name: 'general_call', ...TIME_ATTRS, value: '07:00' }, t('timeHint')),
    wrap_estimate: field(t('wrap'), { name: 'wrap_estimate', ...TIME_ATTRS, value: '19:00' }),
  };
  const add = h('button', { type: 'submit', class: 'primary' }, t('addDay'));
  const form = h('form', { novalidate: true, 'aria-label': t('addDay') }, Object.values(fields).map((f) => f.row), note, add);
  form.addEventListener('submit', busy(add, async () => {
    const body = {};
    for (const [name, f] of Object.entries(fields)) {
      f.setError(null);
      if (f.input.value.trim()) body[name] = f.input.value.trim();
    }
    try {
      const day = await post(`${apiBase(prod.id)}/days`, body);
      ctx.flash(t('dayAdded'));
      ctx.go(dayPath(prod, day));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const setters = Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.setError]));
      if (!showFieldErrors(err, setters)) note.say(err.message, 'error');
    }
  }));
  return form;
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  let days = [];
  try {
    days = (await get(`${apiBase(prod.id)}/days`)).days;
  } catch (err) {
    note.say(err.message, 'error');
  }
  const asList = h('button', { type: 'button', 'aria-pressed': 'true' }, t('viewList'));
  const asMonth = h('button', { type: 'button', 'aria-pressed': 'false' }, t('viewMonth'));
  const list = h('div', null, days.length ? listView(prod, days) : h('p', null, t('noDays')));
  const month = h('div', { hidden: true }, months(days).map(([y, m]) => monthView(prod, y, m, days)));
  const pick = (showMonth) => {
    asList.setAttribute('aria-pressed', String(!showMonth));
    asMonth.setAttribute('aria-pressed', String(showMonth));
    list.hidden = showMonth;
    month.hidden = !showMonth;
  };
  asList.addEventListener('click', () => pick(false));
  asMonth.addEventListener('click', () => pick(true));
  frame(prod, t('scheduleTitle'), note,
    h('div', { class: 'actions', role: 'group', 'aria-label': t('viewAs') }, asList, asMonth),
    list, month,
    may(prod, 'schedule', 'write') ? [h('h2', null, t('addDay')), newDayForm(prod, ctx)] : null);
}

export { render };
