/*
 * people.js — the production's people.
 *
 *   /office/{id}/people          the directory: search by name, filters
 *                                (department, crew or cast, called on a day),
 *                                the fields the reader's role reveals
 *   /office/{id}/people/{pid}    one person's card, and the form to change
 *                                it where the role may (the API's refusals
 *                                shown by the field they name); "new" adds one
 *
 * The directory asks the API for the whole filtered list (it pages through
 * it): the API decides who and which fields; the page only lays them out.
 */
import { h, link, field, statusLine, busy } from '../dom.js';
import { get, getAll, post, patch, del, query, ApiError, showFieldErrors } from '../api.js';
import { t, problemText } from '../text.js';
import { formatDate } from '../format.js';
import { apiBase, officePath, loadProduction, frame, scope, may, table, confirmStep } from '../office.js';

/*
 * A person's fields by the resource that guards them (docs/ROLES.md), with
 * the label and input each takes. A field the reader cannot read is absent
 * from the API's answer and so from the card and the form.
 */
export const PERSON_FIELDS = [
  ['person', 'name', 'name', { autocomplete: 'off', required: true }],
  ['person', 'job_title', 'jobTitle', {}],
  ['person', 'character_name', 'characterName', {}],
  ['person_work_contact', 'work_phone', 'workPhone', { type: 'tel' }],
  ['person_work_contact', 'work_email', 'workEmail', { type: 'email' }],
  ['person_personal_phone', 'personal_phone', 'personalPhone', { type: 'tel' }],
  ['person_personal_phone', 'personal_email', 'personalEmail', { type: 'email' }],
  ['person_private', 'home_address', 'homeAddress', { rows: 2 }],
  ['person_private', 'emergency_contact', 'emergencyContact', {}],
  ['person_private', 'date_of_birth', 'dateOfBirth', { placeholder: 'YYYY-MM-DD' }],
  ['person_private', 'dietary', 'dietary', {}],
  ['person_private', 'medical', 'medical', { rows: 2 }],
  ['person_private', 'id_numbers', 'idNumbers', {}],
];

const personPath = (prod, pid) => officePath(prod.id, `/people/${encodeURIComponent(pid)}`);

/* ---- the directory ---- */

function directoryRows(prod, people) {
  const cols = [['work_phone', t('workPhone')], ['work_email', t('workEmail')]].filter(([k]) => people.some((p) => k in p));
  const rows = people.map((p) => h('tr', null,
    h('th', { scope: 'row' }, link(personPath(prod, p.id), p.name)),
    h('td', null, p.department || ''),
    h('td', null, p.job_title || ''),
    h('td', null, t(p.kind === 'cast' ? 'kindCast' : 'kindCrew'), p.kind === 'cast' && p.character_name ? ` (${p.character_name})` : ''),
    cols.map(([k]) => h('td', null, p[k] || ''))));
  return table(t('peopleTitle'), [t('name'), t('department'), t('jobTitle'), t('kind'), ...cols.map(([, l]) => l)], rows, { class: 'grid people' });
}

async function renderDirectory(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const base = apiBase(prod.id);
  const note = statusLine();
  const said = ctx.message;
  ctx.message = null;
  const [departments, days] = await Promise.all([
    get(`${base}/departments`).then((x) => x.departments).catch(() => []),
    get(`${base}/days`).then((x) => x.days).catch(() => []),
  ]);
  const q = field(t('searchByName'), { type: 'search', name: 'q', autocomplete: 'off' });
  const select = (label, name, options) => {
    const id = `filter-${name}`;
    return {
      row: h('div', { class: 'field' }, h('label', { for: id }, label),
        h('select', { id, name }, options.map(([v, text]) => h('option', { value: v }, text)))),
      get value() { return document.getElementById(id).value; },
    };
  };
  const dept = select(t('department'), 'department', [['', t('allDepartments')], ...departments.map((d) => [d.name, d.name])]);
  const kind = select(t('kind'), 'kind', [['', t('crewAndCast')], ['crew', t('kindCrew')], ['cast', t('kindCast')]]);
  const day = select(t('calledOn'), 'day', [['', t('anyDay')], ...days.map((d) => [d.id, `${t('dayOf', { day: d.number, of: d.total })} · ${formatDate(d.date)}`])]);
  const count = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const list = h('div');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': t('peopleFilters') }, q.row, dept.row, kind.row, day.row);
  let asked = 0;
  const load = async () => {
    const mine = ++asked;
    const qs = query({ q: q.input.value.trim(), department: dept.value, kind: kind.value, day: day.value });
    try {
      const people = await getAll(`${base}/people${qs}`, 'people');
      if (mine !== asked) return; /* a newer search answered first */
      note.say(mine === 1 && said ? said : '');
      count.textContent = people.length === 1 ? t('onePerson') : t('peopleCount', { n: people.length });
      list.replaceChildren(people.length ? directoryRows(prod, people) : h('p', null, t('nobodyFound')));
    } catch (err) {
      if (mine === asked) note.say(problemText(err), 'error');
    }
  };
  let timer = null;
  q.input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  filters.addEventListener('change', load);
  filters.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  const actions = [];
  if (may(prod, 'person', 'write')) {
    actions.push(link(personPath(prod, 'new'), t('addPerson'), { class: 'button' }));
    actions.push(link(officePath(prod.id, '/people/import'), t('importPeople'), { class: 'button' }));
  }
  frame(prod, t('peopleTitle'), note, actions.length ? h('p', { class: 'actions' }, actions) : null, filters, count, list);
  await load();
}

/* ---- one person ---- */

function cardFacts(person) {
  const rows = [
    [t('department'), person.department],
    [t('kind'), t(person.kind === 'cast' ? 'kindCast' : 'kindCrew')],
    ...PERSON_FIELDS.filter(([, k]) => k !== 'name' && person[k]).map(([, k, label]) => [t(label), person[k]]),
    [t('keyContact'), person.key_contact ? t('yes') : null],
    [t('account'), person.linked ? t(person.link_confirmed ? 'linkedConfirmed' : 'linkedPending') : t('notLinked')],
  ];
  return h('dl', { class: 'facts' }, rows.filter(([, v]) => v).map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

/* The form for a new person (person null) or for changing one: only the fields the role may write. */
function personForm(prod, departments, person, onSaved) {
  const note = statusLine();
  const dept = person ? person.department : undefined;
  const fields = {};
  const writable = (resource) => (person ? may(prod, resource, 'write', dept) : may(prod, resource, 'write'));
  for (const [resource, name, label, attrs] of PERSON_FIELDS) {
    if (person && !(name in person)) continue;
    if (!writable(resource)) continue;
    const value = person ? person[name] || '' : '';
    fields[name] = field(t(label), { name, ...attrs, value });
    if (attrs.rows) fields[name].input.value = value;
  }
  const selectField = (name, label, options, value) => {
    const id = `person-${name}`;
    const err = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const sel = h('select', { id, name, 'aria-describedby': `${id}-error` },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
    fields[name] = {
      row: h('div', { class: 'field' }, h('label', { for: id }, label), sel, err),
      input: sel,
      setError: (msg) => { err.textContent = msg || ''; err.hidden = !msg; },
    };
  };
  if (writable('person')) {
    const mineOnly = scope(prod, 'person', 'write') === 'department';
    const choices = departments.filter((d) => !mineOnly || (prod.department && d.name === prod.department.name));
    selectField('department', t('department'), [...(mineOnly ? [] : [['', t('noDepartment')]]), ...choices.map((d) => [d.name, d.name])],
      person ? person.department || '' : (mineOnly && prod.department ? prod.department.name : ''));
    selectField('kind', t('kind'), [['crew', t('kindCrew')], ['cast', t('kindCast')]], person ? person.kind : 'crew');
  }
  if (scope(prod, 'key_contact', 'write') === 'all') {
    const id = 'person-key-contact';
    const box = h('input', { type: 'checkbox', id, name: 'key_contact', checked: !!(person && person.key_contact) });
    fields.key_contact = { row: h('div', { class: 'check' }, box, h('label', { for: id }, t('keyContactLabel'))), input: box, setError: () => {} };
  }
  if (scope(prod, 'member', 'write') === 'all') {
    fields.account_email = field(t('accountEmail'), { type: 'email', name: 'account_email', autocomplete: 'off' }, t('accountEmailHint'));
  }
  if (!Object.keys(fields).length) return null;
  const submit = h('button', { type: 'submit', class: 'primary' }, person ? t('save') : t('addPerson'));
  const form = h('form', { novalidate: true, 'aria-label': person ? t('editPerson') : t('addPerson') },
    Object.values(fields).map((f) => f.row), note, submit);
  form.addEventListener('submit', busy(submit, async () => {
    const body = {};
    for (const [name, f] of Object.entries(fields)) {
      f.setError(null);
      const value = f.input.type === 'checkbox' ? f.input.checked : f.input.value.trim();
      const before = person ? (name === 'key_contact' ? !!person.key_contact : person[name] || '') : (name === 'key_contact' ? false : '');
      if (value !== before) body[name] = value;
    }
    if (!person && !body.kind) body.kind = 'crew';
    note.say('');
    if (!Object.keys(body).length) {
      note.say(t('nothingChanged'));
      return;
    }
    try {
      const saved = person
        ? await patch(`${apiBase(prod.id)}/people/${encodeURIComponent(person.id)}`, body)
        : await post(`${apiBase(prod.id)}/people`, body);
      onSaved(saved);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const setters = Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.setError]));
      if (!showFieldErrors(err, setters)) note.say(problemText(err), 'error');
    }
  }));
  return form;
}

async function renderCard(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const pid = ctx.params[1];
  const base = apiBase(prod.id);
  const note = statusLine();
  if (ctx.message) note.say(ctx.message);
  ctx.message = null;
  const departments = await get(`${base}/departments`).then((x) => x.departments).catch(() => []);
  const back = h('p', null, link(officePath(prod.id, '/people'), t('backToPeople')));
  if (pid === 'new') {
    const form = personForm(prod, departments, null, (saved) => {
      ctx.flash(t('personAdded', { name: saved.name }));
      ctx.go(personPath(prod, saved.id), { replace: true });
    });
    frame(prod, t('addPerson'), back, form || h('p', null, t('cannotAddPeople')));
    return;
  }
  let person;
  try {
    person = await get(`${base}/people/${encodeURIComponent(pid)}`);
  } catch (err) {
    note.say(problemText(err), 'error');
    frame(prod, t('personTitle'), back, note);
    return;
  }
  const form = personForm(prod, departments, person, (saved) => {
    ctx.flash(t('saved'));
    ctx.go(personPath(prod, saved.id), { replace: true });
  });
  let remove = null;
  if (may(prod, 'person', 'write', person.department)) {
    const button = h('button', { type: 'button', class: 'danger' }, t('deletePerson'));
    remove = h('div', { class: 'actions' }, confirmStep(button, t('deletePersonConsequence', { name: person.name }), t('yesDelete'), async () => {
      try {
        await del(`${base}/people/${encodeURIComponent(person.id)}`);
        ctx.flash(t('personDeleted', { name: person.name }));
        ctx.go(officePath(prod.id, '/people'), { replace: true });
      } catch (err) {
        note.say(problemText(err), 'error');
      }
    }));
  }
  frame(prod, person.name, back, note, cardFacts(person),
    form ? [h('h2', null, t('editPerson')), form] : null, remove);
}

export const directory = { render: renderDirectory };
export const card = { render: renderCard };
