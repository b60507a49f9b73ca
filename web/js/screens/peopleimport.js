/*
 * peopleimport.js — /office/{id}/people/import: the crew list from a CSV
 * file (or pasted), all or nothing, checked as a dry run first and shown
 * as the people who would be added (csvimport.js).
 */
import { h, link } from '../dom.js';
import { t } from '../text.js';
import { apiBase, officePath, loadProduction, frame, may, table } from '../office.js';
import { csvImport } from '../csvimport.js';

const PREVIEW_COLUMNS = ['name', 'kind', 'department', 'job_title', 'character_name', 'work_phone', 'work_email', 'personal_phone', 'personal_email'];

function previewTable(people) {
  const cols = PREVIEW_COLUMNS.filter((c) => people.some((p) => p[c]));
  return table(t('importPreview'), [t('row'), ...cols.map((c) => t(`col.${c}`))],
    people.map((p) => h('tr', null, h('td', null, String(p.row ?? p.line ?? '')), cols.map((c) => h('td', null, p[c] || '')))),
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
  frame(prod, t('importPeople'), back, csvImport({
    path: `${apiBase(prod.id)}/people/import`,
    intro: t('importIntro'),
    columns: t('importColumns'),
    preview: (answer) => [previewTable(answer.people || []), (answer.people || []).length],
    applyText: (n) => t('importN', { n }),
    done: (answer) => {
      ctx.flash(t('imported', { n: answer.imported }));
      ctx.go(officePath(prod.id, '/people'));
    },
  }));
}

export { render };
