// WAL shipping (issue 21, backup/ship.c): write throughput with shipping off and on, and the
// commit-to-shipped lag under that load (the time from a write's answer to the moment /metrics
// says every commit before it is in backup_dir), for two loads: sequential department creates,
// and the call-update load (CLIENTS clients at once setting people's calls on a shoot day, as
// ADs do the evening before). Run: node bench/ship.mjs [WRITES] [CLIENTS]
// (SLATE_BIN picks the binary; default build/slate).
import path from 'node:path';
import { initDataDir, request, startServer } from '../tests/api/lib/harness.mjs';
import { readyAdmin, call } from '../tests/api/lib/session.mjs';

const WRITES = Number(process.argv[2] || 300);
const CLIENTS = Number(process.argv[3] || 8);
const PEOPLE = 40;

/*
 * The writes of one load: `departments` one after another, or `calls`: CLIENTS loops at once, each
 * PUTting calls for the people of one shoot day. Each write's answer time goes into acks.
 */
async function writeLoad(load, srv, admin, prod, acks) {
  if (load === 'departments') {
    for (let i = 0; i < WRITES; i++) {
      const r = await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: `Bench ${i}` } });
      if (r.status !== 201) throw new Error(r.body);
      acks.push(Date.now());
    }
    return;
  }
  const P = (rest) => `/api/v1/productions/${prod.id}${rest}`;
  const people = [];
  for (let i = 0; i < PEOPLE; i++) {
    const r = await call(srv, admin, 'POST', P('/people'), { body: { name: `Crew ${i}`, kind: 'crew', department: 'Grip' } });
    if (r.status !== 201) throw new Error(r.body);
    people.push(r.json.id);
  }
  const d = await call(srv, admin, 'POST', P('/days'), { body: { date: '2027-05-03', general_call: '07:00', wrap_estimate: '19:00' } });
  if (d.status !== 201) throw new Error(d.body);
  let next = 0;
  const client = async () => {
    for (let i = next++; i < WRITES; i = next++) {
      const minute = String(i % 60).padStart(2, '0');
      const r = await call(srv, admin, 'PUT', P(`/days/${d.json.id}/calls/${people[i % PEOPLE]}`), { body: { call: `06:${minute}` } });
      if (r.status !== 200) throw new Error(r.body);
      acks.push(Date.now());
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
}

async function run(load, shipping, interval) {
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
    await writeLoad(load, srv, admin, prod, acks);
    const seconds = (performance.now() - t0) / 1000;
    // one more commit, after every answer: the shipped commit time passes the last answer too
    await call(srv, admin, 'POST', `/api/v1/productions/${prod.id}/departments`, { body: { name: 'Bench end' } });
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

for (const load of ['departments', 'calls']) {
  const off = await run(load, false);
  const on1 = await run(load, true, '1');
  const on02 = await run(load, true, '0.2');
  const what = load === 'departments' ? `${WRITES} sequential API writes (department create)` : `${WRITES} call updates (PUT …/calls/{person}) from ${CLIENTS} clients at once`;
  const on = (name, r) => console.log(`${name.padEnd(30)}${r.writesPerSecond.toFixed(1)} writes/s (${(r.writesPerSecond / off.writesPerSecond).toFixed(2)}x), commit-to-shipped p50 ${r.p50} ms, p99 ${r.p99} ms`);
  console.log(what);
  console.log(`${'shipping off:'.padEnd(30)}${off.writesPerSecond.toFixed(1)} writes/s`);
  on('shipping on, sync 1 s:', on1);
  on('shipping on, sync 0.2 s:', on02);
}
