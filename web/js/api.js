/*
 * api.js — every call to Slate's API goes through here.
 *
 * It sends the session cookie (same origin) and, on anything but GET, the
 * CSRF token the API handed out at sign-in or with GET /api/v1/me; it turns
 * an RFC 9457 problem+json answer into an ApiError that names the fields it
 * refused (by JSON pointer, `/new_password` → `new_password`) and, for 429
 * and 503, how long to wait (Retry-After). A request that never reached the
 * server (no signal) is an ApiError with status 0 and `offline` set.
 *
 * The app never decides who may see what: it shows what these calls return.
 */

let csrf = null;

export function setCsrf(token) {
  csrf = token || null;
}

export class ApiError extends Error {
  constructor(status, problem = {}, retryAfter = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || '';
    this.detail = problem.detail || '';
    this.offline = status === 0;
    this.retryAfter = retryAfter;
    this.problem = problem; /* the whole answer: an import's row errors, … */
    /* field name (the pointer without its leading slash) → reason */
    this.fields = {};
    for (const e of problem.errors || []) {
      const name = String(e.pointer || '').replace(/^\//, '');
      if (name && !(name in this.fields)) this.fields[name] = e.detail || e.message || problem.detail || '';
    }
  }
}

/*
 * A call with a JSON body (body given), or with raw bytes of a type ({raw, type}).
 * as 'blob': a successful answer comes back as a Blob (a PDF), a refusal as ApiError still.
 */
export async function api(method, path, body, raw = null, as = 'json') {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  if (raw) {
    headers['Content-Type'] = raw.type;
    init.body = raw.data;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { detail: 'offline' });
  }
  const type = res.headers.get('Content-Type') || '';
  if (as === 'blob' && res.ok) return res.blob();
  const data = res.status === 204 ? null
    : type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const wait = Number.parseInt(res.headers.get('Retry-After') || '', 10);
    throw new ApiError(res.status, data || {}, Number.isFinite(wait) ? wait : null);
  }
  if (data && typeof data.csrf_token === 'string') setCsrf(data.csrf_token);
  /* a copy kept by the service worker while offline says when it was kept */
  const kept = res.headers.get('X-Slate-Kept-At');
  if (kept && data && typeof data === 'object') Object.defineProperty(data, 'keptAt', { value: kept });
  return data;
}

export const get = (path) => api('GET', path);

/*
 * A GET started early (app.js starts a page's data beside the session
 * check and the page's own modules, to spare a slow link a round trip);
 * early(path) hands the one in flight to the page, once, or asks anew.
 */
const started = new Map();
export function prefetch(path) {
  const p = get(path);
  p.catch(() => {}); /* answered to the page, or dropped with it */
  started.set(path, p);
}
export function early(path) {
  const p = started.get(path);
  started.delete(path);
  return p || get(path);
}
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);
/* A file's bytes as they are (a CSV import): POST with its own Content-Type. */
export const upload = (path, data, type) => api('POST', path, undefined, { data, type });
/* POST with a JSON body whose answer is a file (a PDF): a Blob. */
export const postForBlob = (path, body) => api('POST', path, body, null, 'blob');

/*
 * A query string from {name: value} (empty values left out), each part
 * percent-encoded: a space is %20, never "+", which the API takes as itself.
 */
export function query(params) {
  const parts = Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/* Every page of a list that answers {<key>: […], next_offset}: the whole list. */
export async function getAll(path, key, limit = 500) {
  const all = [];
  let offset = 0;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=${limit}&offset=${offset}`);
    all.push(...(page[key] || []));
    if (page.next_offset === null || page.next_offset === undefined || page.next_offset <= offset) return all;
    offset = page.next_offset;
  }
}

/* Shows an ApiError's field reasons next to the fields: {name: setError}. */
export function showFieldErrors(err, setters) {
  let shown = false;
  for (const [name, set] of Object.entries(setters)) {
    const reason = err instanceof ApiError ? err.fields[name] : null;
    set(reason || null);
    if (reason) shown = true;
  }
  return shown;
}
