// docs/ROLES.md read as data: the API tests check the server against the
// document people read, not against a copy of the table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './harness.mjs';

export const ROLES = ['production_admin', 'producer', 'ad', 'department_head', 'crew', 'cast'];

let doc;

/** The scope docs/ROLES.md gives `role` for `resource` under `## action`. */
export function documentedScope(action, resource, role) {
  doc ??= readFileSync(path.join(REPO_ROOT, 'docs/ROLES.md'), 'utf8');
  const section = doc.split(/^## /m).find((x) => x.startsWith(`${action}\n`));
  const rows = section.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const col = rows[0].indexOf(role);
  const row = rows.find((r) => r[0] === `\`${resource}\``);
  assert.ok(col > 0 && row, `docs/ROLES.md has ${action} × ${resource} × ${role}`);
  return row[col];
}

/** Whether the documented scope reaches a record: self, same department, called. */
export function documentedAllows(action, resource, role, { self = false, sameDept = false, called = false } = {}) {
  switch (documentedScope(action, resource, role)) {
    case 'all': return true;
    case 'self': return self;
    case 'department': return sameDept;
    case 'called': return called;
    default: return false;
  }
}
