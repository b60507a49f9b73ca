// CONTRACT.md, HTTP: "TLS 1.2 and 1.3 only; ECDHE + AEAD suites only."
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { startServer } from './lib/harness.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

/** Try a handshake; resolve {ok:true, socket info} or {ok:false, error}. */
function handshake(port, ca, opts) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...opts });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, error: Object.assign(new Error('handshake timed out'), { code: 'TIMEOUT' }) });
    }, 10_000);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      const info = { ok: true, protocol: s.getProtocol(), cipher: s.getCipher() };
      s.destroy();
      resolve(info);
    });
    s.once('error', (error) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: false, error });
    });
  });
}

const LEGACY = { ciphers: 'DEFAULT@SECLEVEL=0' };

/**
 * A Node TLS server limited to exactly `version` with the data dir's own key:
 * proves our client really can speak that version, so a refusal from Slate is
 * Slate's doing and not a local inability.
 */
async function controlHandshake(version) {
  const key = fs.readFileSync(path.join(server.data, 'tls', 'key.pem'));
  const ctl = tls.createServer(
    { key, cert: server.cert, minVersion: version, maxVersion: version, ...LEGACY },
    (s) => s.end(),
  );
  await new Promise((r) => ctl.listen(0, '127.0.0.1', r));
  try {
    return await handshake(ctl.address().port, server.cert, { minVersion: version, maxVersion: version, ...LEGACY });
  } finally {
    ctl.close();
  }
}

// Errors that mean "the server answered the handshake and refused it".
const REFUSALS = new Set([
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
]);

for (const [name, version] of [['1.0', 'TLSv1'], ['1.1', 'TLSv1.1']]) {
  test(`a TLS ${name} handshake is refused with a protocol-version alert`, async () => {
    const ctl = await controlHandshake(version);
    assert.ok(ctl.ok, `test client cannot itself speak ${version}: ${ctl.error?.code} ${ctl.error?.message}`);
    assert.equal(ctl.protocol, version);

    const r = await handshake(server.port, server.cert, { minVersion: version, maxVersion: version, ...LEGACY });
    assert.equal(r.ok, false, `server accepted ${version} (negotiated ${r.protocol} ${r.cipher?.name})`);
    // Only the protocol-version alert proves the version floor: with the floor lowered to
    // TLS 1.0 the handshake would still fail (no AEAD suite exists before TLS 1.2), but with
    // a handshake-failure alert instead.
    assert.equal(
      r.error.code,
      'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      `expected the server's protocol-version alert, got ${r.error.code}: ${r.error.message}`,
    );
  });
}

test('a TLS 1.2 handshake succeeds', async () => {
  const r = await handshake(server.port, server.cert, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.ok(r.ok, `TLS 1.2 handshake failed: ${r.error?.code} ${r.error?.message}`);
  assert.equal(r.protocol, 'TLSv1.2');
});

test('a TLS 1.3 handshake succeeds', async () => {
  const r = await handshake(server.port, server.cert, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  assert.ok(r.ok, `TLS 1.3 handshake failed: ${r.error?.code} ${r.error?.message}`);
  assert.equal(r.protocol, 'TLSv1.3');
});

test('the TLS 1.2 suite negotiated is ECDHE with AES-GCM or ChaCha20-Poly1305', async () => {
  // A client that offers everything, weak suites first, so the choice is the server's.
  const r = await handshake(server.port, server.cert, {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:AES128-GCM-SHA256:ALL:@SECLEVEL=0',
  });
  assert.ok(r.ok, `TLS 1.2 handshake failed: ${r.error?.code} ${r.error?.message}`);
  assert.match(
    r.cipher.name,
    /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/,
    `negotiated ${r.cipher.name}`,
  );
});

test('a TLS 1.2 client offering only non-AEAD suites is refused', async () => {
  const r = await handshake(server.port, server.cert, {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers:
      'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:' +
      'ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:AES128-SHA256:AES128-SHA@SECLEVEL=0',
  });
  assert.equal(r.ok, false, `server accepted non-AEAD suite ${r.cipher?.name}`);
  assert.ok(
    REFUSALS.has(r.error.code),
    `expected a handshake-failure alert, got ${r.error.code}: ${r.error.message}`,
  );
});

test('a TLS 1.2 client offering only non-ECDHE suites is refused', async () => {
  const r = await handshake(server.port, server.cert, {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: 'AES128-GCM-SHA256:AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384@SECLEVEL=0',
  });
  assert.equal(r.ok, false, `server accepted non-ECDHE suite ${r.cipher?.name}`);
  assert.ok(
    REFUSALS.has(r.error.code),
    `expected a handshake-failure alert, got ${r.error.code}: ${r.error.message}`,
  );
});

// --- TLS compression: Node cannot offer it, so speak a hand-made ClientHello.

function u16(n) {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}
function vec16(...parts) {
  const b = Buffer.concat(parts);
  return Buffer.concat([u16(b.length), b]);
}
function ext(type, body) {
  return Buffer.concat([u16(type), vec16(body)]);
}

/** A TLS 1.2 ClientHello offering DEFLATE (1) before null (0) compression. */
function clientHelloWithCompression() {
  const suites = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8].map(u16);
  const host = Buffer.from('localhost');
  const extensions = Buffer.concat([
    ext(0x0000, vec16(Buffer.from([0]), vec16(host))), // server_name
    ext(0x000a, vec16(u16(0x0017), u16(0x001d), u16(0x0018))), // supported_groups
    ext(0x000b, Buffer.from([1, 0])), // ec_point_formats: uncompressed
    ext(0x000d, vec16(...[0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501].map(u16))), // signature_algorithms
    ext(0xff01, Buffer.from([0])), // renegotiation_info
  ]);
  const body = Buffer.concat([
    Buffer.from([3, 3]), // client_version TLS 1.2
    Buffer.alloc(32, 0x5a), // random
    Buffer.from([0]), // session_id
    vec16(...suites),
    Buffer.from([2, 1, 0]), // compression_methods: DEFLATE, null
    vec16(extensions),
  ]);
  const hs = Buffer.concat([Buffer.from([1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1]), u16(hs.length), hs]);
}

/** Send the hello; resolve the ServerHello's {version, cipher, compression}. */
function serverHello(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no ServerHello within 10 s')); }, 10_000);
    const done = (err, v) => { clearTimeout(timer); s.destroy(); err ? reject(err) : resolve(v); };
    s.on('connect', () => s.write(clientHelloWithCompression()));
    s.on('error', (e) => done(e));
    s.on('close', () => done(new Error(`closed before a ServerHello; got ${buf.toString('hex')}`)));
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length < 5) return;
      const type = buf[0];
      const len = buf.readUInt16BE(3);
      if (buf.length < 5 + len) return;
      const rec = buf.subarray(5, 5 + len);
      if (type === 0x15) return done(new Error(`server sent alert ${rec[0]}/${rec[1]} instead of a ServerHello`));
      if (type !== 0x16 || rec[0] !== 0x02) return done(new Error(`unexpected record ${type} / handshake ${rec[0]}`));
      let off = 4; // handshake header
      const version = rec.readUInt16BE(off); off += 2;
      off += 32; // random
      off += 1 + rec[off]; // session_id
      const cipher = rec.readUInt16BE(off); off += 2;
      const compression = rec[off];
      done(null, { version, cipher, compression });
    });
  });
}

test('the server never agrees to TLS compression', async () => {
  const hello = await serverHello(server.port);
  assert.equal(hello.version, 0x0303, `ServerHello version 0x${hello.version.toString(16)}`);
  assert.equal(hello.compression, 0, 'ServerHello chose a compression method other than null');
});
