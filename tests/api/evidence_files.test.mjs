// A removed record takes its file with it (issue 17): deleting a
// sustainability entry removes its evidence — the attachment row in the
// delete's transaction, the encrypted file after the commit — and `slate
// fsck` compares the rows with the upload directory: files no row names
// (orphans, which --remove-orphans removes) and rows whose file is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, runSlate, slateSql } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
const S = (rest = '') => `/api/v1/productions/${prod.id}/sustainability${rest}`;
const uploads = () => path.join(server.data, 'uploads');
const files = () => (existsSync(uploads()) ? readdirSync(uploads()).sort() : []);
const fsck = (...args) => runSlate(['fsck', '--data', server.data, ...args], { timeout: 60_000 });
const pdf = { headers: { 'content-type': 'application/pdf' } };

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  const p = await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Receipts', timezone: 'UTC' } });
  assert.equal(p.status, 201, p.body);
  prod = p.json;
});
after(async () => { await server?.stop(); });

async function entryWithEvidence() {
  const e = await call(server, admin, 'POST', S('/entries'), { body: { date: '2027-03-06', department: 'Transport', factor: 'diesel-average-biofuel-blend', quantity: 30, unit: 'L' } });
  assert.equal(e.status, 201, e.body);
  const before = files();
  const up = await call(server, admin, 'PUT', S(`/entries/${e.json.id}/evidence?name=receipt.pdf`), { ...pdf, body: Buffer.from('%PDF-1.4 fuel receipt: 30 litres\n') });
  assert.equal(up.status, 201, up.body);
  const added = files().filter((f) => !before.includes(f));
  assert.equal(added.length, 1, 'one evidence file on disk');
  return { entry: e.json.id, attachment: up.json.id, file: added[0] };
}

test('deleting a sustainability entry removes its evidence file and its attachment row', async () => {
  const { entry, attachment, file } = await entryWithEvidence();
  const del = await call(server, admin, 'DELETE', S(`/entries/${entry}`));
  assert.equal(del.status, 204, del.body);
  assert.ok(!files().includes(file), `the evidence file ${file} is gone from disk`);
  assert.equal(slateSql(server.data, `SELECT COUNT(*) FROM attachment WHERE id = '${attachment}'`), '0', 'the attachment row is gone');
  assert.equal(slateSql(server.data, `SELECT COUNT(*) FROM audit_event WHERE action = 'sustainability.entry.delete' AND object = '${entry}'`), '1');
  const check = fsck();
  assert.equal(check.code, 0, `fsck after the delete: ${check.stdout}${check.stderr}`);
});

test('slate fsck lists orphan files and missing ones, removes the orphans with --remove-orphans, then finds the data clean', async () => {
  const { attachment, file } = await entryWithEvidence();
  const clean = fsck();
  assert.equal(clean.code, 0, `a consistent data directory: ${clean.stdout}${clean.stderr}`);
  assert.equal(clean.stdout, '');

  // an orphan, as a crash between a delete's commit and its unlink leaves one (two hours old)
  const orphan = path.join(uploads(), 'f_leftover.sfe');
  writeFileSync(orphan, randomBytes(4096));
  const old = new Date(Date.now() - 2 * 3600e3);
  utimesSync(orphan, old, old);
  // a file just written may be an upload still arriving: never judged
  const young = path.join(uploads(), 'f_arriving.sfe');
  writeFileSync(young, randomBytes(64));
  // and a row whose file is gone
  const moved = path.join(server.data, 'moved-away.sfe');
  renameSync(path.join(uploads(), file), moved);

  const found = fsck();
  assert.equal(found.code, 1, found.stderr);
  const lines = found.stdout.trim().split('\n').sort();
  assert.deepEqual(lines, [`missing ${path.join(uploads(), file)} ${attachment}`, `orphan ${orphan}`].sort(), found.stdout);

  renameSync(moved, path.join(uploads(), file));
  const removed = fsck('--remove-orphans');
  assert.equal(removed.code, 0, `${removed.stdout}${removed.stderr}`);
  assert.equal(removed.stdout.trim(), `removed ${orphan}`);
  assert.ok(!existsSync(orphan), 'the orphan is gone');
  assert.ok(existsSync(young), 'the young file is left alone');
  assert.ok(existsSync(path.join(uploads(), file)), 'a named file is never removed');

  unlinkSync(young);
  const after = fsck();
  assert.equal(after.code, 0, `${after.stdout}${after.stderr}`);
  assert.equal(after.stdout, '');
  // the evidence still opens: fsck changed nothing it should not have
  const e = slateSql(server.data, `SELECT id FROM carbon_entry WHERE evidence_id = '${attachment}'`);
  assert.equal((await call(server, admin, 'GET', S(`/entries/${e}/evidence`))).status, 200);
});

test('evidence replaced by a new upload takes its old file and row with it', async () => {
  const { entry, attachment, file } = await entryWithEvidence();
  const before = files();
  const again = await call(server, admin, 'PUT', S(`/entries/${entry}/evidence?name=receipt-corrected.pdf`), { ...pdf, body: Buffer.from('%PDF-1.4 fuel receipt: 31 litres\n') });
  assert.equal(again.status, 201, again.body);
  const now = files();
  assert.ok(!now.includes(file), `the replaced evidence file ${file} is gone from disk`);
  assert.equal(now.filter((f) => !before.includes(f)).length, 1, 'the new evidence file is there');
  assert.equal(slateSql(server.data, `SELECT COUNT(*) FROM attachment WHERE id = '${attachment}'`), '0', 'the replaced attachment row is gone');
  const got = await call(server, admin, 'GET', S(`/entries/${entry}/evidence`));
  assert.equal(got.status, 200);
  assert.match(got.body, /31 litres/);
  const check = fsck();
  assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
});
