/*
 * locations.js — the production's locations.
 *
 *   /office/{id}/locations         every location the reader may see, and a
 *                                  new one (for those who write locations)
 *   /office/{id}/locations/{lid}   one location: address, coordinates,
 *                                  parking, nearest hospital, access notes,
 *                                  contact, the confidential flag; changed or
 *                                  deleted where the role may
 *
 * "Open in a map" is a plain link to OpenStreetMap (or the phone's maps
 * app with geo:) that the person follows if they choose: no map tile or
 * script of another site is ever loaded into Slate's pages (the CSP would
 * refuse it), so where a production shoots is not told to a map service
 * by merely opening the page.
 */
import { h, link, field, statusLine, busy } from '../dom.js';
import { get, post, patch, del, ApiError, showFieldErrors } from '../api.js';
import { t, problemText } from '../text.js';
import { apiBase, officePath, loadProduction, frame, may, confirmStep } from '../office.js';

const FIELDS = [
  ['name', 'name', {}],
  ['address', 'address', { rows: 2 }],
  ['latitude', 'latitude', { inputmode: 'decimal' }],
  ['longitude', 'longitude', { inputmode: 'decimal' }],
  ['parking', 'parking', {}],
  ['nearest_hospital', 'hospital', {}],
  ['access_notes', 'access', { rows: 2 }],
  ['contact', 'contact', {}],
];

const locationPath = (prod, lid) => officePath(prod.id, `/locations/${encodeURIComponent(lid)}`);

/* Links that open the place elsewhere, at the person's choice. */
export function mapLinks(l) {
  const links = [];
  const hasPoint = typeof l.latitude === 'number' && typeof l.longitude === 'number';
  if (hasPoint) {
    links.push(h('a', { href: `https://www.openstreetmap.org/?mlat=${l.latitude}&mlon=${l.longitude}#map=16/${l.latitude}/${l.longitude}`, rel: 'noopener noreferrer', target: '_blank' }, t('openOsm')));
    links.push(h('a', { href: `geo:${l.latitude},${l.longitude}` }, t('openMapsApp')));
  } else if (l.address) {
    links.push(h('a', { href: `https://www.openstreetmap.org/search?query=${encodeURIComponent(l.address)}`, rel: 'noopener noreferrer', target: '_blank' }, t('openOsm')));
    links.push(h('a', { href: `geo:0,0?q=${encodeURIComponent(l.address)}` }, t('openMapsApp')));
  }
  return links.length ? h('p', { class: 'maplinks' }, links.flatMap((a, i) => (i ? [' · ', a] : [a]))) : null;
}

function facts(l) {
  const rows = [
    [t('address'), l.address],
    [t('coordinates'), typeof l.latitude === 'number' ? `${l.latitude}, ${l.longitude}` : null],
    [t('parking'), l.parking],
    [t('hospital'), l.nearest_hospital],
    [t('access'), l.access_notes],
    [t('contact'), l.contact],
    [t('confidential'), l.confidential ? t('confidentialYes') : null],
  ];
  return h('dl', { class: 'facts' }, rows.filter(([, v]) => v).map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

function locationForm(prod, l, onSaved) {
  const note = statusLine();
  const fields = {};
  for (const [name, label, attrs] of FIELDS) {
    if (l && !(name in l) && name !== 'name') continue; /* a field the role does not read: not its to write */
    const value = l && l[name] !== undefined && l[name] !== null ? String(l[name]) : '';
    fields[name] = field(t(label), { name, ...attrs, value });
    if (attrs.rows) fields[name].input.value = value;
  }
  const id = 'location-confidential';
  const box = h('input', { type: 'checkbox', id, name: 'confidential', checked: !!(l && l.confidential) });
  const submit = h('button', { type: 'submit', class: 'primary' }, l ? t('save') : t('addLocation'));
  const form = h('form', { novalidate: true, 'aria-label': l ? t('editLocation') : t('addLocation') },
    Object.values(fields).map((f) => f.row),
    h('div', { class: 'check' }, box, h('label', { for: id }, t('confidentialLabel'))),
    note, submit);
  form.addEventListener('submit', busy(submit, async () => {
    const body = {};
    for (const [name, f] of Object.entries(fields)) {
      f.setError(null);
      const raw = f.input.value.trim();
      const before = l && l[name] !== undefined && l[name] !== null ? String(l[name]) : '';
      if (raw === before) continue;
      body[name] = (name === 'latitude' || name === 'longitude') && raw !== '' ? Number(raw) : raw;
    }
    if (!l || box.checked !== !!l.confidential) body.confidential = box.checked;
    note.say('');
    try {
      onSaved(l ? await patch(`${apiBase(prod.id)}/locations/${encodeURIComponent(l.id)}`, body)
        : await post(`${apiBase(prod.id)}/locations`, body));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!showFieldErrors(err, Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.setError])))) note.say(problemText(err), 'error');
    }
  }));
  return form;
}

async function renderList(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  let list = [];
  try {
    list = (await get(`${apiBase(prod.id)}/locations`)).locations;
  } catch (err) {
    note.say(problemText(err), 'error');
  }
  const cards = list.map((l) => h('li', { class: 'card' },
    h('h2', null, link(locationPath(prod, l.id), l.name)),
    l.confidential ? h('p', { class: 'muted' }, t('confidentialYes')) : null,
    facts(l), mapLinks(l)));
  frame(prod, t('locationsTitle'), note,
    cards.length ? h('ul', { class: 'cards' }, cards) : h('p', null, t('noLocations')),
    may(prod, 'location', 'write') ? [h('h2', null, t('addLocation')), locationForm(prod, null, (saved) => {
      ctx.flash(t('locationAdded', { name: saved.name }));
      ctx.go(locationPath(prod, saved.id));
    })] : null);
}

async function renderOne(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const lid = ctx.params[1];
  const base = apiBase(prod.id);
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  const back = h('p', null, link(officePath(prod.id, '/locations'), t('backToLocations')));
  let l;
  try {
    l = await get(`${base}/locations/${encodeURIComponent(lid)}`);
  } catch (err) {
    note.say(problemText(err), 'error');
    frame(prod, t('locationsTitle'), back, note);
    return;
  }
  const canWrite = may(prod, 'location', 'write');
  let remove = null;
  if (canWrite) {
    remove = h('div', { class: 'actions' }, confirmStep(h('button', { type: 'button', class: 'danger' }, t('deleteLocation')),
      t('deleteLocationConsequence', { name: l.name }), t('yesDelete'), async () => {
        try {
          await del(`${base}/locations/${encodeURIComponent(l.id)}`);
          ctx.flash(t('locationDeleted', { name: l.name }));
          ctx.go(officePath(prod.id, '/locations'), { replace: true });
        } catch (err) {
          note.say(problemText(err), 'error');
        }
      }));
  }
  frame(prod, l.name, back, note, facts(l), mapLinks(l),
    canWrite ? [h('h2', null, t('editLocation')), locationForm(prod, l, () => {
      ctx.flash(t('saved'));
      ctx.go(location.pathname, { replace: true });
    }), remove] : null);
}

export const list = { render: renderList };
export const one = { render: renderOne };
