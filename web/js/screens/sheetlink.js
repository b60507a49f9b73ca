/*
 * sheetlink.js — /sheet#token=…: the call sheet a recipient was mailed,
 * opened from the personal link in the mail.
 *
 * Signed in, the link behaves as the app does: the page goes to my call
 * sheets (/callsheet), which show this version if it is still the latest.
 * Without signing in, the token itself opens that one version (POST
 * /api/v1/sheet-links/open): the production, the day, my call on top and
 * the sheet as a crew member with no account would be sent it (the same
 * content as my PDF: the day, locations, scenes, department calls, key
 * contacts and every call), with Acknowledge (…/ack) and my PDF (…/pdf). A
 * production that turned link-only access off answers 403, and the page
 * offers to sign in instead.
 *
 * The token is read from the fragment, which never reaches the server in a
 * URL or a Referer, and goes to the API in a JSON body only. It waits in
 * sessionStorage (this tab only) across a reload, and leaves the address
 * bar at once, so it is not kept in the history or a bookmark.
 */
import { h, show, statusLine, busy } from '../dom.js';
import { get, post, postForBlob, ApiError } from '../api.js';
import { t, problemText } from '../text.js';
import { formatDate, formatTime, formatInstant } from '../format.js';
import { fragmentToken } from './password.js';
import { sheetBody, myCall } from './callsheet.js';

const KEY = 'slate.sheetlink';

function ackControl(token, acknowledgedAt, tz) {
  const note = statusLine();
  if (acknowledgedAt) {
    return h('div', { class: 'ack' }, h('p', { class: 'acked' }, `✓ ${t('acknowledgedAt', { when: formatInstant(acknowledgedAt, tz) })}`));
  }
  const button = h('button', { type: 'button', class: 'primary' }, t('acknowledge'));
  button.addEventListener('click', busy(button, async () => {
    try {
      await post('/api/v1/sheet-links/ack', { token });
      button.replaceWith(h('p', { class: 'acked' }, `✓ ${t('acknowledged')}`));
      note.say(t('ackSent'));
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  }));
  return h('div', { class: 'ack' }, button, note);
}

function pdfControl(token, name) {
  const note = statusLine();
  const button = h('button', { type: 'button' }, t('pdfMine'));
  button.addEventListener('click', busy(button, async () => {
    try {
      const blob = await postForBlob('/api/v1/sheet-links/pdf', { token });
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  }));
  return h('p', { class: 'pdf' }, button, note);
}

/* Every call, one line each (name, call, department), readable on a phone without scrolling sideways. */
function callList(calls) {
  return h('ul', { class: 'calls' }, calls.map((c) => h('li', null,
    h('strong', null, c.name), ` ${formatTime(c.call)}`,
    c.department ? h('span', { class: 'muted' }, ` · ${c.department}`) : null)));
}

export async function render(ctx) {
  const fromLink = fragmentToken();
  if (fromLink) {
    sessionStorage.setItem(KEY, fromLink);
    history.replaceState(null, '', '/sheet');
  }
  const token = fromLink || sessionStorage.getItem(KEY);
  const note = statusLine();
  const page = (...body) => show(t('sheetLinkTitle'), h('h1', null, t('sheetLinkTitle')), note, ...body);
  try {
    ctx.me = await get('/api/v1/me');
  } catch {
    ctx.me = null; /* not signed in: the link alone */
  }
  if (ctx.me) {
    sessionStorage.removeItem(KEY);
    ctx.go('/callsheet', { replace: true });
    return;
  }
  if (!token) {
    page(h('p', null, t('linkMissing')));
    return;
  }
  let got;
  try {
    got = await post('/api/v1/sheet-links/open', { token });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 403) {
      sessionStorage.setItem('slate.next', '/callsheet');
      page(h('p', null, t('sheetLinkSignIn')), h('p', null, h('a', { href: '/sign-in', 'data-nav': '', class: 'button primary' }, t('signIn'))));
      return;
    }
    if (err.status === 404) sessionStorage.removeItem(KEY);
    page(h('p', { class: 'status', dataset: { kind: 'error' } }, err.status === 404 ? t('sheetLinkGone') : problemText(err)));
    return;
  }
  const s = got.sheet;
  const cs = got.callsheet;
  const mine = (s.calls || []).find((c) => c.person_id === got.person.id) || null;
  const tz = s.production && s.production.timezone;
  const headingId = `sheet-${cs.id}`;
  page(
    h('p', { class: 'muted' }, t('sheetLinkFor', { name: got.person.name })),
    h('article', { class: 'sheet', 'aria-labelledby': headingId },
      h('header', null,
        h('p', { class: 'eyebrow' }, got.production.name),
        h('h2', { id: headingId }, formatDate(s.date)),
        h('p', null, t('dayOf', { day: s.day, of: s.of }), s.unit ? ` · ${s.unit}` : ''),
        h('p', { class: 'muted' }, t('version', { v: cs.version, when: formatInstant(cs.published_at, tz) })),
        pdfControl(token, `callsheet-day-${s.day}-v${cs.version}.pdf`)),
      s.cancelled ? h('p', { class: 'status', dataset: { kind: 'error' } }, t('cancelled')) : null,
      myCall(mine),
      ackControl(token, got.acknowledged_at, tz),
      sheetBody(s),
      /* the calls, as the PDF holds them */
      s.calls && s.calls.length ? [h('h3', null, t('everyCall')), callList(s.calls)] : null));
}
