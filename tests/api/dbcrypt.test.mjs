// The database file itself encrypted, page by page (src/store/pagecrypt.c): no plaintext on
// disk, every altered or moved page refused with a line naming the file and page, another
// keystore's database refused, plaintext databases converted by `slate migrate-encryption`,
// and every acknowledged write still there after SIGKILL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, initDataDir, runSlate, slateSql, waitFor, withTimeout } from './lib/harness.mjs';
import { readyAdmin, call, signIn } from './lib/session.mjs';

let server;
let admin;
let demo;

before(async () => {
  server = await startServer();
  admin = await readyAdmin(server);
  demo = (await call(server, admin, 'GET', '/api/v1/productions')).json.productions[0];
});
after(async () => { await server?.stop(); });

const P = (id, rest = '') => `/api/v1/productions/${id}${rest}`;
const dbFiles = (data) => ['slate.db', 'slate.db-wal', 'slate.db-journal'].map((f) => path.join(data, f)).filter(existsSync);

/** What the demo production holds in the clear inside SQLite: names, titles, sets, notes. */
async function plainStrings() {
  const out = [demo.name];
  const people = (await call(server, admin, 'GET', P(demo.id, '/people?limit=200'))).json.people;
  assert.ok(people.length > 50);
  for (const p of people) out.push(p.name, p.job_title);
  for (const d of (await call(server, admin, 'GET', P(demo.id, '/departments'))).json.departments) out.push(d.name);
  for (const l of (await call(server, admin, 'GET', P(demo.id, '/locations'))).json.locations) out.push(l.name);
  for (const s of (await call(server, admin, 'GET', P(demo.id, '/scenes'))).json.scenes) out.push(s.set);
  out.push('CREATE TABLE', 'schema_migrations', 'audit_event');
  return [...new Set(out.filter((s) => typeof s === 'string' && s.length >= 5))];
}

test('no page of the database or its WAL holds a known plaintext, and the file is not an SQLite file', async () => {
  // a write that stays in the WAL, with a note of its own
  const dep = await call(server, admin, 'POST', P(demo.id, '/departments'), { body: { name: 'Drone Unit Brightwater' } });
  assert.equal(dep.status, 201, dep.body);
  const needles = [...await plainStrings(), 'Drone Unit Brightwater'];
  const files = dbFiles(server.data);
  assert.ok(files.some((f) => f.endsWith('-wal')), 'the WAL is there to be read');
  for (const f of files) {
    const bytes = readFileSync(f);
    assert.ok(bytes.length > 0);
    for (const n of needles) {
      for (const form of [n, n.toLowerCase(), n.toUpperCase()]) {
        assert.equal(bytes.indexOf(Buffer.from(form)), -1, `${path.basename(f)} holds ${form}`);
      }
    }
  }
  const head = readFileSync(path.join(server.data, 'slate.db')).subarray(0, 16);
  assert.notEqual(head.toString('latin1'), 'SQLite format 3\0');
  // page 1 begins with the database id, whose key is the keystore's "db-<id>", kind database
  const keys = JSON.parse(runSlate(['keys', 'status', '--data', server.data, '--json']).stdout).data_keys;
  const dbKeys = keys.filter((k) => k.kind === 'database');
  assert.deepEqual(dbKeys.map((k) => k.id), [`db-${head.toString('hex')}`]);
  // and Slate reads it all back
  assert.equal((await call(server, admin, 'GET', P(demo.id, '/departments'))).json.departments.filter((d) => d.name === 'Drone Unit Brightwater').length, 1);
  assert.equal(slateSql(server.data, 'PRAGMA integrity_check'), 'ok');
});

/** A stopped copy of the demo data directory, its WAL folded into the file. */
async function stoppedCopy() {
  const dd = initDataDir();
  assert.equal(slateSql(dd.data, 'PRAGMA wal_checkpoint(TRUNCATE)', { write: true }).split('|')[0], '0');
  return dd;
}

const PAGE = 4096;
const pagesOf = (data, table) => slateSql(data, `SELECT pageno FROM dbstat WHERE name = '${table}' AND pagetype = 'leaf' ORDER BY pageno`).split('\n').map(Number);

function patch(file, offset, bytes) {
  const b = readFileSync(file);
  bytes.copy(b, offset);
  writeFileSync(file, b);
}

test('a byte flipped in a page fails the read of that page, naming the file and page; the API answers a problem, never altered data', async () => {
  const dd = await stoppedCopy();
  try {
    const file = path.join(dd.data, 'slate.db');
    const page = pagesOf(dd.data, 'person')[2];
    const original = readFileSync(file);
    for (const at of [17, 2000, PAGE - 30, PAGE - 10]) { // ciphertext, nonce, tag
      const b = Buffer.from(original);
      b[(page - 1) * PAGE + at] ^= 0x20;
      writeFileSync(file, b);
      const r = runSlate(['sql', 'SELECT COUNT(*), SUM(length(private)) FROM person', '--data', dd.data]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '', 'nothing is printed from a damaged page');
      assert.match(r.stderr, new RegExp(`^slate: sql: ${dd.data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/slate\\.db: page ${page} does not authenticate: it was altered on disk or is damaged\\n$`));
    }
    writeFileSync(file, original);
    assert.equal(slateSql(dd.data, 'PRAGMA integrity_check'), 'ok', 'restored, it reads again');
    // over the API: a problem document, and the damage in the log
    const b = Buffer.from(original);
    b[(page - 1) * PAGE + 100] ^= 0x01;
    writeFileSync(file, b);
    const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
    try {
      const s = await readyAdmin(srv);
      const prod = (await call(srv, s, 'GET', '/api/v1/productions')).json.productions[0];
      const res = await call(srv, s, 'GET', P(prod.id, '/people?limit=200'));
      assert.ok(res.status >= 500, `status ${res.status}`);
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.doesNotMatch(res.body, /"people"/);
      await waitFor(() => srv.lines.some((l) => l.includes('database page does not open') && l.includes(`"page":${page}`)), { what: 'the damaged page logged' });
    } finally {
      await srv.stop();
    }
  } finally {
    dd.cleanup();
  }
});

test('a page copied over another fails; so does a database under another keystore', async () => {
  const dd = await stoppedCopy();
  const other = initDataDir();
  try {
    const file = path.join(dd.data, 'slate.db');
    const [a, b] = pagesOf(dd.data, 'person');
    const bytes = readFileSync(file);
    const original = Buffer.from(bytes);
    bytes.copy(bytes, (b - 1) * PAGE, (a - 1) * PAGE, a * PAGE);
    writeFileSync(file, bytes);
    let r = runSlate(['sql', 'SELECT COUNT(*), SUM(length(private)) FROM person', '--data', dd.data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`page ${b} does not authenticate`));
    writeFileSync(file, original);
    // this database in another installation's data directory: its key is not in that keystore
    copyFileSync(file, path.join(other.data, 'slate.db'));
    rmSync(path.join(other.data, 'slate.db-wal'), { force: true });
    rmSync(path.join(other.data, 'slate.db-shm'), { force: true });
    r = runSlate(['sql', 'SELECT 1', '--data', other.data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^slate: sql: .*slate\.db is encrypted under database key db-[0-9a-f]{32}, which this keystore lacks\n$/);
    r = runSlate(['serve', '--data', other.data, '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /which this keystore lacks\n$/);
  } finally {
    dd.cleanup();
    other.cleanup();
  }
});

/** A plaintext copy of an encrypted database, as a Slate from before page encryption kept it. */
function plaintextClone(data, dest) {
  const schema = JSON.parse(slateSql(data, "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'", { json: true }));
  const q = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
  const lines = ['PRAGMA journal_mode=WAL;', 'BEGIN;'];
  for (const t of schema.filter((s) => s.type === 'table')) lines.push(`${t.sql};`);
  // every table's rows in one run: a marker row names the table, its rows (if any) follow
  const tables = schema.filter((s) => s.type === 'table');
  const dump = slateSql(data, tables.map((t) => `SELECT '${t.name}' AS "table"; SELECT * FROM "${t.name}";`).join(' '), { json: true });
  let table;
  for (const line of dump.split('\n')) {
    const rows = JSON.parse(line);
    if (rows.length === 1 && Object.keys(rows[0]).join() === 'table' && tables.some((t) => t.name === rows[0].table)) {
      table = rows[0].table;
      continue;
    }
    for (const row of rows) {
      lines.push(`INSERT INTO "${table}" (${Object.keys(row).map((k) => `"${k}"`).join(', ')}) VALUES (${Object.values(row).map(q).join(', ')});`);
    }
  }
  for (const s of schema.filter((x) => x.type !== 'table')) lines.push(`${s.sql};`);
  lines.push('COMMIT;');
  const r = spawnSync('sqlite3', [dest], { input: lines.join('\n'), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
}

test('slate migrate-encryption converts a plaintext database, refuses one in use, and changes nothing twice', async () => {
  const dd = initDataDir();
  try {
    const file = path.join(dd.data, 'slate.db');
    const counts = slateSql(dd.data, 'SELECT (SELECT COUNT(*) FROM person), (SELECT COUNT(*) FROM audit_event), (SELECT COUNT(*) FROM call)');
    const plain = path.join(dd.root, 'plain.db');
    plaintextClone(dd.data, plain);
    for (const f of ['slate.db', 'slate.db-wal', 'slate.db-shm']) rmSync(path.join(dd.data, f), { force: true });
    copyFileSync(plain, file);
    assert.equal(readFileSync(file).subarray(0, 15).toString(), 'SQLite format 3');
    assert.ok(readFileSync(file).indexOf(Buffer.from('Northern Lights (demo)')) >= 0);
    // a plaintext database is not served
    let r = runSlate(['serve', '--data', dd.data, '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^slate: serve: .*slate\.db is not encrypted: stop Slate and run slate migrate-encryption\n$/);
    // nor converted while another program has it open
    const holder = spawn('sqlite3', [file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let said = '';
    holder.stdout.on('data', (d) => { said += d; });
    holder.stdin.write("SELECT 'open', COUNT(*) FROM app_user;\n");
    await waitFor(() => said.includes('open|'), { what: 'the other program reading' });
    r = runSlate(['migrate-encryption', '--data', dd.data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^slate: migrate-encryption: .*slate\.db is in use \(stop slate serve first\)/);
    assert.equal(readFileSync(file).subarray(0, 15).toString(), 'SQLite format 3', 'left as it was');
    assert.ok(!existsSync(`${file}.encrypting`));
    holder.stdin.end();
    await withTimeout(new Promise((res) => holder.on('exit', res)), 10_000);
    // a second name for the plaintext file's inode: what the conversion leaves of it on disk
    const oldInode = path.join(dd.root, 'plaintext-inode');
    linkSync(file, oldInode);
    const plainSize = statSync(oldInode).size;
    r = runSlate(['migrate-encryption', '--data', dd.data]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /slate\.db is encrypted\n$/);
    const left = readFileSync(oldInode);
    assert.equal(left.length, plainSize);
    assert.ok(left.every((b) => b === 0), 'the plaintext file is overwritten with zeros');
    assert.deepEqual(readdirSync(dd.data).filter((f) => f.startsWith('slate.db')), ['slate.db']);
    const bytes = readFileSync(file);
    assert.notEqual(bytes.subarray(0, 15).toString(), 'SQLite format 3');
    for (const n of ['Northern Lights (demo)', 'CREATE TABLE', 'audit_event']) assert.equal(bytes.indexOf(Buffer.from(n)), -1, `slate.db holds ${n}`);
    assert.equal(slateSql(dd.data, 'SELECT (SELECT COUNT(*) FROM person), (SELECT COUNT(*) FROM audit_event) - 1, (SELECT COUNT(*) FROM call)'), counts, 'every row is there (and the conversion audited)');
    assert.equal(slateSql(dd.data, "SELECT actor LIKE 'cli:%' FROM audit_event WHERE action = 'db.encrypt'"), '1');
    r = runSlate(['migrate-encryption', '--data', dd.data]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /encrypted already; nothing to do\n$/);
    const srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
    try {
      assert.equal((await signIn(srv)).res.status, 200, 'the administrator signs in as before');
    } finally {
      await srv.stop();
    }
  } finally {
    dd.cleanup();
  }
});

test('slate sql is read-only unless --write, says so in one line, and audits a write', () => {
  let r = runSlate(['sql', "UPDATE production SET name = 'x'", '--data', server.data]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^slate: sql: .*attempt to write a readonly database\n$/);
  r = runSlate(['sql', '--data', server.data]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^slate: sql: say what to run/);
  r = runSlate(['sql', 'SELEC nonsense', '--data', server.data]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /syntax error\n$/);
  const before = Number(slateSql(server.data, "SELECT COUNT(*) FROM audit_event WHERE action = 'db.sql'"));
  slateSql(server.data, 'PRAGMA wal_checkpoint(PASSIVE)', { write: true });
  assert.equal(Number(slateSql(server.data, "SELECT COUNT(*) FROM audit_event WHERE action = 'db.sql'")), before + 1);
});

test('SIGKILL during a stream of writes: after every restart the database checks and every acknowledged write is there', async () => {
  const dd = initDataDir();
  let srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
  const s = await readyAdmin(srv);
  const prod = (await call(srv, s, 'GET', '/api/v1/productions')).json.productions[0];
  const acknowledged = [];
  try {
    for (let round = 0; round < 4; round++) {
      let stop = false;
      const writer = async (w) => {
        for (let i = 0; !stop; i++) {
          const name = `Unit ${round}-${w}-${i}`;
          const res = await call(srv, s, 'POST', P(prod.id, '/departments'), { body: { name } }).catch(() => null);
          if (res?.status === 201) acknowledged.push(name);
          else if (res) assert.fail(`a write answered ${res.status} before the kill: ${res.body}`);
          else return; // the connection died with the server
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      const floor = acknowledged.length + 5;
      await waitFor(() => acknowledged.length >= floor, { timeout: 60_000, what: 'writes acknowledged' });
      await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 150)));
      await srv.kill();
      stop = true;
      await Promise.all(writers);
      assert.equal(slateSql(dd.data, 'PRAGMA integrity_check'), 'ok', `round ${round}`);
      const names = new Set(slateSql(dd.data, `SELECT name FROM department WHERE production_id = '${prod.id}'`).split('\n'));
      for (const n of acknowledged) assert.ok(names.has(n), `round ${round}: ${n} was acknowledged and is lost`);
      srv = await startServer({ dataDir: { ...dd, cleanup: () => {} } });
    }
    assert.ok(acknowledged.length >= 20);
    const listed = (await call(srv, s, 'GET', P(prod.id, '/departments'))).json.departments.map((d) => d.name);
    for (const n of acknowledged) assert.ok(listed.includes(n));
  } finally {
    await srv.stop();
    dd.cleanup();
  }
});
