// Argon2id cost (issue 3): never below OWASP's minimum, configurable upward,
// and a password is re-hashed at its next sign-in when the cost rises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, initDataDir, runSlate, ADMIN_PASSWORD, slateSql } from './lib/harness.mjs';
import { signIn } from './lib/session.mjs';

const hashOf = (data) => slateSql(data, 'SELECT password_hash FROM app_user WHERE is_instance_admin = 1');

test('raising the configured cost re-hashes a password at its next sign-in', async (t) => {
  const dd = initDataDir();
  t.after(() => dd.cleanup());
  assert.match(hashOf(dd.data), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  const first = await startServer({ dataDir: dd });
  assert.equal((await signIn(first)).res.status, 200);
  assert.match(hashOf(dd.data), /m=19456,t=2,p=1/, 'the same cost: no re-hash');
  await first.stop();
  const second = await startServer({ dataDir: dd, env: { SLATE_PASSWORD_ITERATIONS: '3', SLATE_PASSWORD_MEMORY_KIB: '24576' } });
  try {
    assert.equal((await signIn(second)).res.status, 200);
    assert.match(hashOf(dd.data), /^\$argon2id\$v=19\$m=24576,t=3,p=1\$/);
    assert.equal((await signIn(second)).res.status, 200, 'the new hash verifies');
  } finally {
    await second.stop();
  }
});

test('a cost below the OWASP minimum is refused at start with one line', () => {
  const r = runSlate(['serve', '--data', '/nonexistent'], { env: { SLATE_PASSWORD_MEMORY_KIB: '1024' } });
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /password_memory_kib must be a whole number from 19456/);
  assert.ok(ADMIN_PASSWORD);
});
