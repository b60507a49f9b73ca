/*
 * app.js — boots the web app: finds the page for the address, makes sure
 * the person is signed in where a page needs it (and has changed a one-time
 * password and enrolled a required second factor first, as the API
 * insists), draws the bar, and moves between pages without reloading.
 *
 * Pages live one per screen in screens/*.js and export
 *   render(ctx)   draws the page; ctx = {me, go, flash, refreshMe}
 * The table below says which need no session (isPublic), and which API
 * answer a page will want first (data: asked for at once, beside the
 * session check and the page's modules; the page takes it with early()).
 *
 * Nothing here decides what a person may see: a page shows what the API
 * answers for the session. The service worker (/sw.js) keeps the app and
 * the person's own call sheets for when there is no signal.
 */
import { h, link } from './dom.js';
import { get, post, prefetch, setCsrf, ApiError } from './api.js';
import { t, problemText } from './text.js';
import * as offline from './offline.js';

/*
 * The pages, each loaded when first shown (the call sheet's modules are
 * preloaded by index.html: it is the page people open on set, often on a
 * slow link, and each further wave of modules would cost a round trip).
 */
const screen = (file, part) => async () => {
  const mod = await import(`./screens/${file}.js`);
  return part ? mod[part] : mod;
};
const callsheet = { load: screen('callsheet'), data: '/api/v1/me/callsheets' };
const pages = {
  '/': callsheet,
  '/callsheet': callsheet,
  '/sign-in': { load: screen('signin'), isPublic: true },
  '/forgot-password': { load: screen('password', 'forgot'), isPublic: true },
  '/reset-password': { load: screen('password', 'reset'), isPublic: true },
  '/first-password': { load: screen('password', 'first') },
  '/invitation': { load: screen('invitation'), isPublic: true },
  '/sheet': { load: screen('sheetlink'), isPublic: true },
  '/second-factor': { load: screen('mfa') },
  '/productions': { load: screen('productions') },
  '/my-details': { load: screen('details') },
  '/admin': { load: screen('admin') },
};
/*
 * The production office, /office/{production id}[/…]: the parts of the
 * address after "office" reach the page as ctx.params (decoded).
 */
const office = [
  [/^\/office\/([^/]+)$/, screen('office', 'home')],
  [/^\/office\/([^/]+)\/people$/, screen('people', 'directory')],
  [/^\/office\/([^/]+)\/people\/import$/, screen('peopleimport')],
  [/^\/office\/([^/]+)\/people\/([^/]+)$/, screen('people', 'card')],
  [/^\/office\/([^/]+)\/members$/, screen('members')],
  [/^\/office\/([^/]+)\/locations$/, screen('locations', 'list')],
  [/^\/office\/([^/]+)\/locations\/([^/]+)$/, screen('locations', 'one')],
  [/^\/office\/([^/]+)\/records$/, screen('records')],
  [/^\/office\/([^/]+)\/sustainability$/, screen('sustainability')],
  [/^\/office\/([^/]+)\/schedule$/, screen('schedule')],
  [/^\/office\/([^/]+)\/days\/([^/]+)$/, screen('day')],
  [/^\/office\/([^/]+)\/days\/([^/]+)\/publish$/, screen('publish')],
];
const notFound = { load: screen('notfound'), isPublic: true };

/*
 * The instance administrator's incident register, under /admin (the
 * server answers the app's page at the paths it lists; the query names
 * the page): /admin?incidents, /admin?incident=new, /admin?incident={id}.
 */
function adminPage(search) {
  const q = new URLSearchParams(search);
  if (q.has('incidents')) return { entry: { load: screen('incidents', 'list') }, params: [] };
  const id = q.get('incident');
  if (id === 'new') return { entry: { load: screen('incidents', 'open') }, params: [] };
  if (id) return { entry: { load: screen('incidents', 'detail') }, params: [id] };
  return null;
}

/* The page for an address (a path and its query) and the parameters it carries. */
function pageFor(address) {
  const url = new URL(address, location.origin);
  const path = url.pathname;
  if (path === '/admin' && url.search) {
    const p = adminPage(url.search);
    if (p) return p;
  }
  if (pages[path]) return { entry: pages[path], params: [] };
  for (const [re, load] of office) {
    const m = re.exec(path);
    if (!m) continue;
    try {
      return { entry: { load }, params: m.slice(1).map(decodeURIComponent) };
    } catch {
      break; /* a malformed escape: no such page */
    }
  }
  return { entry: notFound, params: [] };
}

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

/* Signs out and wipes what the browser kept; message: the line the sign-in page shows then. */
async function signOut(message) {
  try {
    await post('/api/v1/auth/logout');
  } catch {
    /* signed out already (an account just closed), or no signal: the browser's copy goes either way */
  }
  await offline.wipe();
  setCsrf(null);
  ctx.me = null;
  flash(typeof message === 'string' ? message : t('signedOut'));
  go('/sign-in', { replace: true });
}

function drawBar() {
  const bar = document.getElementById('bar');
  const here = location.pathname;
  const incidents = here === '/admin' && /^\?incidents?(=|&|$)/.test(location.search);
  const current = (href) => (href === '/admin?incidents' ? incidents
    : (here === href && !(href === '/admin' && incidents)) || (href === '/callsheet' && here === '/'));
  const item = (href, text) => h('li', null, link(href, text, current(href) ? { 'aria-current': 'page' } : {}));
  bar.replaceChildren(h('a', { class: 'brand', href: ctx.me ? '/callsheet' : '/sign-in', 'data-nav': '' }, t('app')));
  if (!ctx.me) return;
  const out = h('li', null, h('button', { type: 'button', class: 'link', onclick: signOut }, t('signOut')));
  /* until the gate is passed, the API answers nothing else: no page to offer */
  bar.append(h('nav', { 'aria-label': t('nav') }, h('ul', null, gate(ctx.me) ? out : [
    item('/callsheet', t('navCallsheet')),
    item('/productions', t('navProductions')),
    item('/my-details', t('navDetails')),
    ctx.me.user && ctx.me.user.instance_admin ? item('/admin', t('navAdmin')) : null,
    ctx.me.user && ctx.me.user.instance_admin ? item('/admin?incidents', t('navIncidents')) : null,
    out])));
}

/* Where a signed-in person must go before anything else, or null. */
function gate(me) {
  if (me.must_change_password) return '/first-password';
  if (me.mfa && me.mfa.required && !me.mfa.enrolled) return '/second-factor';
  return null;
}

async function route() {
  const { entry, params } = pageFor(location.pathname + location.search);
  ctx.params = params;
  const loading = entry.load();
  let page;
  if (!entry.isPublic) {
    if (entry.data) prefetch(entry.data);
    try {
      const asked = refreshMe(); /* at once, beside the page's own modules */
      asked.catch(() => {});
      page = await loading;
      await asked;
    } catch (err) {
      ctx.me = null;
      if (err instanceof ApiError && err.status === 401) {
        const had = await offline.forgetData(); /* the session ended: what it kept goes too */
        sessionStorage.setItem('slate.next', location.pathname + location.search);
        if (had && !ctx.message) flash(t('sessionEnded'));
        go('/sign-in', { replace: true });
        return;
      }
      drawBar();
      const main = document.getElementById('main');
      main.replaceChildren(h('h1', null, t('app')), h('p', { class: 'status', dataset: { kind: 'error' } },
        problemText(err)));
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
  document.getElementById('main').classList.toggle('wide', location.pathname.startsWith('/office/') || (location.pathname === '/admin' && !location.search));
  await (page || await loading).render(ctx);
  registerWorker();
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
  go(next && pageFor(next).entry !== notFound && next !== '/sign-in' ? next : '/callsheet', { replace: true });
};

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  ev.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener('popstate', route);
window.addEventListener('online', () => offline.flushAcks());

/*
 * The service worker. With Trusted Types enforced, registering one takes a
 * TrustedScriptURL: the one policy Slate defines (the CSP allows only the
 * name "slate") passes exactly "/sw.js" and refuses anything else.
 */
let registered = false;
function registerWorker() {
  if (registered || !('serviceWorker' in navigator)) return;
  registered = true;
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

/* the worker is registered once the first page is drawn: its downloads then do not compete with the page's */
route();
