/*
 * app.js — boots the web app: finds the page for the address, makes sure
 * the person is signed in where a page needs it (and has changed a one-time
 * password and enrolled a required second factor first, as the API
 * insists), draws the bar, and moves between pages without reloading.
 *
 * Pages live one per screen in screens/*.js and export
 *   render(ctx)   draws the page; ctx = {me, go, flash, refreshMe}
 *   isPublic      true when the page needs no session
 *   prefetch()    optional: starts its API call while the session is checked
 *
 * Nothing here decides what a person may see: a page shows what the API
 * answers for the session. The service worker (/sw.js) keeps the app and
 * the person's own call sheets for when there is no signal.
 */
import { h, link } from './dom.js';
import { get, post, setCsrf, ApiError } from './api.js';
import { t } from './text.js';
import * as offline from './offline.js';
import * as signin from './screens/signin.js';
import * as password from './screens/password.js';
import * as invitation from './screens/invitation.js';
import * as mfa from './screens/mfa.js';
import * as productions from './screens/productions.js';
import * as callsheet from './screens/callsheet.js';
import * as details from './screens/details.js';
import * as notfound from './screens/notfound.js';

const pages = {
  '/': callsheet,
  '/callsheet': callsheet,
  '/sign-in': signin,
  '/forgot-password': password.forgot,
  '/reset-password': password.reset,
  '/first-password': password.first,
  '/invitation': invitation,
  '/second-factor': mfa,
  '/productions': productions,
  '/my-details': details,
};

const ctx = { me: null, message: null, go, flash, refreshMe, signOut };

/* Remembers a line to show on the next page (e.g. "You are signed out"). */
function flash(text) {
  ctx.message = text;
}

async function refreshMe() {
  ctx.me = await get('/api/v1/me');
  return ctx.me;
}

function go(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

async function signOut() {
  try {
    await post('/api/v1/auth/logout');
  } catch {
    /* signed out already, or no signal: the browser's copy goes either way */
  }
  await offline.wipe();
  setCsrf(null);
  ctx.me = null;
  flash(t('signedOut'));
  go('/sign-in', { replace: true });
}

function drawBar() {
  const bar = document.getElementById('bar');
  const here = location.pathname;
  const item = (href, text) => h('li', null,
    link(href, text, here === href || (href === '/callsheet' && here === '/') ? { 'aria-current': 'page' } : {}));
  bar.replaceChildren(h('a', { class: 'brand', href: ctx.me ? '/callsheet' : '/sign-in', 'data-nav': '' }, t('app')));
  if (!ctx.me) return;
  const out = h('li', null, h('button', { type: 'button', class: 'link', onclick: signOut }, t('signOut')));
  /* until the gate is passed, the API answers nothing else: no page to offer */
  bar.append(h('nav', { 'aria-label': t('nav') }, h('ul', null, gate(ctx.me) ? out : [
    item('/callsheet', t('navCallsheet')),
    item('/productions', t('navProductions')),
    item('/my-details', t('navDetails')),
    out])));
}

/* Where a signed-in person must go before anything else, or null. */
function gate(me) {
  if (me.must_change_password) return '/first-password';
  if (me.mfa && me.mfa.required && !me.mfa.enrolled) return '/second-factor';
  return null;
}

async function route() {
  const page = pages[location.pathname] || notfound;
  if (!page.isPublic) {
    if (page.prefetch) page.prefetch();
    try {
      await refreshMe();
    } catch (err) {
      const had = ctx.me !== null;
      ctx.me = null;
      if (err instanceof ApiError && err.status === 401) {
        await offline.forgetData(); /* the session ended: what it kept goes too */
        sessionStorage.setItem('slate.next', location.pathname);
        if (had && !ctx.message) flash(t('sessionEnded'));
        go('/sign-in', { replace: true });
        return;
      }
      drawBar();
      const main = document.getElementById('main');
      main.replaceChildren(h('h1', null, t('app')), h('p', { class: 'status', dataset: { kind: 'error' } },
        err.offline ? t('offlineNothing') : t('error', { detail: err.message })));
      return;
    }
    const must = gate(ctx.me);
    if (must && must !== location.pathname) {
      go(must, { replace: true });
      return;
    }
    offline.flushAcks();
  }
  drawBar();
  await page.render(ctx);
}

/* After sign-in: back where the person was going, or their call sheet. */
ctx.afterSignIn = async function afterSignIn() {
  const me = await refreshMe();
  const must = gate(me);
  if (must) { /* the page asked for waits until the gate is passed */
    go(must, { replace: true });
    return;
  }
  const next = sessionStorage.getItem('slate.next');
  sessionStorage.removeItem('slate.next');
  go(next && pages[next] && next !== '/sign-in' ? next : '/callsheet', { replace: true });
};

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  ev.preventDefault();
  go(url.pathname);
});
window.addEventListener('popstate', route);
window.addEventListener('online', () => offline.flushAcks());

/*
 * The service worker. With Trusted Types enforced, registering one takes a
 * TrustedScriptURL: the one policy Slate defines (the CSP allows only the
 * name "slate") passes exactly "/sw.js" and refuses anything else.
 */
function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  let url = '/sw.js';
  if (window.trustedTypes) {
    const policy = window.trustedTypes.createPolicy('slate', {
      createScriptURL: (u) => {
        if (u !== '/sw.js') throw new TypeError('not a Slate script');
        return u;
      },
    });
    url = policy.createScriptURL('/sw.js');
  }
  navigator.serviceWorker.register(url, { scope: '/' }).catch(() => {
    /* no offline copy then; the app works on */
  });
}

registerWorker();
route();
