/*
 * callsheet.js — /callsheet (and /): my call sheets, phone first.
 *
 * GET /api/v1/me/callsheets answers, for each of my productions, the latest
 * published call sheet of today and of my next shoot day, shaped by the API
 * for my role, with my own call, whether I acknowledged this version, and
 * what changed for me since the version I last acknowledged. The page puts
 * my call in large type first, then the day as the production office
 * publishes it: general call, Day X of Y, sun, locations (the address opens
 * the phone's maps app, a phone number its dialler), scenes, department
 * calls and key contacts.
 *
 * With no signal the service worker answers the copy it kept (the page
 * says when it was updated), and "Acknowledge" is queued on the device and
 * sent when the connection returns (offline.js).
 */
import { h, show, statusLine, busy } from '../dom.js';
import { early, post, ApiError } from '../api.js';
import { t, fieldName, problemText } from '../text.js';
import { formatDate, formatTime, formatInstant } from '../format.js';
import * as offline from '../offline.js';

/* 11 eighths of a page → "1 3/8" */
function pages(eighths) {
  const whole = Math.floor(eighths / 8);
  const rest = eighths % 8;
  if (!rest) return String(whole);
  return whole ? `${whole} ${rest}/8` : `${rest}/8`;
}

function facts(pairs) {
  const rows = pairs.filter(([, v]) => v !== null && v !== undefined && v !== '');
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

function telLink(number) {
  return h('a', { href: `tel:${number.replace(/[^0-9+]/g, '')}` }, number);
}

function section(title, ...body) {
  return h('section', null, h('h3', null, title), ...body);
}

/* My call in large type, or that I am not called: shared with the mailed link's page (sheetlink.js). */
export function myCall(call) {
  if (!call) return h('section', { class: 'mycall' }, h('h3', null, t('yourCall')), h('p', null, t('notCalled')));
  return h('section', { class: 'mycall' },
    h('h3', null, t('yourCall')),
    h('p', { class: 'calltime' }, formatTime(call.call)),
    call.call_from === 'department' ? h('p', { class: 'muted' }, t('departmentCall')) : null,
    facts([
      [t('pickup'), call.pickup && formatTime(call.pickup)],
      [t('hairMakeup'), call.hair_makeup && formatTime(call.hair_makeup)],
      [t('onSet'), call.on_set && formatTime(call.on_set)],
      [t('castStatus'), call.cast_status],
    ]));
}

function changeText(c) {
  const show1 = (v) => (v === null || v === undefined || v === '' ? t('none')
    : /^\d{1,2}:\d{2}$/.test(v) ? formatTime(v) : v);
  return t('changed', { field: fieldName(c.field), from: show1(c.from), to: show1(c.to) });
}

function ackControl(entry, onAcked) {
  const cs = entry.callsheet;
  const note = statusLine();
  const pending = offline.isPending(cs.id);
  if (entry.acknowledged || pending) {
    note.say(pending ? t('ackQueued') : '');
    return h('div', { class: 'ack' }, h('p', { class: 'acked' }, `✓ ${t('acknowledged')}`), note);
  }
  const button = h('button', { type: 'button', class: 'primary' }, t('acknowledge'));
  const box = h('div', { class: 'ack' }, button, note);
  button.addEventListener('click', busy(button, async () => {
    try {
      await post(offline.ackPath(entry.production.id, cs.id));
      note.say(t('ackSent'));
    } catch (err) {
      if (!(err instanceof ApiError) || !err.offline) {
        note.say(t('error', { detail: err.message }), 'error');
        return;
      }
      offline.queueAck(entry.production.id, cs.id);
      note.say(t('ackQueued'));
    }
    button.replaceWith(h('p', { class: 'acked' }, `✓ ${t('acknowledged')}`));
    onAcked();
  }));
  return box;
}

function sheetView(entry) {
  const cs = entry.callsheet;
  const s = cs.sheet;
  const tz = entry.production.timezone;
  const headingId = `sheet-${cs.id}`;
  const flagged = !entry.acknowledged && entry.acknowledged_version !== null && entry.acknowledged_version !== undefined;
  /* "acknowledge it again" until it is (or waits to be sent) */
  const headline = h('strong', null, t(offline.isPending(cs.id) ? 'newVersionSeen' : 'newVersion', { v: cs.version }));
  return h('article', { class: 'sheet', 'aria-labelledby': headingId },
    h('header', null,
      h('p', { class: 'eyebrow' }, `${entry.when === 'today' ? t('today') : t('next')} · ${entry.production.name}`),
      h('h2', { id: headingId }, formatDate(s.date)),
      h('p', null, t('dayOf', { day: s.day, of: s.of }), s.unit ? ` · ${s.unit}` : ''),
      h('p', { class: 'muted' }, t('version', { v: cs.version, when: formatInstant(cs.published_at, tz) })),
      pdfLinks(entry.production.id, cs.id)),
    s.cancelled ? h('p', { class: 'status', dataset: { kind: 'error' } }, t('cancelled')) : null,
    flagged ? h('div', { class: 'flag', role: 'note' },
      h('p', null, headline),
      entry.changes && entry.changes.length ? [h('p', null, t('changedFor')),
        h('ul', null, entry.changes.map((c) => h('li', null, changeText(c))))] : null) : null,
    myCall(entry.my_call),
    ackControl(entry, () => { headline.textContent = t('newVersionSeen', { v: cs.version }); }),
    sheetBody(s));
}

/* Links to a published version drawn for print, on A4 and on US Letter (GET …/callsheets/{cid}.pdf). */
export function pdfLinks(productionId, callsheetId) {
  const url = `/api/v1/productions/${encodeURIComponent(productionId)}/callsheets/${encodeURIComponent(callsheetId)}.pdf`;
  return h('p', { class: 'pdf' }, h('a', { href: url, download: '' }, t('pdfA4')), ' · ',
    h('a', { href: `${url}?paper=letter`, download: '' }, t('pdfLetter')));
}

/* The day as published, after the reader's own part: shared with the office's preview (publish.js). */
export function sheetBody(s) {
  return [
    facts([
      [t('generalCall'), s.general_call && formatTime(s.general_call)],
      [t('wrap'), s.wrap_estimate && formatTime(s.wrap_estimate)],
      [t('sunrise'), s.sunrise && formatTime(s.sunrise)],
      [t('sunset'), s.sunset && formatTime(s.sunset)],
    ]),
    s.locations && s.locations.length ? section(t('locations'), h('ul', { class: 'locations' }, s.locations.map((l) =>
      h('li', null, h('h4', null, l.name),
        facts([
          [t('address'), l.address ? h('a', { href: `geo:0,0?q=${encodeURIComponent(l.address)}` }, l.address) : null],
          [t('parking'), l.parking],
          [t('hospital'), l.nearest_hospital],
          [t('access'), l.access_notes],
        ]))))) : null,
    s.scenes && s.scenes.length ? section(t('scenes'), h('ol', { class: 'scenes' }, s.scenes.map((sc) =>
      h('li', null, h('strong', null, t('sceneNumber', { n: sc.number })), ' ',
        `${sc.int_ext}. ${sc.set} — ${sc.day_night}`, h('span', { class: 'muted' }, ` · ${t('pages', { n: pages(sc.eighths) })}`),
        sc.cast && sc.cast.length ? h('span', { class: 'cast' }, t('castList', { names: sc.cast.join(', ') })) : null)))) : null,
    s.department_calls && s.department_calls.length ? section(t('departmentCalls'),
      facts(s.department_calls.map((d) => [d.department, formatTime(d.call)]))) : null,
    s.key_contacts && s.key_contacts.length ? section(t('keyContacts'), h('ul', { class: 'contacts' }, s.key_contacts.map((c) =>
      h('li', null, h('strong', null, c.name), c.job_title ? ` — ${c.job_title}` : '',
        c.work_phone ? [h('br'), telLink(c.work_phone)] : null,
        c.work_email ? [h('br'), h('a', { href: `mailto:${c.work_email}` }, c.work_email)] : null)))) : null];
}

export async function render(ctx) {
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  let data;
  try {
    data = await early('/api/v1/me/callsheets'); /* started by app.js (its page table) */
  } catch (err) {
    note.say(problemText(err), 'error');
    show(t('callsheetTitle'), h('h1', null, t('callsheetTitle')), note);
    return;
  }
  const kept = data.keptAt ? h('p', { class: 'status', dataset: { kind: 'warn' } }, t('offline', { when: formatInstant(data.keptAt) })) : null;
  const sheets = data.callsheets || [];
  show(t('callsheetTitle'), h('h1', null, t('callsheetTitle')), kept, note,
    sheets.length ? sheets.map(sheetView) : h('p', null, t('noCallsheets')));
}
