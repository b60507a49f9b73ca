/*
 * loop.mjs — whether a server's loop thread stays free while heavy work runs:
 * a /healthz probe over one kept-alive connection, and the judgement of its
 * latencies. Shared by slow_work.test.mjs and people_loop.test.mjs.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync } from 'node:fs';

/* The server runs under a sanitizer or valgrind: everything is several times slower there. */
export function instrumented(server) {
  const maps = readFileSync(`/proc/${server.proc.pid}/maps`, 'utf8');
  return /libasan|libtsan|vgpreload|memcheck/.test(maps);
}

/* GET /healthz over one kept-alive connection: the time the loop takes to answer, nothing else. */
export function healthProbe(server) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = https.request(
        { host: '127.0.0.1', port: server.port, path: '/healthz', method: 'GET', ca: server.cert, servername: 'localhost', agent, headers: { host: `localhost:${server.port}` }, timeout: 60_000 },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('/healthz: no answer')));
      req.on('error', reject);
      req.end();
    });
  return { once, close: () => agent.destroy() };
}

/*
 * The loop is judged by the 95th percentile of the probes against `bound` and by the slowest
 * against 20 × bound: a stalled loop held /healthz for seconds, while on a loaded 2-core machine
 * a free loop's probe is now and then held a few hundred ms by the scheduler, not by Slate (the
 * server's own log shows each /healthz handled in under 0.1 ms).
 */
export function assertLoopFree(latencies, bound, what) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
  const max = sorted[sorted.length - 1];
  assert.ok(p95 < bound, `/healthz p95 ${p95.toFixed(1)} ms during ${what} (bound ${bound} ms)`);
  assert.ok(max < 20 * bound, `/healthz took ${max.toFixed(1)} ms during ${what} (bound ${20 * bound} ms)`);
}
