/*
 * sustainability.js — /office/{id}/sustainability: the production's carbon.
 *
 *   report        totals by category, department and shoot day, with the
 *                 server's two SVG charts (drawn by Slate, loaded as images
 *                 from Slate's own origin), against the budget
 *   entries       what was entered (fuel, power, travel, waste…), deleted
 *                 where the role may, with evidence (a receipt) uploaded
 *   a new entry   with a searchable factor picker that shows each factor's
 *                 value, unit and source
 *   import        a CSV of entries, checked as a dry run first (csvimport.js)
 *   settings      factor set, radiative forcing for flights, budget, sharing
 *                 totals with the crew; and a recalculation against another
 *                 factor set, previewed before it is applied
 *
 * Department heads see and enter their own department's; production admins
 * and producers everything; the API decides, the page follows the rights.
 */
import { h, field, statusLine, busy, uid } from '../dom.js';
import { get, api, post, patch, del, query, ApiError, showFieldErrors } from '../api.js';
import { t, problemText } from '../text.js';
import { formatDate } from '../format.js';
import { apiBase, loadProduction, frame, scope, may, table, confirmStep } from '../office.js';
import { csvImport } from '../csvimport.js';

const kg = (n) => new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(n);
const tonnes = (n) => new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(n);

function totalsTable(caption, rows, label) {
  return table(caption, [label, t('tco2e'), t('entriesCount')],
    rows.map((r) => h('tr', null, h('th', { scope: 'row' }, r.label), h('td', null, tonnes(r.t)), h('td', null, String(r.entries)))),
    { class: 'grid' });
}

function reportPart(prod, report, base) {
  const chart = (kind, alt) => h('figure', { class: 'chart' },
    h('img', { src: `${base}/sustainability/report?format=svg&chart=${kind}`, alt, loading: 'lazy', width: '640', height: '320' }),
    h('figcaption', null, alt));
  const budget = report.budget && report.budget.kg ? h('p', null, t('budgetLine', { used: tonnes(report.total.t), budget: tonnes(report.budget.kg / 1000) })) : null;
  return [
    h('h2', null, t('reportTitle')),
    h('p', { class: 'lead' }, t('totalLine', { t: tonnes(report.total.t), n: report.total.entries })),
    budget,
    chart('category', t('chartCategory')),
    chart('cumulative', t('chartCumulative')),
    h('h3', null, t('byCategory')),
    totalsTable(t('byCategory'), (report.by_category || []).filter((c) => c.entries).map((c) => ({ ...c, label: t(`categories.${c.category}`) })), t('category')),
    report.by_department ? [h('h3', null, t('byDepartment')),
      totalsTable(t('byDepartment'), report.by_department.map((d) => ({ ...d, label: d.department || t('noDepartment') })), t('department'))] : null,
    report.by_day ? [h('h3', null, t('byDay')),
      h('details', null, h('summary', null, t('showByDay')),
        totalsTable(t('byDay'), report.by_day.map((d) => ({ ...d, label: formatDate(d.date) })), t('date')))] : null,
  ];
}

/* The factor picker: a search box over the factors, each shown with its value, unit and source. */
function factorPicker(factors) {
  const searchId = uid('factor-search');
  const listId = uid('factor');
  const search = h('input', { type: 'search', id: searchId, autocomplete: 'off', 'aria-controls': listId });
  const list = h('select', { id: listId, name: 'factor', size: 6, class: 'picker' });
  const detail = h('p', { class: 'hint', 'aria-live': 'polite' });
  const label = (f) => `${f.activity} — ${f.kg_co2e_per_unit} kg/${f.unit_label || f.unit}${f.custom ? ` (${t('ownFactor')})` : ''}`;
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = factors.filter((f) => !q || `${f.activity} ${f.category} ${f.key}`.toLowerCase().includes(q)).slice(0, 200);
    list.replaceChildren(...shown.map((f) => h('option', { value: f.key }, label(f))));
  };
  const byKey = new Map(factors.map((f) => [f.key, f]));
  const err = h('p', { class: 'field-error', hidden: true });
  list.addEventListener('change', () => {
    const f = byKey.get(list.value);
    detail.textContent = f ? t('factorDetail', { value: f.kg_co2e_per_unit, unit: f.unit_label || f.unit, source: f.source, year: f.year || '' }) : '';
  });
  search.addEventListener('input', draw);
  draw();
  return {
    row: h('div', { class: 'field' },
      h('label', { for: searchId }, t('factorSearch')), search,
      h('label', { for: listId }, t('factor')), list, detail, err),
    get value() { return list.value; },
    factor: () => byKey.get(list.value),
    onPick: (fn) => list.addEventListener('change', () => fn(byKey.get(list.value))),
    setError: (msg) => { err.textContent = msg || ''; err.hidden = !msg; },
  };
}

function entryForm(prod, base, factors, days, departments, reload) {
  const note = statusLine();
  const dayId = uid('day');
  const day = h('select', { id: dayId, name: 'day_id' }, h('option', { value: '' }, t('notAShootDay')),
    days.map((d) => h('option', { value: d.id }, `${t('dayOf', { day: d.number, of: d.total })} · ${formatDate(d.date)}`)));
  const date = field(t('dateIfNoDay'), { type: 'date', name: 'date' });
  const deptId = uid('dept');
  const mine = scope(prod, 'sustainability', 'write') === 'department';
  const dept = h('select', { id: deptId, name: 'department_id' },
    departments.filter((d) => !mine || (prod.department && d.id === prod.department.id)).map((d) => h('option', { value: d.id }, d.name)));
  const picker = factorPicker(factors);
  const quantity = field(t('quantity'), { name: 'quantity', inputmode: 'decimal', autocomplete: 'off' });
  const unit = field(t('unit'), { name: 'unit', autocomplete: 'off' }, t('unitHint'));
  picker.onPick((f) => { if (f && !unit.input.value) unit.input.value = f.unit; });
  const text = field(t('note'), { name: 'note', autocomplete: 'off' });
  const add = h('button', { type: 'submit', class: 'primary' }, t('addEntry'));
  const form = h('form', { novalidate: true, 'aria-label': t('addEntry') },
    h('div', { class: 'field' }, h('label', { for: dayId }, t('shootDay')), day), date.row,
    h('div', { class: 'field' }, h('label', { for: deptId }, t('department')), dept),
    picker.row, quantity.row, unit.row, text.row, note, add);
  form.addEventListener('submit', busy(add, async () => {
    for (const f of [date, quantity, unit, text, picker]) f.setError(null);
    const body = { factor: picker.value, quantity: Number(quantity.input.value.replace(',', '.')), unit: unit.input.value.trim(), department_id: dept.value };
    if (day.value) body.day_id = day.value;
    else body.date = date.input.value;
    if (text.input.value.trim()) body.note = text.input.value.trim();
    if (!quantity.input.value.trim()) body.quantity = null;
    try {
      await post(`${base}/sustainability/entries`, body);
      await reload(t('entryAdded'));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!showFieldErrors(err, { date: date.setError, quantity: quantity.setError, unit: unit.setError, note: text.setError, factor: picker.setError })) note.say(problemText(err), 'error');
    }
  }));
  return form;
}

function entriesPart(prod, base, entries, departments, reload, note) {
  const names = new Map(departments.map((d) => [d.id, d.name]));
  const rows = entries.map((e) => {
    const dname = names.get(e.department_id) || '';
    const actions = [];
    if (may(prod, 'sustainability', 'write', dname)) {
      actions.push(changeEntry(base, e, reload));
      actions.push(confirmStep(h('button', { type: 'button', class: 'danger' }, t('deleteEntry')), t('deleteEntryConsequence'), t('yesDelete'), async () => {
        try {
          await del(`${base}/sustainability/entries/${encodeURIComponent(e.id)}`);
          await reload(t('entryDeleted'));
        } catch (err) {
          note.say(problemText(err), 'error');
        }
      }));
    }
    return h('tr', { dataset: { entry: e.id } },
      h('td', null, formatDate(e.date)), h('td', null, dname), h('td', null, t(`categories.${e.category}`)),
      h('th', { scope: 'row' }, e.factor ? e.factor.activity : ''),
      h('td', null, `${e.quantity} ${e.unit}`), h('td', null, kg(e.kg_co2e)),
      h('td', null, e.evidence_id ? h('a', { href: `${base}/sustainability/entries/${encodeURIComponent(e.id)}/evidence`, download: '' }, t('evidence')) : ''),
      h('td', null, h('div', { class: 'actions' }, actions)));
  });
  return table(t('entriesTitle'), [t('date'), t('department'), t('category'), t('factor'), t('quantity'), t('kgco2e'), t('evidence'), t('actionsCol')], rows, { class: 'grid entries' });
}

/*
 * "Change": the entry's quantity, unit and note in place (PATCH; the API
 * works the CO2e out again from the same factor, and refuses what it would
 * refuse of a new entry, by field).
 */
function changeEntry(base, e, reload) {
  const open = h('button', { type: 'button' }, t('changeEntry'));
  open.addEventListener('click', () => {
    const quantity = field(t('quantity'), { name: 'quantity', inputmode: 'decimal', value: String(e.quantity) });
    const unit = field(t('unit'), { name: 'unit', value: e.unit });
    const note = field(t('note'), { name: 'note', value: e.note || '' });
    const save = h('button', { type: 'submit', class: 'primary' }, t('save'));
    const cancel = h('button', { type: 'button' }, t('cancel'));
    const said = statusLine();
    const form = h('form', { novalidate: true, class: 'entry-edit', 'aria-label': t('changeEntryOf', { what: e.factor ? e.factor.activity : e.category }) },
      quantity.row, unit.row, note.row, said, h('div', { class: 'actions' }, save, cancel));
    cancel.addEventListener('click', () => { form.replaceWith(open); open.focus(); });
    form.addEventListener('submit', busy(save, async () => {
      for (const f of [quantity, unit, note]) f.setError(null);
      const body = {};
      const q = Number(quantity.input.value.replace(',', '.'));
      if (quantity.input.value.trim() !== String(e.quantity)) body.quantity = quantity.input.value.trim() ? q : null;
      if (unit.input.value.trim() !== e.unit) body.unit = unit.input.value.trim();
      if (note.input.value.trim() !== (e.note || '')) body.note = note.input.value.trim();
      if (!Object.keys(body).length) {
        said.say(t('nothingChanged'));
        return;
      }
      try {
        await patch(`${base}/sustainability/entries/${encodeURIComponent(e.id)}`, body);
        await reload(t('entryChanged'));
      } catch (err) {
        if (!showFieldErrors(err, { quantity: quantity.setError, unit: unit.setError, note: note.setError })) said.say(problemText(err), 'error');
      }
    }));
    open.replaceWith(form);
    quantity.input.focus();
  });
  return open;
}

/* Evidence (a receipt, a delivery note) for one entry, stored encrypted by the API. */
function evidenceForm(prod, base, entries, departments, reload) {
  const names = new Map(departments.map((d) => [d.id, d.name]));
  const mine = entries.filter((e) => may(prod, 'sustainability', 'write', names.get(e.department_id) || ''));
  if (!mine.length) return null;
  const note = statusLine();
  const entryId = uid('entry');
  const fileId = uid('evidence');
  const entry = h('select', { id: entryId }, mine.map((e) => h('option', { value: e.id },
    `${formatDate(e.date)} · ${names.get(e.department_id) || ''} · ${e.factor ? e.factor.activity : e.category} · ${e.quantity} ${e.unit}`)));
  const file = h('input', { type: 'file', id: fileId, accept: 'image/*,application/pdf' });
  const send = h('button', { type: 'submit' }, t('attachEvidence'));
  const form = h('form', { novalidate: true, 'aria-label': t('attachEvidence') },
    h('div', { class: 'field' }, h('label', { for: entryId }, t('evidenceFor')), entry),
    h('div', { class: 'field' }, h('label', { for: fileId }, t('evidenceFile')), file), note, send);
  form.addEventListener('submit', busy(send, async () => {
    const f = file.files[0];
    if (!f) {
      note.say(t('evidenceNone'), 'error');
      return;
    }
    try {
      await api('PUT', `${base}/sustainability/entries/${encodeURIComponent(entry.value)}/evidence${query({ name: f.name })}`, undefined, { data: f, type: f.type || 'application/octet-stream' });
      await reload(t('evidenceAttached'));
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  }));
  return [h('h3', null, t('attachEvidence')), form];
}

function settingsPart(prod, base, settings, sets, reload) {
  const note = statusLine();
  const setId = uid('set');
  const set = h('select', { id: setId, name: 'factor_set' }, sets.map((s) => h('option', { value: s.id, selected: s.id === settings.factor_set }, s.name)));
  const rfId = uid('rf');
  const rf = h('input', { type: 'checkbox', id: rfId, checked: settings.flights_include_rf });
  const budget = field(t('budgetKg'), { name: 'budget_kg', inputmode: 'decimal', value: settings.budget_kg ?? '' });
  const shareId = uid('share');
  const share = h('input', { type: 'checkbox', id: shareId, checked: settings.share_totals });
  const save = h('button', { type: 'submit', class: 'primary' }, t('saveSettings'));
  const form = h('form', { novalidate: true, 'aria-label': t('settingsTitle') },
    h('div', { class: 'check' }, rf, h('label', { for: rfId }, t('flightsRf'))),
    budget.row,
    h('div', { class: 'check' }, share, h('label', { for: shareId }, t('shareTotals'))),
    note, save);
  form.addEventListener('submit', busy(save, async () => {
    budget.setError(null);
    const body = { flights_include_rf: rf.checked, share_totals: share.checked };
    if (budget.input.value.trim()) body.budget_kg = Number(budget.input.value);
    try {
      await patch(`${base}/sustainability/settings`, body);
      await reload(t('settingsSaved'));
    } catch (err) {
      if (!showFieldErrors(err, { budget_kg: budget.setError })) note.say(problemText(err), 'error');
    }
  }));
  /* a new factor set goes through the recalculation: previewed, then applied */
  const out = h('div');
  const preview = h('button', { type: 'submit' }, t('previewRecalc'));
  const recalc = h('form', { novalidate: true, 'aria-label': t('recalcTitle') },
    h('div', { class: 'field' }, h('label', { for: setId }, t('factorSet')), set), preview, out);
  recalc.addEventListener('submit', busy(preview, async () => {
    try {
      const r = await post(`${base}/sustainability/recalculate`, { factor_set: set.value });
      const apply = h('button', { type: 'button', class: 'primary' }, t('applyRecalc'));
      apply.addEventListener('click', busy(apply, async () => {
        try {
          await post(`${base}/sustainability/recalculate`, { factor_set: set.value, apply: true });
          await reload(t('recalcApplied'));
        } catch (err) {
          out.replaceChildren(h('p', { class: 'status', dataset: { kind: 'error' } }, problemText(err)));
        }
      }));
      out.replaceChildren(h('p', null, t('recalcPreview', { changed: r.changed, entries: r.entries, before: tonnes(r.before_kg / 1000), after: tonnes(r.after_kg / 1000), unmatched: r.unmatched_count })),
        h('div', { class: 'actions' }, apply));
    } catch (err) {
      out.replaceChildren(h('p', { class: 'status', dataset: { kind: 'error' } }, problemText(err)));
    }
  }));
  return [h('h2', null, t('settingsTitle')), form, h('h2', null, t('recalcTitle')), h('p', null, t('recalcIntro', { set: settings.factor_set })), recalc];
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const base = apiBase(prod.id);
  const note = statusLine();
  const readsEntries = scope(prod, 'sustainability', 'read') !== 'none';
  // the message is said once the page it speaks of is drawn: said before the data came, it
  // invited a click on the old page, which the new one then replaced
  const draw = async (message) => {
    const parts = [];
    try {
      const [report, entries, factors, days, departments, settings, sets] = await Promise.all([
        scope(prod, 'sustainability_totals', 'read') !== 'none' ? get(`${base}/sustainability/report`).catch(() => null) : null,
        readsEntries ? get(`${base}/sustainability/entries?limit=1000`).then((x) => x.entries) : [],
        may(prod, 'sustainability', 'write') ? get(`${base}/sustainability/factors`).then((x) => x.factors) : [],
        readsEntries ? get(`${base}/days`).then((x) => x.days) : [],
        get(`${base}/departments`).then((x) => x.departments),
        scope(prod, 'sustainability', 'write') === 'all' ? get(`${base}/sustainability/settings`) : null,
        scope(prod, 'sustainability', 'write') === 'all' ? get('/api/v1/factor-sets').then((x) => x.factor_sets) : [],
      ]);
      if (report) parts.push(...reportPart(prod, report, base));
      if (readsEntries) {
        parts.push(h('h2', null, t('entriesTitle')), entries.length ? entriesPart(prod, base, entries, departments, draw, note) : h('p', null, t('noEntries')),
          evidenceForm(prod, base, entries, departments, draw));
      }
      if (may(prod, 'sustainability', 'write')) {
        parts.push(h('h2', null, t('addEntry')), entryForm(prod, base, factors, days, departments, draw));
        parts.push(h('h2', null, t('importEntries')), csvImport({
          path: `${base}/sustainability/import`,
          intro: t('importEntriesIntro'),
          columns: t('importEntriesColumns'),
          preview: (answer) => [h('p', null, t('importEntriesPreview', { n: answer.rows, t: tonnes(answer.t_co2e) })), answer.rows],
          applyText: (n) => t('importNEntries', { n }),
          done: (answer) => draw(t('importedEntries', { n: answer.imported })),
        }));
      }
      if (settings) parts.push(...settingsPart(prod, base, settings, sets, draw));
      note.say(message || '');
    } catch (err) {
      note.say(problemText(err), 'error');
    }
    frame(prod, t('sustainabilityTitle'), note, ...parts);
  };
  await draw();
}

export { render };
