// CONTRACT.md, "The web app's pages and assets": `slate serve` answers the
// browser app compiled into it (web/, scripts/embed web). Every app path
// answers index.html and /sw.js the service worker, both no-store; every
// other file of web/ is an immutable asset at /assets/<version>/<path>, and
// nothing else is (another version, "..", an encoded dot, an unknown name:
// 404). Every web answer carries the app's own strict CSP, Vary:
// Accept-Encoding, and the gzip copy when the client takes gzip. Signing out
// answers Clear-Site-Data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, request, assertProblem, makeTempDir, REPO_ROOT } from './lib/harness.mjs';
import { signIn, call } from './lib/session.mjs';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; " +
  "require-trusted-types-for 'script'; trusted-types slate";
const IMMUTABLE = 'public, max-age=31536000, immutable';
const APP_PATHS = ['/', '/sign-in', '/forgot-password', '/reset-password', '/invitation', '/sheet', '/first-password',
  '/second-factor', '/productions', '/callsheet', '/my-details',
  // the production office: the app reads the rest of the address
  '/office/prd_x', '/office/prd_x/people', '/office/prd_x/days/day_y/publish', '/admin'];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
const WEB = path.join(REPO_ROOT, 'web');

/** Every file scripts/embed takes from dir, relative, in byte order (no dot files, no backups~). */
function webFiles(dir) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name.endsWith('~')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The app's version as scripts/embed computes it: SHA-256 over each path and its content's SHA-256. */
function versionOf(dir) {
  const h = createHash('sha256');
  for (const rel of webFiles(dir)) {
    h.update(`${rel}\n${createHash('sha256').update(readFileSync(path.join(dir, rel))).digest('hex')}  -\n`);
  }
  return h.digest('hex').slice(0, 16);
}

let server;
let version;
let page; // the identity body of index.html as served
const ASSETS = webFiles(WEB).filter((f) => f !== 'index.html' && f !== 'sw.js');

before(async () => {
  server = await startServer();
  version = versionOf(WEB);
  page = (await request(server, { path: '/' })).raw;
});

after(async () => {
  await server?.stop();
});

function assertWebHeaders(res, what) {
  const h = res.headers;
  assert.equal(h['content-security-policy'], CSP, `${what}: exactly the web app's CSP, once`);
  assert.equal(h['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(h['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(h['strict-transport-security'], 'max-age=31536000; includeSubDomains', `${what}: HSTS`);
  assert.equal(h['cross-origin-opener-policy'], 'same-origin', `${what}: COOP`);
  assert.match(h.vary ?? '', /(^|,\s*)Accept-Encoding(\s*,|$)/i, `${what}: Vary: Accept-Encoding`);
  assert.equal(h['set-cookie'], undefined, `${what}: sets no cookie`);
}

test('every app path answers the one page, no-store, with the web app\'s CSP and the assets\' URLs', async () => {
  const text = page.toString('utf8');
  assert.ok(!text.includes('{{ASSETS}}'), 'the placeholder is replaced');
  assert.ok(text.includes(`/assets/${version}/`), `the page names /assets/${version}/`);
  for (const p of APP_PATHS) {
    const res = await request(server, { path: p });
    assert.equal(res.status, 200, `${p}: status`);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', `${p}: Content-Type`);
    assert.equal(res.headers['cache-control'], 'no-store', `${p}: Cache-Control`);
    assert.equal(res.headers['content-encoding'], undefined, `${p}: no encoding was asked for`);
    assertWebHeaders(res, p);
    assert.deepEqual(res.raw, page, `${p}: index.html`);
  }
  // the invitation and reset links keep their token in the fragment: the page is the same
  const withQuery = await request(server, { path: '/invitation?x=1' });
  assert.deepEqual(withQuery.raw, page);
});

test('every asset the page and the service worker name is served immutable, with its type and the CSP', async () => {
  const fromPage = [...page.toString('utf8').matchAll(/\/assets\/[0-9a-f]{16}\/[A-Za-z0-9._/-]+/g)].map((m) => m[0]);
  const sw = (await request(server, { path: '/sw.js' })).body;
  const fromWorker = [...sw.matchAll(/"(\/assets\/[0-9a-f]{16}\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(fromPage.length >= 1, 'the page names its assets');
  assert.deepEqual(fromWorker.sort(), ASSETS.map((f) => `/assets/${version}/${f}`).sort(),
    'the worker\'s list is every file under web/ but the page and the worker');
  for (const url of new Set([...fromPage, ...fromWorker])) {
    const rel = url.slice(`/assets/${version}/`.length);
    assert.ok(url.startsWith(`/assets/${version}/`), `${url}: the current version`);
    const res = await request(server, { path: url });
    assert.equal(res.status, 200, `${url}: status`);
    assert.equal(res.headers['content-type'], TYPES[path.extname(rel)], `${url}: Content-Type`);
    assert.equal(res.headers['cache-control'], IMMUTABLE, `${url}: Cache-Control`);
    assertWebHeaders(res, url);
    assert.deepEqual(res.raw, readFileSync(path.join(WEB, rel)), `${url}: the file's bytes exactly`);
  }
});

test('a client that takes gzip gets bytes that inflate to the same body; gzip;q=0 gets identity', async () => {
  const urls = ['/', '/sw.js', ...ASSETS.map((f) => `/assets/${version}/${f}`)];
  let gzipped = 0;
  for (const url of urls) {
    const plain = await request(server, { path: url });
    const gz = await request(server, { path: url, headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(gz.status, 200, url);
    assertWebHeaders(gz, url);
    if (gz.headers['content-encoding'] === 'gzip') {
      gzipped++;
      assert.ok(gz.raw.length < plain.raw.length, `${url}: the gzip copy is smaller`);
      assert.deepEqual(gunzipSync(gz.raw), plain.raw, `${url}: gunzips to the identity body`);
    } else {
      assert.equal(gz.headers['content-encoding'], undefined, `${url}: no other encoding`);
      assert.deepEqual(gz.raw, plain.raw, `${url}: identity when gzip would not be smaller`);
    }
  }
  assert.ok(gzipped >= 1, 'the page at least is sent compressed');
  const home = (await request(server, { path: '/', headers: { 'accept-encoding': 'gzip' } }));
  assert.equal(home.headers['content-encoding'], 'gzip', 'index.html is worth compressing');
  for (const refuses of ['gzip;q=0', 'gzip; q=0.000, deflate', 'identity', 'br', 'gzip;q=0, *', '*;q=0']) {
    const res = await request(server, { path: '/', headers: { 'accept-encoding': refuses } });
    assert.equal(res.headers['content-encoding'], undefined, `Accept-Encoding: ${refuses}`);
    assert.deepEqual(res.raw, page, `Accept-Encoding: ${refuses}`);
  }
  for (const takes of ['GZIP', 'deflate, gzip;q=0.5', 'x-gzip', '*', 'gzip;q=1.0']) {
    const res = await request(server, { path: '/', headers: { 'accept-encoding': takes } });
    assert.equal(res.headers['content-encoding'], 'gzip', `Accept-Encoding: ${takes}`);
    assert.deepEqual(gunzipSync(res.raw), page, `Accept-Encoding: ${takes}`);
  }
});

test('HEAD answers the headers of GET and no body', async () => {
  const asset = `/assets/${version}/${ASSETS[0]}`;
  for (const [url, headers] of [['/', {}], ['/', { 'accept-encoding': 'gzip' }], ['/sw.js', {}], [asset, {}]]) {
    const get = await request(server, { path: url, headers });
    const head = await request(server, { method: 'HEAD', path: url, headers });
    assert.equal(head.status, 200, url);
    assert.equal(head.raw.length, 0, `${url}: HEAD has no body`);
    assert.equal(head.headers['content-length'], String(get.raw.length), `${url}: Content-Length of the GET`);
    for (const h of ['content-type', 'cache-control', 'content-encoding', 'content-security-policy', 'vary']) {
      assert.equal(head.headers[h], get.headers[h], `${url}: ${h}`);
    }
  }
});

test('nothing but the app\'s own files is served under /assets: another version, .., encoded dots, unknown names are 404', async () => {
  const other = version === '0123456789abcdef' ? 'fedcba9876543210' : '0123456789abcdef';
  const refused = [
    `/assets/${other}/${ASSETS[0]}`,
    `/assets/${version.toUpperCase()}/${ASSETS[0]}`,
    `/assets/${version}/../index.html`,
    `/assets/${version}/../../web/index.html`,
    `/assets/${version}/%2e%2e/index.html`,
    `/assets/${version}/js/%2e%2e/sw.js`,
    `/assets/${version}/%2E%2E%2Fsw.js`,
    `/assets/${version}/js%2fapp.js`,
    `/assets/${version}/./${ASSETS[0]}`,
    `/assets/${version}//${ASSETS[0]}`,
    `/assets/${version}/index.html`,
    `/assets/${version}/sw.js`,
    `/assets/${version}/no-such-file.js`,
    `/assets/${version}/js`,
    `/assets/${version}/js/`,
    `/assets/${version}/`,
    `/assets/${version}`,
    '/assets/',
    '/assets',
    '/index.html',
    '/web/index.html',
    '/callsheet/extra',
  ];
  for (const p of refused) {
    const res = await request(server, { path: p });
    assertProblem(res, 404, p);
    assert.equal(res.headers['cache-control'], 'no-store', `${p}: a refusal is not cached`);
  }
});

test('the service worker is served at /sw.js, no-store, with its placeholders replaced', async () => {
  const res = await request(server, { path: '/sw.js' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-store');
  assertWebHeaders(res, '/sw.js');
  assert.ok(!res.body.includes('{{ASSETS}}') && !res.body.includes('{{ASSET_FILES}}'), 'placeholders replaced');
  const source = readFileSync(path.join(WEB, 'sw.js'), 'utf8');
  if (source.includes('{{ASSETS}}')) assert.ok(res.body.includes(`/assets/${version}`), '{{ASSETS}} became the assets\' root');
  if (source.includes('{{ASSET_FILES}}')) {
    const list = JSON.stringify(ASSETS.map((f) => `/assets/${version}/${f}`));
    assert.ok(res.body.includes(list), `{{ASSET_FILES}} became ${list}`);
  }
});

test('the web app answers only GET and HEAD', async () => {
  for (const p of ['/', '/sw.js', `/assets/${version}/${ASSETS[0]}`]) {
    const res = await request(server, { method: 'POST', path: p, headers: { 'content-type': 'application/json' }, body: '{}' });
    assertProblem(res, 405, p);
    assert.equal(res.headers.allow, 'GET, HEAD', `${p}: Allow`);
  }
});

test('a signed-in browser gets the same pages and no cookie from them; signing out clears what the site kept', async () => {
  const s = await signIn(server);
  for (const p of ['/', '/callsheet', '/sw.js', `/assets/${version}/${ASSETS[0]}`]) {
    const res = await call(server, s, 'GET', p);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers['set-cookie'], undefined, `${p}: sets no cookie`);
  }
  const out = await call(server, s, 'POST', '/api/v1/auth/logout');
  assert.equal(out.status, 204);
  assert.equal(out.headers['clear-site-data'], '"cache", "storage"');
});

// scripts/embed web DIR on its own: what it takes, what it refuses
function embed(files) {
  const tmp = makeTempDir('slate-web-');
  const dir = path.join(tmp.dir, 'web');
  try {
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), content);
    }
    const run = spawnSync(path.join(REPO_ROOT, 'scripts/embed'), ['web', dir], { encoding: 'utf8' });
    return { version: run.status === 0 ? versionOf(dir) : undefined, run };
  } finally {
    tmp.cleanup();
  }
}

test('scripts/embed web takes every file but dot files and backups, and refuses a type it does not know', () => {
  const base = {
    'index.html': '<link href="{{ASSETS}}/a.css">',
    'sw.js': 'const FILES = {{ASSET_FILES}};',
    'a.css': 'body{}',
    'img/deep/logo.svg': '<svg/>',
    'img/dot.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]),
    '.hidden.js': 'x',
    'js/.swap.js': 'x',
    'app.js~': 'x',
  };
  const { version: v, run } = embed(base);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(run.stdout.includes(`const char web_version[] = "${v}";`), 'the version is the digest of the app');
  for (const rel of ['index.html', 'sw.js', 'a.css', 'img/deep/logo.svg', 'img/dot.png']) {
    assert.ok(run.stdout.includes(`{"${rel}", "${TYPES[path.extname(rel)]}"`), `${rel} is in the table`);
  }
  for (const rel of ['.hidden.js', 'js/.swap.js', 'app.js~']) assert.ok(!run.stdout.includes(`"${rel}"`), `${rel} is left out`);
  const list = `["/assets/${v}/a.css","/assets/${v}/img/deep/logo.svg","/assets/${v}/img/dot.png"]`;
  const bytes = (s) => [...Buffer.from(s)].join(',');
  assert.ok(run.stdout.replace(/\s+/g, '').includes(bytes(`const FILES = ${list};`)), 'sw.js lists every asset');
  for (const bad of [{ 'notes.md': '# no' }, { 'a b.css': 'x' }, { 'noext': 'x' }]) {
    const r = embed({ ...base, ...bad }).run;
    assert.notEqual(r.status, 0, `refused: ${Object.keys(bad)[0]}`);
    assert.match(r.stderr, /embed: /);
  }
  const r = embed({ 'index.html': 'x' }).run;
  assert.notEqual(r.status, 0, 'a web/ without sw.js is refused');
});

test('every word the app shows has one key in web/js/text.js (a second key of one name would silently win)', () => {
  const text = readFileSync(path.join(WEB, 'js', 'text.js'), 'utf8');
  const seen = new Map();
  let depth = 0;
  for (const line of text.split('\n')) {
    const m = /^ {2}(\w+):/.exec(line);
    if (m && depth === 1) seen.set(m[1], (seen.get(m[1]) || 0) + 1);
    for (const ch of line.replace(/'(?:[^'\\]|\\.)*'/g, '')) {
      if (ch === '{') depth += 1;
      else if (ch === '}') depth -= 1;
    }
  }
  assert.ok(seen.size > 100, `the table was read (${seen.size} keys)`);
  assert.deepEqual([...seen].filter(([, n]) => n > 1).map(([k]) => k), []);
});
