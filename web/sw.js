/*
 * sw.js — Slate's service worker: the app and the person's own call sheets
 * with no signal.
 *
 * - The app shell (this version's assets, named by their content hash, and
 *   the entry page) is kept at install; an asset is answered from the cache,
 *   the entry page from the network first.
 * - Two API answers are kept, network first: GET /api/v1/me and
 *   GET /api/v1/me/callsheets. They are the person's own (the API shaped
 *   them for this session's role: no other person's personal fields), and
 *   a copy answered from the cache carries X-Slate-Kept-At so the page can
 *   say when it was last updated.
 * - Nothing else is kept. Signing out deletes every cache (offline.js), and
 *   the server's answer to it carries Clear-Site-Data.
 */
const ASSETS = '{{ASSETS}}';
const SHELL = `slate-app-${ASSETS.split('/').pop()}`;
const DATA = 'slate-data';
const FILES = {{ASSET_FILES}};
const KEPT = new Set(['/api/v1/me', '/api/v1/me/callsheets']);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(['/', ...FILES]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('slate-app-') && k !== SHELL) await caches.delete(k);
    await self.clients.claim();
  })());
});

async function shell(request) {
  try {
    const res = await fetch(request);
    return res;
  } catch {
    const cache = await caches.open(SHELL);
    return (await cache.match('/')) || Response.error();
  }
}

async function asset(request) {
  const cache = await caches.open(SHELL);
  return (await cache.match(request)) || fetch(request);
}

async function kept(request) {
  const cache = await caches.open(DATA);
  try {
    const res = await fetch(request);
    if (res.ok) {
      const headers = new Headers(res.headers);
      headers.set('X-Slate-Kept-At', new Date().toISOString());
      await cache.put(request, new Response(await res.clone().blob(), { status: res.status, headers }));
    } else if (res.status === 401 || res.status === 403) {
      await cache.delete(request);
    }
    return res;
  } catch {
    const copy = await cache.match(request);
    return copy || Response.error();
  }
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (req.mode === 'navigate') event.respondWith(shell(req));
  else if (url.pathname.startsWith(`${ASSETS}/`)) event.respondWith(asset(req));
  else if (KEPT.has(url.pathname) && !url.search) event.respondWith(kept(req));
});
