#!/usr/bin/env node
// bench/conn_burst.mjs — the resident memory of `slate serve` at rest, while N
// TLS connections are open (handshake done, a partial request sent), and after
// they close. Connections come from 127.0.0.2, 127.0.0.3, … (PER_ADDRESS each),
// so the per-address limit does not refuse them.
//
//   SLATE_BIN=build/slate node bench/conn_burst.mjs [N=2000] [ROUNDS=1]
import fs from 'node:fs';
import tls from 'node:tls';
import { startServer } from '../tests/api/lib/harness.mjs';

const N = Number(process.argv[2] || 2000);
const ROUNDS = Number(process.argv[3] || 1);
const PER_ADDRESS = 200;

const rssMB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m[1]) / 102.4) / 10;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = await startServer({
  env: { SLATE_REQUEST_TIMEOUT: '120', SLATE_IDLE_TIMEOUT: '120', SLATE_MAX_CONNECTIONS: String(N + 100) },
});
const pid = server.proc.pid;
try {
  await sleep(1000);
  console.log(`rest: ${rssMB(pid)} MB`);
  for (let round = 1; round <= ROUNDS; round++) {
    const socks = [];
    const t0 = Date.now();
    for (let i = 0; i < N; i += 100) {
      const batch = [];
      for (let k = i; k < Math.min(N, i + 100); k++) {
        batch.push(new Promise((resolve, reject) => {
          const s = tls.connect({
            host: '127.0.0.1', port: server.port, ca: server.cert, servername: 'localhost',
            localAddress: `127.0.0.${2 + Math.floor(k / PER_ADDRESS)}`,
          });
          s.once('error', reject);
          s.once('secureConnect', () => {
            s.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${server.port}\r\nX-Partial: `);
            s.on('error', () => {});
            resolve(s);
          });
        }));
      }
      socks.push(...(await Promise.all(batch)));
    }
    await sleep(500);
    console.log(`round ${round}: ${socks.length} open after ${Date.now() - t0} ms: ${rssMB(pid)} MB`);
    for (const s of socks) s.destroy();
    for (const ms of [500, 1000, 2000, 5000]) {
      await sleep(ms);
      console.log(`round ${round}: closed, +${ms} ms: ${rssMB(pid)} MB`);
    }
  }
} finally {
  await server.stop();
}
