// The README's configuration table is the one the code uses: every setting
// `slate serve --help` prints appears in the README with its environment
// variable, and the README names no setting the code does not have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.resolve(root, process.env.SLATE_BIN || 'build/slate');

test('the README documents every setting the code has, and no other', () => {
  const help = spawnSync(bin, ['serve', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  const fromCode = new Set([...help.stdout.matchAll(/^\s+\S+\s+(SLATE_[A-Z_]+)\s/gm)].map((m) => m[1]));
  assert.ok(fromCode.size >= 20, `expected the settings table in --help, got ${fromCode.size}`);
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Make targets'));
  const fromReadme = new Set([...table.matchAll(/^\|[^|]+\|[^|]+\| `(SLATE_[A-Z_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...fromCode].sort(), [...fromReadme].sort());
});
