/*
 * peopleimport.js — /office/{id}/people/import: the crew list from a CSV
 * file (or pasted), all or nothing. The file goes first as a dry run
 * (POST …/people/import?dry_run=true): the page shows the people as they
 * would be stored, or every refused row and cell; only then "Import" sends
 * the same bytes for real. Nothing is written until every row is right.
 */
import { h, link, statusLine, busy, uid } from '../dom.js';
import { upload, ApiError } from '../api.js';
import { t, problemText } from '../text.js';
import { apiBase, officePath, loadProduction, frame, may, table } from '../office.js';

const PREVIEW_COLUMNS = ['name', 'kind', 'department', 'job_title', 'character_name', 'work_phone', 'work_email', 'personal_phone', 'personal_email'];

/* The refused rows: [{row, column, detail}] from the answer or the problem. */
function rowErrors(answer) {
  return (answer && answer.errors) || [];
}

function errorList(errors) {
  return h('ul', { class: 'errors' }, errors.map((e) => h('li', null,
    e.row ? t('rowError', { row: e.row, column: e.column || '—', detail: e.detail || e.message || '' })
      : (e.detail || e.pointer || ''))));
}

function previewTable(people) {
  const cols = PREVIEW_COLUMNS.filter((c) => people.some((p) => p[c]));
  return table(t('importPreview'), [t('row'), ...cols.map((c) => t(`col.${c}`))],
    people.map((p) => h('tr', null, h('td', null, String(p.row)), cols.map((c) => h('td', null, p[c] || '')))),
    { class: 'grid' });
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const back = h('p', null, link(officePath(prod.id, '/people'), t('backToPeople')));
  if (!may(prod, 'person', 'write')) {
    frame(prod, t('importPeople'), back, h('p', null, t('cannotAddPeople')));
    return;
  }
  const note = statusLine();
  const result = h('div');
  const fileId = uid('csv');
  const textId = uid('csvtext');
  const file = h('input', { type: 'file', id: fileId, accept: '.csv,text/csv' });
  const text = h('textarea', { id: textId, rows: 8, spellcheck: 'false', 'aria-describedby': `${textId}-hint` });
  const check = h('button', { type: 'submit', class: 'primary' }, t('checkFile'));
  const form = h('form', { novalidate: true, 'aria-label': t('importPeople') },
    h('p', null, t('importIntro')),
    h('p', { class: 'hint', id: `${textId}-hint` }, t('importColumns')),
    h('div', { class: 'field' }, h('label', { for: fileId }, t('csvFile')), file),
    h('div', { class: 'field' }, h('label', { for: textId }, t('csvPaste')), text),
    check);
  file.addEventListener('change', async () => {
    if (file.files[0]) text.value = await file.files[0].text();
  });
  const send = (dryRun) => upload(`${apiBase(prod.id)}/people/import?dry_run=${dryRun}`, text.value, 'text/csv; charset=utf-8');
  form.addEventListener('submit', busy(check, async () => {
    note.say('');
    result.replaceChildren();
    if (!text.value.trim()) {
      note.say(t('csvEmpty'), 'error');
      return;
    }
    const sent = text.value;
    let answer;
    try {
      answer = await send(true);
    } catch (err) {
      const errors = err instanceof ApiError ? rowErrors(err.problem) : [];
      note.say(errors.length ? t('importRefused', { n: errors.length }) : problemText(err), 'error');
      if (errors.length) result.replaceChildren(h('h2', null, t('refusedRows')), errorList(errors));
      return;
    }
    const people = answer.people || [];
    const apply = h('button', { type: 'button', class: 'primary' }, t('importN', { n: people.length }));
    apply.addEventListener('click', busy(apply, async () => {
      if (text.value !== sent) { /* changed since the check: check again first */
        note.say(t('csvChanged'), 'error');
        return;
      }
      try {
        const done = await send(false);
        ctx.flash(t('imported', { n: done.imported }));
        ctx.go(officePath(prod.id, '/people'));
      } catch (err) {
        const errors = err instanceof ApiError ? rowErrors(err.problem) : [];
        note.say(errors.length ? t('importRefused', { n: errors.length }) : problemText(err), 'error');
        if (errors.length) result.replaceChildren(h('h2', null, t('refusedRows')), errorList(errors));
      }
    }));
    note.say(t('importReady', { n: people.length }));
    result.replaceChildren(h('h2', null, t('importPreview')), previewTable(people), h('div', { class: 'actions' }, apply));
  }));
  frame(prod, t('importPeople'), back, form, note, result);
}

export { render };
