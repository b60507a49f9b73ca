// The tests' S3-compatible store (lib/s3.mjs) replaces an object whole, as S3 does: a GET that
// races PUTs of the same key answers one whole version, never a body cut short of its
// Content-Length (a client then waits for bytes that never come) nor a mix of two versions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startS3, sigv4, S3_KEY_ID, S3_SECRET, S3_REGION } from './lib/s3.mjs';

let s3;
before(async () => { s3 = await startS3({ buckets: ['race'] }); });
after(async () => { await s3?.stop(); });

function send(method, path, body = Buffer.alloc(0)) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const payloadHash = crypto.createHash('sha256').update(body).digest('hex');
  const host = `127.0.0.1:${s3.port}`;
  const authorization = sigv4({ method, host, path, payloadHash, amzDate, region: S3_REGION, keyId: S3_KEY_ID, secret: S3_SECRET });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s3.port, method, path, agent: false,
      headers: { host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash, authorization, 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: nothing moved for 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

test('a GET racing PUTs of the same key answers one whole version of the object', async () => {
  const versions = [Buffer.alloc(64 << 10, 'a'), Buffer.alloc(7, 'b'), Buffer.alloc(300 << 10, 'c')];
  assert.equal((await send('PUT', '/race/wal/HEAD', versions[0])).status, 200);
  let stop = false;
  const writer = (async () => {
    for (let i = 1; !stop; i++) assert.equal((await send('PUT', '/race/wal/HEAD', versions[i % 3])).status, 200);
  })();
  try {
    for (let i = 0; i < 60; i++) {
      const r = await send('GET', '/race/wal/HEAD');
      assert.equal(r.status, 200);
      assert.ok(versions.some((v) => v.equals(r.body)), `GET ${i}: ${r.body.length} bytes, not one whole version`);
    }
  } finally {
    stop = true;
    await writer;
  }
});
