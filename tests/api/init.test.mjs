// CONTRACT.md, `slate init` and the command line: exit codes 0/1/2, errors as
// one "slate: " line on stderr, data dir and key file modes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runSlate, makeTempDir, initDataDir, ADMIN_PASSWORD } from './lib/harness.mjs';

const cleanups = [];
after(() => {
  for (const c of cleanups) c();
});
function tempDir() {
  const t = makeTempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}
function initialised() {
  const d = initDataDir();
  cleanups.push(d.cleanup);
  return d;
}

const stderrLines = (s) => s.split('\n').filter((l) => l.length > 0);

/** Everything under `dir`: path, type, mode, size, mtime and sha256 of files. */
function snapshot(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const e = { path: path.relative(dir, p), mode: st.mode, size: st.size, mtimeMs: st.mtimeMs };
      if (st.isFile()) e.sha256 = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      out.push(e);
      if (st.isDirectory()) walk(p);
    }
  };
  const st = fs.statSync(dir);
  out.push({ path: '.', mode: st.mode, mtimeMs: st.mtimeMs });
  walk(dir);
  return out;
}

test('init creates the data dir 0700 and master.key 0600 holding 64 hex chars, even under umask 0', () => {
  const root = tempDir();
  const data = path.join(root, 'data');
  const old = process.umask(0);
  let r;
  try {
    r = runSlate(['init', '--data', data, '--json'], { env: { SLATE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  } finally {
    process.umask(old);
  }
  assert.equal(r.code, 0, `init failed: ${r.stderr}`);
  assert.equal(fs.statSync(data).mode & 0o777, 0o700, 'data dir mode');
  const key = path.join(data, 'master.key');
  assert.equal(fs.statSync(key).mode & 0o777, 0o600, 'master.key mode');
  assert.match(fs.readFileSync(key, 'utf8'), /^[0-9a-fA-F]{64}\n$/, 'master.key content');
  assert.ok(fs.statSync(path.join(data, 'slate.db')).isFile(), 'slate.db missing');
  assert.ok(fs.statSync(path.join(data, 'tls', 'cert.pem')).isFile(), 'tls/cert.pem missing');
  assert.ok(fs.statSync(path.join(data, 'tls', 'key.pem')).isFile(), 'tls/key.pem missing');
  for (const f of ['slate.db', 'tls/key.pem']) {
    assert.equal(fs.statSync(path.join(data, f)).mode & 0o077, 0, `${f} is accessible to group/other`);
  }
});

test('init --json prints the data dir and admin email, and no password when one was given', () => {
  const d = initialised();
  assert.equal(d.init.data, d.data);
  assert.equal(d.init.admin_email, 'admin@localhost');
  assert.ok(!('admin_password' in d.init), `admin_password printed although given: ${JSON.stringify(d.init)}`);
});

test('init without SLATE_ADMIN_PASSWORD generates one and prints it in the JSON', () => {
  const data = path.join(tempDir(), 'data');
  const r = runSlate(['init', '--data', data, '--json'], { env: { SLATE_ADMIN_EMAIL: 'ops@example.com' } });
  assert.equal(r.code, 0, `init failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  assert.equal(j.admin_email, 'ops@example.com');
  assert.equal(typeof j.admin_password, 'string');
  assert.ok(j.admin_password.length >= 16, `generated password is short: ${j.admin_password.length} chars`);
  assert.ok(!r.stderr.includes(j.admin_password), 'the generated password also leaked to stderr');
});

test('the development TLS certificate is P-256 for localhost, 127.0.0.1 and ::1', () => {
  const d = initialised();
  const x = new crypto.X509Certificate(d.cert);
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');
  assert.ok(x.checkHost('localhost'), `SAN: ${x.subjectAltName}`);
  assert.ok(x.checkIP('127.0.0.1'), `SAN: ${x.subjectAltName}`);
  assert.ok(x.checkIP('::1'), `SAN: ${x.subjectAltName}`);
  assert.ok(new Date(x.validTo).getTime() > Date.now(), `certificate expired: ${x.validTo}`);
});

test('init over an initialised directory exits 1 with one "slate: " line and changes nothing', () => {
  const d = initialised();
  const before = snapshot(d.data);
  const r = runSlate(['init', '--data', d.data, '--json'], { env: { SLATE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `stderr is not one line:\n${r.stderr}`);
  assert.ok(lines[0].startsWith('slate: '), `stderr: ${lines[0]}`);
  assert.match(lines[0], /not empty/);
  assert.equal(r.stdout, '', 'stdout should be empty on failure');
  assert.deepEqual(snapshot(d.data), before, 'the data directory changed');
});

test('init into a non-empty directory that is not a data dir exits 1 and leaves it alone', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'precious.txt'), 'do not touch\n');
  const before = snapshot(dir);
  const r = runSlate(['init', '--data', dir], { env: { SLATE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `stderr is not one line:\n${r.stderr}`);
  assert.ok(lines[0].startsWith('slate: '), `stderr: ${lines[0]}`);
  assert.deepEqual(snapshot(dir), before, 'the directory changed');
});

test('init into an existing empty directory succeeds', () => {
  const dir = tempDir();
  const r = runSlate(['init', '--data', dir, '--json'], { env: { SLATE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  assert.equal(r.code, 0, `init failed: ${r.stderr}`);
  assert.ok(fs.statSync(path.join(dir, 'slate.db')).isFile());
});

test('init --key-file writes the master key there instead of the data dir', () => {
  const root = tempDir();
  const data = path.join(root, 'data');
  const keyFile = path.join(root, 'master.key');
  const r = runSlate(['init', '--data', data, '--key-file', keyFile], { env: { SLATE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  assert.equal(r.code, 0, `init failed: ${r.stderr}`);
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'key file mode');
  assert.match(fs.readFileSync(keyFile, 'utf8'), /^[0-9a-fA-F]{64}\n$/);
  assert.ok(!fs.existsSync(path.join(data, 'master.key')), 'master.key was also written to the data dir');
});

test('slate --version prints a version and exits 0', () => {
  const r = runSlate(['--version']);
  assert.equal(r.code, 0, `stderr: ${r.stderr}`);
  assert.match(r.stdout, /\d+\.\d+/, `stdout: ${r.stdout}`);
});

test('slate --help exits 0', () => {
  const r = runSlate(['--help']);
  assert.equal(r.code, 0, `stderr: ${r.stderr}`);
  assert.ok((r.stdout + r.stderr).length > 0, '--help printed nothing');
});

test('an unknown command exits 2 with a "slate: " error', () => {
  const r = runSlate(['nosuchcommand']);
  assert.equal(r.code, 2, `stderr: ${r.stderr}`);
  assert.ok(stderrLines(r.stderr)[0]?.startsWith('slate: '), `stderr: ${r.stderr}`);
});

test('slate serve without --data exits 2 with one "slate: " line', () => {
  const r = runSlate(['serve'], { timeout: 10_000 });
  assert.equal(r.signal, null, 'serve without --data did not exit by itself');
  assert.equal(r.code, 2, `stderr: ${r.stderr}`);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `stderr is not one line:\n${r.stderr}`);
  assert.ok(lines[0].startsWith('slate: '), `stderr: ${lines[0]}`);
});

test('slate init without --data exits 2 with one "slate: " line', () => {
  const r = runSlate(['init'], { cwd: tempDir() });
  assert.equal(r.code, 2, `stderr: ${r.stderr}`);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `stderr is not one line:\n${r.stderr}`);
  assert.ok(lines[0].startsWith('slate: '), `stderr: ${lines[0]}`);
});
