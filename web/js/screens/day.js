/*
 * day.js — /office/{id}/days/{did}: one shoot day, as the AD builds it.
 *
 *   the day        date, unit, general call, wrap (times past midnight as
 *                  "25:30", as the API takes them)
 *   locations      which of the production's locations the day uses
 *   scenes         in shooting order: add, remove, and reorder by drag and
 *                  drop or with the Move up / Move down buttons (keyboard)
 *   department     a department called at one time: everyone in it without
 *   calls          a call of their own follows it ("call Camera at 06:00")
 *   calls grid     people × call, pick-up, hair and make-up, on set, cast
 *                  status; each row is saved when it changes
 *
 * Each part appears only where the caller's rights allow writing it (a
 * department head edits the calls of their own department and sees no
 * control for any other); the API checks every write again.
 */
import { h, link, field, statusLine, busy, uid } from '../dom.js';
import { get, getAll, put, patch, del, ApiError, showFieldErrors } from '../api.js';
import { t, fieldName, problemText } from '../text.js';
import { formatDate, formatTime } from '../format.js';
import { apiBase, officePath, loadProduction, frame, may, scope, TIME_ATTRS } from '../office.js';

const CALL_FIELDS = ['call', 'pickup', 'hair_makeup', 'on_set'];
const CAST_STATUSES = ['', 'start', 'work', 'hold', 'finish'];

function dayForm(prod, day, dayApi, reload) {
  const note = statusLine();
  const fields = {
    date: field(t('date'), { type: 'date', name: 'date', value: day.date }),
    unit: field(t('unit'), { name: 'unit', value: day.unit }),
    general_call: field(t('generalCall'), { name: 'general_call', ...TIME_ATTRS, value: day.general_call }, t('timeHint')),
    wrap_estimate: field(t('wrap'), { name: 'wrap_estimate', ...TIME_ATTRS, value: day.wrap_estimate }),
  };
  const save = h('button', { type: 'submit', class: 'primary' }, t('saveDay'));
  const form = h('form', { novalidate: true, class: 'row4', 'aria-label': t('theDay') }, Object.values(fields).map((f) => f.row), note, save);
  form.addEventListener('submit', busy(save, async () => {
    const body = {};
    for (const [name, f] of Object.entries(fields)) {
      f.setError(null);
      if (f.input.value.trim() !== (day[name] || '')) body[name] = f.input.value.trim();
    }
    if (!Object.keys(body).length) return;
    try {
      await patch(dayApi, body);
      await reload(t('daySaved'));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!showFieldErrors(err, Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.setError])))) note.say(problemText(err), 'error');
    }
  }));
  return form;
}

function locationsPart(prod, day, all, dayApi, reload, note) {
  const chosen = new Set(day.locations.map((l) => l.id));
  if (!may(prod, 'schedule', 'write')) {
    return h('ul', { class: 'plain' }, day.locations.map((l) => h('li', null, l.name)));
  }
  const boxes = all.map((l) => {
    const id = uid('loc');
    const box = h('input', { type: 'checkbox', id, value: l.id, checked: chosen.has(l.id) });
    return h('div', { class: 'check' }, box, h('label', { for: id }, l.name, l.address ? h('span', { class: 'muted' }, ` — ${l.address}`) : null));
  });
  const save = h('button', { type: 'submit' }, t('saveLocations'));
  const form = h('form', { 'aria-label': t('locations') }, h('fieldset', null, h('legend', null, t('dayLocations')), boxes), save);
  form.addEventListener('submit', busy(save, async () => {
    const ids = [...form.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value);
    try {
      await patch(dayApi, { locations: ids });
      await reload(t('locationsSaved'));
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  }));
  return form;
}

/* The scenes in shooting order; every change is saved at once (PATCH scenes: [ids]). */
function scenesPart(prod, day, all, dayApi, note) {
  const order = day.scenes.map((s) => s.id);
  const byId = new Map(all.map((s) => [s.id, s]));
  for (const s of day.scenes) byId.set(s.id, s);
  const canWrite = may(prod, 'schedule', 'write');
  const list = h('ol', { class: 'scenes order' });
  const said = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const label = (s) => `${t('sceneNumber', { n: s.number })} — ${s.int_ext}. ${s.set} (${s.day_night})`;
  const save = async (message) => {
    try {
      await patch(dayApi, { scenes: order });
      said.textContent = message;
      note.say('');
    } catch (err) {
      note.say(problemText(err), 'error');
    }
  };
  let dragged = null;
  const draw = (focusId, focusWhat) => {
    list.replaceChildren(...order.map((id, i) => {
      const s = byId.get(id);
      const item = h('li', { dataset: { id }, draggable: canWrite ? 'true' : null }, h('span', { class: 'scene-label' }, label(s)));
      if (canWrite) {
        const up = h('button', { type: 'button', 'aria-label': t('moveUp', { scene: s.number }), disabled: i === 0 }, '↑');
        const down = h('button', { type: 'button', 'aria-label': t('moveDown', { scene: s.number }), disabled: i === order.length - 1 }, '↓');
        const out = h('button', { type: 'button', 'aria-label': t('removeScene', { scene: s.number }) }, '✕');
        const move = (by, what) => async () => {
          order.splice(i, 1);
          order.splice(i + by, 0, id);
          draw(id, what);
          await save(t('sceneMoved', { scene: s.number, n: i + by + 1 }));
        };
        up.addEventListener('click', move(-1, 'up'));
        down.addEventListener('click', move(1, 'down'));
        out.addEventListener('click', async () => {
          order.splice(i, 1);
          draw();
          await save(t('sceneRemoved', { scene: s.number }));
        });
        item.append(h('span', { class: 'moves' }, up, down, out));
        item.addEventListener('dragstart', (ev) => { dragged = id; ev.dataTransfer.effectAllowed = 'move'; item.classList.add('dragging'); });
        item.addEventListener('dragend', () => item.classList.remove('dragging'));
        item.addEventListener('dragover', (ev) => { if (dragged) ev.preventDefault(); });
        item.addEventListener('drop', async (ev) => {
          ev.preventDefault();
          if (!dragged || dragged === id) return;
          const from = order.indexOf(dragged);
          order.splice(from, 1);
          order.splice(order.indexOf(id) + (from <= i ? 1 : 0), 0, dragged);
          const moved = byId.get(dragged);
          dragged = null;
          draw();
          await save(t('sceneMoved', { scene: moved.number, n: order.indexOf(moved.id) + 1 }));
        });
        if (id === focusId) queueMicrotask(() => (focusWhat === 'up' && !up.disabled ? up : down.disabled ? up : down).focus());
      }
      return item;
    }));
  };
  draw();
  const parts = [list, said];
  if (canWrite) {
    const id = uid('addscene');
    const pick = h('select', { id }, h('option', { value: '' }, t('chooseScene')),
      all.filter((s) => !order.includes(s.id)).map((s) => h('option', { value: s.id }, label(s))));
    const add = h('button', { type: 'button' }, t('addScene'));
    add.addEventListener('click', async () => {
      if (!pick.value) return;
      order.push(pick.value);
      pick.querySelector(`option[value="${CSS.escape(pick.value)}"]`).remove();
      draw();
      await save(t('sceneAdded'));
    });
    parts.push(h('div', { class: 'inline' }, h('div', { class: 'field' }, h('label', { for: id }, t('addScene')), pick), add));
  }
  return parts;
}

/* One row per department: its call on this day, set or cleared in place where the role may. */
function departmentCallsPart(prod, day, departments, dayApi, reload) {
  const current = new Map((day.department_calls || []).map((d) => [d.department_id, d.call]));
  const rows = departments.filter((d) => current.has(d.id) || may(prod, 'call', 'write', d.name)).map((d) => {
    const has = current.get(d.id) || '';
    if (!may(prod, 'call', 'write', d.name)) {
      return h('tr', null, h('th', { scope: 'row' }, d.name), h('td', null, formatTime(has)), h('td'));
    }
    const input = h('input', { ...TIME_ATTRS, name: 'call', value: has, 'aria-label': t('departmentCallOf', { department: d.name }) });
    const said = h('td', { class: 'rowstate', role: 'status', 'aria-live': 'polite' });
    const set = h('button', { type: 'submit' }, t('callDepartment', { department: d.name }));
    const form = h('form', { class: 'inline', novalidate: true, 'aria-label': t('departmentCallOf', { department: d.name }) }, input, set);
    const path = `${dayApi}/department-calls/${encodeURIComponent(d.id)}`;
    form.addEventListener('submit', busy(set, async () => {
      input.removeAttribute('aria-invalid');
      delete said.dataset.kind;
      const time = input.value.trim();
      try {
        if (time) await put(path, { call: time });
        else if (has) await del(path);
        await reload(time ? t('departmentCalled', { department: d.name, time: formatTime(time) })
          : t('departmentCallCleared', { department: d.name }));
      } catch (err) {
        const why = err instanceof ApiError && err.fields.call;
        if (why) input.setAttribute('aria-invalid', 'true');
        said.textContent = why || problemText(err);
        said.dataset.kind = 'error';
      }
    }));
    return h('tr', null, h('th', { scope: 'row' }, d.name), h('td', null, form), said);
  });
  if (!rows.length) return h('p', null, t('noDepartmentCalls'));
  return h('div', { class: 'scroll', role: 'region', 'aria-label': t('departmentCalls'), tabindex: '0' },
    h('table', { class: 'grid calls deptcalls' }, h('caption', { class: 'sr-only' }, t('departmentCalls')),
      h('thead', null, h('tr', null, [t('department'), fieldName('call'), t('status')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows)));
}

/*
 * The calls grid. A row is a person; "Called" puts them on the day (with
 * their own times, or their department's call when the call is left
 * empty); each change saves the row (PUT …/calls/{pid}); unticking takes
 * them off the day (DELETE). Rows the caller may not write have no inputs.
 */
function callsGrid(prod, day, people, calls, dayApi, note) {
  const byPerson = new Map(calls.map((c) => [c.person_id, c]));
  const rows = people.map((p) => {
    const c = byPerson.get(p.id);
    const mine = c && c.call_from !== 'department' ? c : null;
    const canWrite = may(prod, 'call', 'write', p.department);
    if (!canWrite) {
      return h('tr', { dataset: { person: p.id } },
        h('th', { scope: 'row' }, p.name), h('td', null, p.department || ''),
        h('td', null, c ? '✓' : ''),
        CALL_FIELDS.map((k) => h('td', null, c && c[k] ? formatTime(c[k]) : '')),
        h('td', null, c ? c.cast_status : ''), h('td'));
    }
    const state = h('td', { class: 'rowstate', role: 'status', 'aria-live': 'polite' });
    const called = h('input', { type: 'checkbox', checked: !!c, 'aria-label': t('calledLabel', { name: p.name }) });
    const inputs = Object.fromEntries(CALL_FIELDS.map((k) => [k, h('input', {
      ...TIME_ATTRS, name: k, value: (k === 'call' ? (mine ? mine.call : '') : (c && c[k]) || ''),
      placeholder: k === 'call' && c && c.call_from === 'department' ? c.call : null,
      'aria-label': t('gridCell', { field: fieldName(k), name: p.name }),
    })]));
    const status = p.kind === 'cast' ? h('select', { name: 'cast_status', 'aria-label': t('gridCell', { field: t('castStatus'), name: p.name }) },
      CAST_STATUSES.map((s) => h('option', { value: s, selected: c && c.cast_status === s }, s ? t(`castStatuses.${s}`) : '—'))) : null;
    const all = [...Object.values(inputs), ...(status ? [status] : [])];
    const clearErrors = () => all.forEach((i) => i.removeAttribute('aria-invalid'));
    const saveRow = async () => {
      clearErrors();
      state.textContent = t('saving');
      const path = `${dayApi}/calls/${encodeURIComponent(p.id)}`;
      try {
        if (!called.checked) {
          await del(path);
        } else {
          const body = Object.fromEntries(CALL_FIELDS.map((k) => [k, inputs[k].value.trim()]));
          if (status) body.cast_status = status.value;
          await put(path, body);
        }
        state.textContent = called.checked ? t('rowSaved') : t('rowUncalled');
      } catch (err) {
        const fields = err instanceof ApiError ? Object.entries(err.fields) : [];
        for (const [k] of fields) {
          const input = inputs[k] || (k === 'cast_status' ? status : null);
          if (input) input.setAttribute('aria-invalid', 'true');
        }
        state.textContent = fields.length ? fields.map(([k, why]) => `${fieldName(k)}: ${why}`).join('; ') : problemText(err);
        state.dataset.kind = 'error';
        return;
      }
      delete state.dataset.kind;
    };
    called.addEventListener('change', saveRow);
    for (const i of all) {
      i.addEventListener('change', () => {
        called.checked = true;
        saveRow();
      });
    }
    return h('tr', { dataset: { person: p.id } },
      h('th', { scope: 'row' }, p.name), h('td', null, p.department || ''),
      h('td', null, called), CALL_FIELDS.map((k) => h('td', null, inputs[k])), h('td', null, status), state);
  });
  const headers = [t('name'), t('department'), t('called'), ...CALL_FIELDS.map(fieldName), t('castStatus'), t('saved')];
  return h('div', { class: 'scroll', role: 'region', 'aria-label': t('callsGrid'), tabindex: '0' },
    h('table', { class: 'grid calls' }, h('caption', { class: 'sr-only' }, t('callsGrid')),
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows)));
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const did = ctx.params[1];
  const base = apiBase(prod.id);
  const dayApi = `${base}/days/${encodeURIComponent(did)}`;
  const note = statusLine();
  const draw = async (message) => {
    let day, locations, scenes, departments, people, calls;
    try {
      [day, locations, scenes, departments, people, calls] = await Promise.all([
        get(dayApi),
        may(prod, 'schedule', 'write') ? get(`${base}/locations`).then((x) => x.locations) : Promise.resolve([]),
        may(prod, 'schedule', 'write') ? get(`${base}/scenes`).then((x) => x.scenes) : Promise.resolve([]),
        get(`${base}/departments`).then((x) => x.departments),
        scope(prod, 'call', 'write') === 'department' && prod.department
          ? getAll(`${base}/people?department=${encodeURIComponent(prod.department.name)}`, 'people')
          : getAll(`${base}/people`, 'people'),
        get(`${dayApi}/calls`).then((x) => x.calls),
      ]);
    } catch (err) {
      note.say(problemText(err), 'error');
      frame(prod, t('dayTitle'), note);
      return;
    }
    note.say(message || '');
    const filterId = uid('griddept');
    const gridBox = h('div');
    const showGrid = () => {
      const which = document.getElementById(filterId).value;
      const shown = which ? people.filter((p) => p.department === which) : people;
      gridBox.replaceChildren(callsGrid(prod, day, shown, calls, dayApi, note));
    };
    const filter = h('div', { class: 'field narrow' }, h('label', { for: filterId }, t('department')),
      h('select', { id: filterId, onchange: showGrid },
        h('option', { value: '' }, t('allDepartments')),
        departments.filter((d) => people.some((p) => p.department === d.name)).map((d) => h('option', { value: d.name }, d.name))));
    const publish = may(prod, 'callsheet', 'publish')
      ? h('p', { class: 'actions' }, link(officePath(prod.id, `/days/${encodeURIComponent(did)}/publish`), t('previewAndPublish'), { class: 'button primary' })) : null;
    frame(prod, `${t('dayOf', { day: day.number, of: day.total })} · ${formatDate(day.date)}`,
      h('p', null, link(officePath(prod.id, '/schedule'), t('backToSchedule'))),
      note, day.cancelled ? h('p', { class: 'status', dataset: { kind: 'warn' } }, t('dayCancelled')) : null,
      publish,
      may(prod, 'schedule', 'write') ? [h('h2', null, t('theDay')), dayForm(prod, day, dayApi, draw)]
        : h('p', null, t('generalCallAt', { time: formatTime(day.general_call) })),
      h('h2', null, t('locations')), locationsPart(prod, day, locations, dayApi, draw, note),
      h('h2', null, t('scenesInOrder')), scenesPart(prod, day, scenes, dayApi, note),
      h('h2', null, t('departmentCalls')), h('p', { class: 'hint' }, t('departmentCallHint')),
      departmentCallsPart(prod, day, departments, dayApi, draw),
      h('h2', null, t('callsGrid')), h('p', { class: 'hint' }, t('callsGridHint')), filter, gridBox);
    showGrid();
  };
  await draw(ctx.message);
  ctx.message = null;
}

export { render };
