/*
 * csvimport.js — a CSV import, all or nothing, as the office does it: the
 * file (chosen or pasted) goes first as a dry run (…/import?dry_run=true);
 * the page shows what would be written, or every refused row and cell;
 * only then does "Import" send the same bytes for real. Used by the people
 * import and the sustainability import, whose answers share one shape of
 * refusal: 422 with `errors`, each naming its row (`row` or `line`) and
 * column (`column`, or a pointer `/quantity`).
 */
import { h, statusLine, busy, uid } from './dom.js';
import { upload, ApiError } from './api.js';
import { t, problemText } from './text.js';

function errorList(errors) {
  return h('ul', { class: 'errors' }, errors.map((e) => {
    const row = e.row ?? e.line;
    const column = e.column || String(e.pointer || '').replace(/^\//, '') || '—';
    return h('li', null, row ? t('rowError', { row, column, detail: e.detail || e.message || '' }) : (e.detail || e.pointer || ''));
  }));
}

/*
 * The import form. path: the import's URL without ?dry_run; preview(answer)
 * draws the dry run's answer and returns [nodes, count]; applyText(count)
 * names the button that writes it; done(answer) runs after it was written.
 */
export function csvImport({ path, intro, columns, preview, applyText, done }) {
  const note = statusLine();
  const result = h('div');
  const fileId = uid('csv');
  const textId = uid('csvtext');
  const file = h('input', { type: 'file', id: fileId, accept: '.csv,text/csv' });
  const text = h('textarea', { id: textId, rows: 8, spellcheck: 'false', 'aria-describedby': `${textId}-hint` });
  const check = h('button', { type: 'submit', class: 'primary' }, t('checkFile'));
  const form = h('form', { novalidate: true, 'aria-label': t('importForm') },
    h('p', null, intro),
    h('p', { class: 'hint', id: `${textId}-hint` }, columns),
    h('div', { class: 'field' }, h('label', { for: fileId }, t('csvFile')), file),
    h('div', { class: 'field' }, h('label', { for: textId }, t('csvPaste')), text),
    check);
  file.addEventListener('change', async () => {
    if (file.files[0]) text.value = await file.files[0].text();
  });
  const send = (dryRun) => upload(`${path}?dry_run=${dryRun}`, text.value, 'text/csv; charset=utf-8');
  const refused = (err) => {
    const errors = (err instanceof ApiError && err.problem && err.problem.errors) || [];
    note.say(errors.length ? t('importRefused', { n: errors.length }) : problemText(err), 'error');
    if (errors.length) result.replaceChildren(h('h2', null, t('refusedRows')), errorList(errors));
  };
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
      refused(err);
      return;
    }
    const [nodes, count] = preview(answer);
    const apply = h('button', { type: 'button', class: 'primary' }, applyText(count));
    apply.addEventListener('click', busy(apply, async () => {
      if (text.value !== sent) { /* changed since the check: check again first */
        note.say(t('csvChanged'), 'error');
        return;
      }
      try {
        await done(await send(false));
      } catch (err) {
        refused(err);
      }
    }));
    note.say(t('importReady', { n: count }));
    result.replaceChildren(h('h2', null, t('importPreview')), nodes, h('div', { class: 'actions' }, apply));
  }));
  return [form, note, result];
}
