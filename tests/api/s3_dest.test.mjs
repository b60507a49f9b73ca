// The backup destinations (src/backup/dest.h) against real parts: a real directory and an
// S3-compatible server (s3rver) on loopback behind a front that checks every request's
// SigV4 signature with node's crypto. Driven by build/destctl (tests/tools/destctl.c) until
// backup.c uses the destinations itself.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, childEnv, makeTempDir } from './lib/harness.mjs';
import { S3_KEY_ID, S3_REGION, S3_SECRET, sigv4, startS3 } from './lib/s3.mjs';

// the driver built like the server under test: release, ASan, TSan, or release under valgrind
const slateBin = process.env.SLATE_BIN || 'build/slate';
function destctlCommand() {
  const at = (p) => path.resolve(REPO_ROOT, p);
  if (slateBin.includes('asan')) return [at('build/asan/destctl')];
  if (slateBin.includes('tsan')) return [at('build/tsan/destctl')];
  if (slateBin.includes('valgrind')) {
    return ['valgrind', '--quiet', '--error-exitcode=99', '--leak-check=full',
      '--errors-for-leak-kinds=definite,indirect', '--show-leak-kinds=definite,indirect',
      `--suppressions=${at('tests/valgrind/slate.supp')}`, at('build/destctl')];
  }
  return [at('build/destctl')];
}
const DESTCTL = destctlCommand();

/** Runs destctl without blocking the loop (s3rver answers from this process). */
function destctl(args, env) {
  return new Promise((resolve) => {
    execFile(DESTCTL[0], [...DESTCTL.slice(1), ...args], { env: childEnv(env), timeout: 120_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
  });
}

function oneErrorLine(r, what) {
  assert.equal(r.code, 1, `${what}: exit 1 expected\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
  return lines[0];
}

let tmp;
let s3;
let credFile;
let s3env;

before(async () => {
  tmp = makeTempDir('slate-dest-');
  credFile = path.join(tmp.dir, 's3.cred');
  fs.writeFileSync(credFile, `# the test store\naccess_key_id=${S3_KEY_ID}\nsecret_access_key=${S3_SECRET}\n`, { mode: 0o600 });
  s3 = await startS3({ buckets: ['slate-backups'], maxKeys: 2 });
  s3env = {
    SLATE_BACKUP_S3_ENDPOINT: s3.endpoint,
    SLATE_BACKUP_S3_BUCKET: 'slate-backups',
    SLATE_BACKUP_S3_PREFIX: 'team/prod',
    SLATE_BACKUP_S3_REGION: S3_REGION,
    SLATE_BACKUP_S3_CREDENTIALS_FILE: credFile,
  };
});

after(async () => {
  await s3?.stop();
  tmp?.cleanup();
});

describe('SigV4 signing', () => {
  test('Slate signs a request for a fixed time, key, secret, region and body exactly as the AWS specification computed in node does', async () => {
    const body = 'sealed snapshot bytes\n';
    const payloadHash = crypto.createHash('sha256').update(body).digest('hex');
    const cases = [
      ['PUT', 's3.eu-west-1.amazonaws.com', '/slate-backups/team/prod/snapshots/20261204T101500Z-42.db', '', payloadHash],
      ['GET', '127.0.0.1:9000', '/slate-backups', 'continuation-token=1%2Fa%2Bb%3D&list-type=2&prefix=team%2Fprod%2Fwal%2F',
        crypto.createHash('sha256').update('').digest('hex')],
    ];
    for (const [method, host, p, query, hash] of cases) {
      const r = await destctl(['sign', method, host, p, query, hash, '20261204T101500Z', 'eu-west-1', 'AKIDEXAMPLE',
        'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY']);
      assert.equal(r.code, 0, r.stderr);
      const expected = sigv4({ method, host, path: p, query, payloadHash: hash, amzDate: '20261204T101500Z',
        region: 'eu-west-1', keyId: 'AKIDEXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' });
      assert.equal(r.stdout.trim(), expected, `${method} ${p}`);
    }
    // and a different secret gives a different signature (the secret is in it)
    const other = await destctl(['sign', 'PUT', 'h', '/b/k', '', payloadHash, '20261204T101500Z', 'eu-west-1', 'AKIDEXAMPLE', 'other']);
    assert.notEqual(other.stdout.trim().split('Signature=')[1], undefined);
    assert.notEqual(other.stdout.trim(), sigv4({ method: 'PUT', host: 'h', path: '/b/k', payloadHash, amzDate: '20261204T101500Z',
      region: 'eu-west-1', keyId: 'AKIDEXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }));
  });
});

describe('the S3-compatible destination', () => {
  test('put, list in order across pages, get, not found and delete, every request signed right', async () => {
    const local = path.join(tmp.dir, 'snap.db');
    const data = crypto.randomBytes(70_000);
    fs.writeFileSync(local, data);
    const before = s3.counts.verified;

    let r = await destctl(['s3', 'label'], s3env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 's3://slate-backups/team/prod');

    r = await destctl(['s3', 'put', 'snapshots/20261204T101500Z-42.db', local], s3env);
    assert.equal(r.code, 0, r.stderr);
    for (const [name, text] of [['wal/g1/000002.seg', 'two'], ['wal/g1/000001.seg', 'one'], ['wal/g1/000003.seg', 'three!'],
      ['snapshots/20261204T101500Z-42.json', '{"a b":1}'], ['odd name+&=.txt', 'x']]) {
      r = await destctl(['s3', 'putmem', name, text], s3env);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
    // the objects are where the layout says: BUCKET/PREFIX/NAME
    r = await destctl(['s3', 'list'], s3env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'odd name+&=.txt 1',
      'snapshots/20261204T101500Z-42.db 70000',
      'snapshots/20261204T101500Z-42.json 9',
      'wal/g1/000001.seg 3',
      'wal/g1/000002.seg 3',
      'wal/g1/000003.seg 6',
    ]);
    // max-keys=2 at the server: three pages, each after the previous page's token
    assert.ok(s3.counts.requests.filter((q) => q.includes('continuation-token=')).length >= 2,
      s3.counts.requests.join('\n'));
    r = await destctl(['s3', 'list', 'wal/'], s3env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(' ')[0]),
      ['wal/g1/000001.seg', 'wal/g1/000002.seg', 'wal/g1/000003.seg']);

    const back = path.join(tmp.dir, 'back.db');
    r = await destctl(['s3', 'get', 'snapshots/20261204T101500Z-42.db', back], s3env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.readFileSync(back).equals(data), 'the object comes back byte for byte');
    assert.equal(fs.statSync(back).mode & 0o777, 0o600);
    r = await destctl(['s3', 'get', 'odd name+&=.txt', back], s3env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(back, 'utf8'), 'x');

    r = await destctl(['s3', 'get', 'snapshots/none.db', path.join(tmp.dir, 'none.db')], s3env);
    assert.equal(r.code, 2, `not found is exit 2\n${r.stderr}`);
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'none.db')), 'nothing is left for an object not found');
    assert.deepEqual(fs.readdirSync(tmp.dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file is left');

    r = await destctl(['s3', 'delete', 'wal/g1/000002.seg'], s3env);
    assert.equal(r.code, 0, r.stderr);
    r = await destctl(['s3', 'delete', 'wal/g1/000002.seg'], s3env);
    assert.equal(r.code, 0, `deleting what is gone is no error\n${r.stderr}`);
    r = await destctl(['s3', 'list', 'wal/'], s3env);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['wal/g1/000001.seg', 'wal/g1/000003.seg']);

    assert.equal(s3.counts.rejected, 0, 'no request failed the signature check');
    assert.ok(s3.counts.verified - before >= 14, `signed requests seen: ${s3.counts.verified - before}`);
  });

  test('a 500 from the store is tried again, twice at most: a put, a file put, a get and a list go through two; a third is the error', async () => {
    const local = path.join(tmp.dir, 'retry.bin');
    fs.writeFileSync(local, Buffer.alloc(70_000, 7));
    s3.failNext(2);
    let r = await destctl(['s3', 'putmem', 'retry/a.txt', 'after two failures'], s3env);
    assert.equal(r.code, 0, r.stderr);
    s3.failNext(2);
    r = await destctl(['s3', 'put', 'retry/b.bin', local], s3env);
    assert.equal(r.code, 0, r.stderr);
    s3.failNext(2);
    const back = path.join(tmp.dir, 'retry.back');
    r = await destctl(['s3', 'get', 'retry/b.bin', back], s3env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.readFileSync(back).equals(fs.readFileSync(local)), 'the file body was sent whole on the third try, and read back whole');
    s3.failNext(2);
    r = await destctl(['s3', 'list', 'retry/'], s3env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['retry/a.txt', 'retry/b.bin']);
    // three in a row: one clear line naming the answer
    s3.failNext(3);
    r = await destctl(['s3', 'get', 'retry/a.txt', back], s3env);
    assert.match(oneErrorLine(r, 'three 500s'), /HTTP 500/);
    s3.failNext(0);
  });

  test('names that leave the prefix are refused before any request', async () => {
    const seen = s3.counts.requests.length;
    // (every rule is in tests/unit/backup/test_dest.c; here: that nothing reaches the store)
    for (const name of ['../other/x', 'a//b', '']) {
      const r = await destctl(['s3', 'putmem', name, 'x'], s3env);
      const line = oneErrorLine(r, name);
      assert.match(line, /backup object name/, name);
    }
    assert.equal(s3.counts.requests.length, seen, 'no request was sent for a refused name');
  });

  test('a wrong secret, a missing bucket, a refused connection and a silent server each give one clear line', async () => {
    const badCred = path.join(tmp.dir, 'bad.cred');
    fs.writeFileSync(badCred, `${S3_KEY_ID}\nnot-the-secret-xyz\n`, { mode: 0o600 });
    let r = await destctl(['s3', 'putmem', 'a.txt', 'x'], { ...s3env, SLATE_BACKUP_S3_CREDENTIALS_FILE: badCred });
    let line = oneErrorLine(r, 'wrong secret');
    assert.match(line, /^destctl: s3:\/\/slate-backups\/team\/prod: PUT a\.txt: HTTP 403 SignatureDoesNotMatch$/);
    assert.ok(!r.stderr.includes('not-the-secret-xyz') && !r.stderr.includes('Signature='), 'no secret, no signature');

    r = await destctl(['s3', 'list'], { ...s3env, SLATE_BACKUP_S3_BUCKET: 'no-such-bucket' });
    line = oneErrorLine(r, 'missing bucket');
    assert.match(line, /HTTP 404 NoSuchBucket$/);
    r = await destctl(['s3', 'get', 'x', path.join(tmp.dir, 'x')], { ...s3env, SLATE_BACKUP_S3_BUCKET: 'no-such-bucket' });
    assert.equal(r.code, 1, 'a missing bucket is an error, not "not found"');
    assert.match(oneErrorLine(r, 'get from a missing bucket'), /HTTP 404 NoSuchBucket$/);

    // a port nobody listens on: bind one, note it, close it
    const closed = net.createServer();
    await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    r = await destctl(['s3', 'putmem', 'a.txt', 'x'], { ...s3env, SLATE_BACKUP_S3_ENDPOINT: `http://127.0.0.1:${deadPort}` });
    line = oneErrorLine(r, 'refused');
    assert.match(line, new RegExp(`PUT a\\.txt: cannot connect to http://127\\.0\\.0\\.1:${deadPort}`));

    // a server that takes the connection and never answers
    const sockets = [];
    const silent = net.createServer((s) => { sockets.push(s); s.on('error', () => {}); });
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      r = await destctl(['s3', 'list'], { ...s3env, SLATE_BACKUP_S3_ENDPOINT: `http://127.0.0.1:${silent.address().port}`,
        SLATE_BACKUP_S3_TIMEOUT: '1' });
      line = oneErrorLine(r, 'silent server');
      assert.match(line, /LIST: timed out \(nothing moved for 1 s\) at http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(sockets.length >= 1, 'it did connect');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('HTTPS is verified: an unknown CA and a certificate for another name are refused, s3_ca_file with the right name works', async () => {
    const key = path.join(tmp.dir, 'tls-key.pem');
    const cert = path.join(tmp.dir, 'tls-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'],
    { stdio: 'ignore' });
    const s3tls = await startS3({ tls: { key: fs.readFileSync(key), cert: fs.readFileSync(cert) } });
    try {
      const byName = s3tls.endpoint.replace('127.0.0.1', 'localhost');
      let r = await destctl(['s3', 'putmem', 'tls.txt', 'over tls'], { ...s3env, SLATE_BACKUP_S3_ENDPOINT: byName });
      assert.match(oneErrorLine(r, 'unknown CA'), /PUT tls\.txt: .*(certificate|SSL)/i);
      r = await destctl(['s3', 'putmem', 'tls.txt', 'over tls'],
        { ...s3env, SLATE_BACKUP_S3_ENDPOINT: s3tls.endpoint, SLATE_BACKUP_S3_CA_FILE: cert });
      assert.match(oneErrorLine(r, 'another name'), /PUT tls\.txt: .*name/i);
      assert.equal(s3tls.counts.requests.length, 0, 'no request went over an unverified connection');

      const env = { ...s3env, SLATE_BACKUP_S3_ENDPOINT: byName, SLATE_BACKUP_S3_CA_FILE: cert };
      r = await destctl(['s3', 'putmem', 'tls.txt', 'over tls'], env);
      assert.equal(r.code, 0, r.stderr);
      const back = path.join(tmp.dir, 'tls.back');
      r = await destctl(['s3', 'get', 'tls.txt', back], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fs.readFileSync(back, 'utf8'), 'over tls');
      assert.equal(s3tls.counts.rejected, 0);
    } finally {
      await s3tls.stop();
    }
  });

  test('bad settings and a readable credentials file are refused with one line each', async () => {
    const open = path.join(tmp.dir, 'open.cred');
    fs.writeFileSync(open, `${S3_KEY_ID}\n${S3_SECRET}\n`, { mode: 0o644 });
    fs.chmodSync(open, 0o644);
    const oneLine = path.join(tmp.dir, 'one.cred');
    fs.writeFileSync(oneLine, `${S3_KEY_ID}\n`, { mode: 0o600 });
    // (every rule of the settings is in tests/unit/backup/test_dest.c; here: the line as printed)
    const cases = [
      [{ SLATE_BACKUP_S3_ENDPOINT: 'http://s3.example.com' }, /s3_endpoint must be https:\/\/ \(plain http:\/\/ only for 127\.0\.0\.1, localhost or \[::1\]\)/],
      [{ SLATE_BACKUP_S3_BUCKET: 'Bad_Bucket' }, /s3_bucket must be 3 to 63/],
      [{ SLATE_BACKUP_S3_CREDENTIALS_FILE: open }, /S3 credentials file .* is readable by others \(mode 644\); chmod 600 it/],
      [{ SLATE_BACKUP_S3_CREDENTIALS_FILE: oneLine }, /must hold the access key id and the secret access key/],
      [{ SLATE_BACKUP_S3_CA_FILE: path.join(tmp.dir, 'no-ca.pem') }, /cannot read s3_ca_file/],
      [{ SLATE_BACKUP_S3_ENDPOINT: '', SLATE_BACKUP_S3_BUCKET: 'slate-backups' }, /an s3_\* backup setting is set but s3_endpoint is not/],
    ];
    for (const [over, re] of cases) {
      const r = await destctl(['s3', 'label'], { ...s3env, ...over });
      const line = oneErrorLine(r, JSON.stringify(over));
      assert.match(line, re, JSON.stringify(over));
      assert.ok(!line.includes(S3_SECRET));
    }
  });
});

describe('the directory destination', () => {
  test('objects are files 0600 under directories 0700, listed in order, got back and deleted', async () => {
    const root = path.join(tmp.dir, 'backups');
    const env = { SLATE_BACKUP_DIR: root };
    const local = path.join(tmp.dir, 'seg');
    fs.writeFileSync(local, 'segment bytes');
    let r = await destctl(['dir', 'put', 'wal/g2/000001.seg', local], env);
    assert.equal(r.code, 0, r.stderr);
    r = await destctl(['dir', 'putmem', 'snapshots/a.json', '{}'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.statSync(root).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(root, 'wal', 'g2')).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(root, 'wal/g2/000001.seg')).mode & 0o777, 0o600);
    r = await destctl(['dir', 'label'], env);
    assert.equal(r.stdout.trim(), `dir:${root}`);
    r = await destctl(['dir', 'list'], env);
    assert.deepEqual(r.stdout.trim().split('\n'), ['snapshots/a.json 2', 'wal/g2/000001.seg 13']);
    r = await destctl(['dir', 'get', 'wal/g2/000001.seg', path.join(tmp.dir, 'seg.back')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(tmp.dir, 'seg.back'), 'utf8'), 'segment bytes');
    r = await destctl(['dir', 'delete', 'wal/g2/000001.seg'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await destctl(['dir', 'get', 'wal/g2/000001.seg', path.join(tmp.dir, 'seg.back2')], env);
    assert.equal(r.code, 2);
  });
});
