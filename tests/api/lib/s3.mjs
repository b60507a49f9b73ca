/**
 * An S3-compatible server on loopback for tests: s3rver (npm) in a temp
 * directory, behind a small front that checks every request's AWS Signature
 * Version 4 with node's own crypto (s3rver does not check v4 signatures: it
 * takes any secret), then passes it on. A request whose signature, payload
 * hash or date is wrong is answered 403 SignatureDoesNotMatch and counted in
 * `rejected`; one that passes is counted in `verified`.
 *
 *   const s3 = await startS3({ buckets: ['slate-backups'] });
 *   s3.endpoint   // http://127.0.0.1:PORT
 *   s3.setDown(true)  // every request answered 503 until setDown(false)
 *   s3.failNext(n)    // the next n requests answered 500 InternalError (then as usual)
 *   await s3.stop();
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import S3rver from 's3rver';

import { makeTempDir } from './harness.mjs';

/** s3rver knows this one access key id; the secret is ours, checked by the front. */
export const S3_KEY_ID = 'S3RVER';
export const S3_SECRET = 'test-secret-not-the-s3rver-default';
export const S3_REGION = 'eu-west-1';

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest();

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function awsEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * The Authorization value for one request, computed from the AWS SigV4
 * documentation independently of Slate. `query` and `path` are raw; they
 * are canonicalized here (decoded, re-encoded, sorted).
 */
export function sigv4({ method, host, path, query = '', payloadHash, amzDate, region, keyId, secret }) {
  const canonPath = path.split('/').map((seg) => awsEncode(decodeURIComponent(seg))).join('/');
  const canonQuery = query === ''
    ? ''
    : query.split('&').map((kv) => {
      const i = kv.indexOf('=');
      const k = decodeURIComponent(i === -1 ? kv : kv.slice(0, i));
      const v = i === -1 ? '' : decodeURIComponent(kv.slice(i + 1));
      return [awsEncode(k), awsEncode(v)];
    }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`).join('&');
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const creq = [method, canonPath, canonQuery,
    `host:${host}`, `x-amz-content-sha256:${payloadHash}`, `x-amz-date:${amzDate}`, '',
    signed, payloadHash].join('\n');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/s3/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(creq)].join('\n');
  let k = hmac('AWS4' + secret, day);
  k = hmac(k, region);
  k = hmac(k, 's3');
  k = hmac(k, 'aws4_request');
  const sig = crypto.createHmac('sha256', k).update(sts).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${keyId}/${scope}, SignedHeaders=${signed}, Signature=${sig}`;
}

/**
 * The inner store failed the request (s3rver closed at stop() while a request was in flight):
 * 502 when nothing was answered yet, else the answer is cut off, as a dropped connection would.
 */
function bad(res) {
  if (res.headersSent) res.destroy();
  else { res.writeHead(502); res.end(); }
}

function deny(res, code, message) {
  res.writeHead(403, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/**
 * maxKeys: list answers hold at most this many objects, so a few objects
 * take several pages (continuation tokens); see pagedList.
 * tls: {key, cert} (PEM): the front speaks HTTPS, and endpoint is https://.
 */
export async function startS3({ buckets = ['slate-backups'], secret = S3_SECRET, region = S3_REGION, maxKeys = 0, tls } = {}) {
  const tmp = makeTempDir('slate-s3-');
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: tmp.dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const inner = await s3.run();
  const counts = { verified: 0, rejected: 0, requests: [] };
  let down = false; // setDown(true): every request is answered 503 (the store is unavailable)
  let failing = 0; // failNext(n): the next n requests are answered 500, as S3 may answer any one

  const handler = (req, res) => {
    if (failing > 0) {
      failing--;
      counts.failed = (counts.failed ?? 0) + 1;
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the test</Message></Error>');
      return;
    }
    if (down) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>down for the test</Message></Error>');
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url;
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const query = q === -1 ? '' : url.slice(q + 1);
      const amzDate = req.headers['x-amz-date'] || '';
      const payloadHash = req.headers['x-amz-content-sha256'] || '';
      counts.requests.push(`${req.method} ${url}`);
      let expected = '';
      try {
        expected = sigv4({ method: req.method, host: req.headers.host, path, query, payloadHash, amzDate, region, keyId: S3_KEY_ID, secret });
      } catch {
        expected = '';
      }
      const skew = Math.abs(Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now());
      if (payloadHash !== sha256(body)) {
        counts.rejected++;
        return deny(res, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
      }
      if (!(skew < 15 * 60 * 1000) || expected === '' || req.headers.authorization !== expected) {
        counts.rejected++;
        return deny(res, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      }
      counts.verified++;
      if (maxKeys && /[?&]list-type=2(&|$)/.test(url)) return pagedList(url, res);
      if (req.method === 'GET' && /^\/[^/]+\/./.test(path)) return wholeGet(url, req.headers, res);
      const up = http.request({ host: '127.0.0.1', port: inner.port, method: req.method, path: url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', () => bad(res));
      up.end(body);
    });
  };
  // s3rver's PUT truncates the object's file and writes it in place, and its GET takes the
  // length from a stat before it opens the file: a GET racing a PUT of the same key answers a
  // Content-Length its body never reaches (the client then waits for bytes that never come), a
  // body its ETag does not match, or a 500 (a metadata file read half written). S3 replaces an
  // object whole, so the front reads an object whole and reads it again until its length and
  // MD5 agree with the answer's headers.
  function wholeGet(url, headers, res, tries = 0) {
    let settled = false;
    const retry = () => {
      if (settled) return;
      settled = true;
      if (tries < 100) setTimeout(() => wholeGet(url, headers, res, tries + 1), 20);
      else bad(res);
    };
    const up = http.get({ host: '127.0.0.1', port: inner.port, path: url, headers, agent: false }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('error', retry);
      r.on('end', () => {
        if (settled) return;
        const body = Buffer.concat(chunks);
        const etag = String(r.headers.etag || '').replace(/"/g, '');
        const whole = r.statusCode !== 500 && Number(r.headers['content-length']) === body.length &&
          (r.statusCode !== 200 || etag.includes('-') || crypto.createHash('md5').update(body).digest('hex') === etag);
        if (!whole) return retry();
        settled = true;
        res.writeHead(r.statusCode, { ...r.headers, 'content-length': body.length });
        res.end(body);
      });
    });
    up.on('error', retry);
    // a body shorter than its Content-Length never ends: a quarter second idle ends the try
    up.setTimeout(250, () => up.destroy(new Error('idle')));
  }
  const front = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  // s3rver 3.7.1 makes its continuation tokens with DES, which Node's OpenSSL 3 no longer has
  // (an InternalError for every truncated list), so the front pages itself: it asks s3rver
  // for the whole list and answers maxKeys objects a page, with a token of '/', '+' and '='.
  function pagedList(url, res) {
    const u = new URL(url, 'http://x');
    const token = u.searchParams.get('continuation-token');
    u.searchParams.delete('continuation-token');
    http.get({ host: '127.0.0.1', port: inner.port, path: u.pathname + u.search }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        let xml = Buffer.concat(chunks).toString('utf8');
        if (r.statusCode === 200) {
          const blocks = xml.match(/<Contents>[\s\S]*?<\/Contents>/g) || [];
          const keyOf = (b) => b.match(/<Key>([\s\S]*?)<\/Key>/)[1];
          let start = 0;
          if (token) {
            const after = Buffer.from(token.slice(2, -2), 'base64').toString('utf8');
            while (start < blocks.length && keyOf(blocks[start]) <= after) start++;
          }
          const page = blocks.slice(start, start + maxKeys);
          const more = start + maxKeys < blocks.length;
          const next = more ? `p/${Buffer.from(keyOf(page[page.length - 1])).toString('base64')}=+` : '';
          xml = xml.replace(/<Contents>[\s\S]*<\/Contents>/, page.join(''))
            .replace(/<IsTruncated>\w+<\/IsTruncated>/, `<IsTruncated>${more}</IsTruncated>` +
              (more ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''));
        }
        res.writeHead(r.statusCode, { 'content-type': 'application/xml' });
        res.end(xml);
      });
    }).on('error', () => bad(res));
  }

  await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve));
  const port = front.address().port;
  return {
    endpoint: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    dir: tmp.dir,
    counts,
    setDown(v) { down = v; },
    failNext(n) { failing = n; },
    async stop() {
      const closed = new Promise((resolve) => front.close(resolve));
      front.closeAllConnections();
      await closed;
      await s3.close();
      fs.rmSync(tmp.dir, { recursive: true, force: true });
    },
  };
}
