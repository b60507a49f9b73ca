// How long POST /api/v1/auth/password-reset takes for an address that has an
// account and for one that has none (issue 15 item 7). Both should answer
// after the same work. Usage:
//   SLATE_BIN=build/slate node bench/reset_timing.mjs [N]
// Prints the median and p90 of N requests each (default 40), interleaved, over
// one kept-alive TLS connection, each known address asked once (so that the
// five-an-hour limit never changes the path taken).
import https from 'node:https';
import { startServer, runSlate } from '../tests/api/lib/harness.mjs';

const N = Number(process.argv[2] ?? 40);
const server = await startServer();
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: server.cert, servername: 'localhost' });

function post(email) {
  const body = JSON.stringify({ email });
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = https.request({
      host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/auth/password-reset', agent,
      headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin: server.origin },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 202) reject(new Error(`status ${res.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)].toFixed(3), p90: s[Math.floor(s.length * 0.9)].toFixed(3) };
};

try {
  const known = [];
  for (let i = 0; i < N; i++) {
    const email = `timing${i}@example.org`;
    const r = runSlate(['user', 'add', '--email', email, '--data', server.data, '--json']);
    if (r.code !== 0) throw new Error(r.stderr);
    known.push(email);
  }
  for (let i = 0; i < 5; i++) await post(`warmup${i}@example.net`);
  const k = [], u = [];
  for (let i = 0; i < N; i++) {
    k.push(await post(known[i]));
    u.push(await post(`nobody${i}@example.net`));
  }
  const ks = stats(k), us = stats(u);
  console.log(`known   n=${N} median ${ks.median} ms p90 ${ks.p90} ms`);
  console.log(`unknown n=${N} median ${us.median} ms p90 ${us.p90} ms`);
  console.log(`median difference (known - unknown): ${(ks.median - us.median).toFixed(3)} ms`);
} finally {
  agent.destroy();
  await server.stop();
}
