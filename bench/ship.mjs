// WAL shipping (issue 21, backup/ship.c): write throughput of sequential API writes with shipping
// off and on, and the commit-to-shipped lag under that load (the time from a write's answer to the
// moment /metrics says every commit before it is in backup_dir). Run: node bench/ship.mjs [WRITES]
// (SLATE_BIN picks the binary; default build/slate).
import path from 'node:path';
import { initDataDir, request, startServer } from '../tests/api/lib/harness.mjs';
import { readyAdmin, call } from '../tests/api/lib/session.mjs';

const WRITES = Number(process.argv[2] || 300);

async function run(shipping, interval) {
  const dd = initDataDir();
  const env = shipping
    ? { SLATE_BACKUP_DIR: path.join(dd.root, 'dest'), SLATE_BACKUP_SYNC_INTERVAL: interval, SLATE_BACKUP_DRILL_INTERVAL: '0' }
    : {};
  const srv = await startServer({ dataDir: dd, env });
  try {
    const admin = await readyAdmin(srv);
    const prod = (await call(srv, admin, 'GET', '/api/v1/productions')).json.productions[0];
    const acks = [];
    const shippedAt = new Array(WRITES).fill(0);
    let polling = true; // the same /metrics load with shipping off, for a fair comparison
    const poller = (async () => {
      while (polling) {
        const r = await request(srv, { path: '/metrics' });
        const line = r.body.split('\n').find((l) => l.startsWith('slate_backup_last_shipped_timestamp'));
        const t = line ? Number(line.split(' ').pop()) * 1000 : 0;
        const now = Date.now();
        for (let i = 0; i < acks.length; i++) if (!shippedAt[i] && acks[i] <= t) shippedAt[i] = now;
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    const t0 = performance.now();
    for (let i = 0; i < WRITES; i++) {
      const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: `Bench ${i}` } });
      if (r.status !== 201) throw new Error(r.body);
      acks.push(Date.now());
    }
    const seconds = (performance.now() - t0) / 1000;
    if (shipping) {
      const deadline = Date.now() + 30_000;
      while (shippedAt.some((x) => !x) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    }
    polling = false;
    await poller;
    const lags = acks.map((a, i) => shippedAt[i] - a).sort((x, y) => x - y);
    const pct = (p) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))];
    return { writesPerSecond: WRITES / seconds, p50: shipping ? pct(50) : null, p99: shipping ? pct(99) : null };
  } finally {
    await srv.stop();
    dd.cleanup();
  }
}

const off = await run(false);
const on1 = await run(true, '1');
const on02 = await run(true, '0.2');
console.log(`${WRITES} sequential API writes (department create)`);
console.log(`shipping off:                 ${off.writesPerSecond.toFixed(1)} writes/s`);
console.log(`shipping on, sync 1 s:        ${on1.writesPerSecond.toFixed(1)} writes/s (${(on1.writesPerSecond / off.writesPerSecond).toFixed(2)}x), commit-to-shipped p50 ${on1.p50} ms, p99 ${on1.p99} ms`);
console.log(`shipping on, sync 0.2 s:      ${on02.writesPerSecond.toFixed(1)} writes/s (${(on02.writesPerSecond / off.writesPerSecond).toFixed(2)}x), commit-to-shipped p50 ${on02.p50} ms, p99 ${on02.p99} ms`);
