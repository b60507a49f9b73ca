// Concurrency that matters, run concurrently: two writers at once on four
// loop threads, a master key rotation while requests are in flight, and a
// revoke in the middle of a stream of a member's requests. The suite checks
// the answers; under `make api-tsan` the same tests let ThreadSanitizer look
// for data races between the loops, the worker pool and the audit writer
// (any race stops the server, and the test that ran it fails).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, SLATE_BIN } from './lib/harness.mjs';
import { call, newAccount, readyAdmin } from './lib/session.mjs';

let server;
let admin;
let prod;
let day;
const P = (rest = '') => `/api/v1/productions/${prod.id}${rest}`;
const people = [];
let seat = 0;

/* `slate ARGS` as a child the event loop does not wait on (runSlate blocks it). */
function slateAsync(args) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLATE_')) env[k] = v;
  return new Promise((resolve, reject) => {
    const p = spawn(SLATE_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (c) => { stderr += c; });
    p.stdout.resume();
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function member(email, role, department) {
  const session = await newAccount(server, email, `a long passphrase for the night ferry crossing number ${people.length + (seat += 1)}`);
  const m = await call(server, admin, 'POST', P('/members'), { body: department ? { email, role, department } : { email, role } });
  assert.equal(m.status, 201, m.body);
  return { session, member: m.json };
}

before(async () => {
  server = await startServer({ env: { SLATE_THREADS: '4' } });
  admin = await readyAdmin(server);
  prod = (await call(server, admin, 'POST', '/api/v1/productions', { body: { name: 'Crosscurrent', timezone: 'Europe/Amsterdam' } })).json;
  for (let i = 0; i < 12; i++) {
    const p = await call(server, admin, 'POST', P('/people'), {
      body: { name: `Person ${i}`, kind: 'crew', department: 'Grip', personal_phone: `+31 20 555 01${String(i).padStart(2, '0')}`, home_address: `${i} Canal Street` },
    });
    assert.equal(p.status, 201, p.body);
    people.push(p.json);
  }
  const d = await call(server, admin, 'POST', P('/days'), { body: { date: '2027-05-03', general_call: '07:00', wrap_estimate: '19:00' } });
  assert.equal(d.status, 201, d.body);
  day = d.json;
});
after(async () => { await server?.stop(); });

test('two writers at once (an AD setting calls, an administrator editing people): every write lands, none is lost or mixed', async () => {
  const ad = await member('ad@crosscurrent.example', 'ad', 'Direction/AD');
  const writes = [];
  for (let round = 0; round < 3; round++) {
    people.forEach((p, i) => {
      const minute = String((i * 3 + round) % 60).padStart(2, '0');
      writes.push(call(server, ad.session, 'PUT', P(`/days/${day.id}/calls/${p.id}`), { body: { call: `06:${minute}` } }));
      writes.push(call(server, admin, 'PATCH', P(`/people/${p.id}`), { body: { job_title: `Grip ${i} round ${round}` } }));
    });
  }
  const answers = await Promise.all(writes);
  for (const r of answers) assert.equal(r.status, 200, r.body);
  const calls = (await call(server, admin, 'GET', P(`/days/${day.id}/calls`))).json.calls;
  const list = (await call(server, admin, 'GET', P('/people?limit=500'))).json.people;
  people.forEach((p, i) => {
    // requests of one client are not ordered among themselves: any round's value is a whole one
    const c = calls.find((x) => x.person_id === p.id);
    assert.ok(c && [0, 1, 2].some((round) => c.call === `06:${String((i * 3 + round) % 60).padStart(2, '0')}`), `${p.name}: ${c?.call}`);
    const job = list.find((x) => x.id === p.id).job_title;
    assert.match(job, new RegExp(`^Grip ${i} round [012]$`));
    assert.equal(list.find((x) => x.id === p.id).home_address, `${i} Canal Street`, 'the sealed fields are untouched');
  });
});

test('a master key rotation while requests are in flight: every answer is right, before and after', async () => {
  let rotating = true;
  let answered = 0;
  const reader = async (k) => {
    while (rotating) {
      const p = people[(k + answered) % people.length];
      const r = await call(server, admin, 'GET', P(`/people/${p.id}`));
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.home_address, `${people.indexOf(p)} Canal Street`);
      answered++;
    }
  };
  const readers = [0, 1, 2, 3].map(reader);
  const rotation = await slateAsync(['keys', 'rotate', '--data', server.data]);
  rotating = false;
  await Promise.all(readers);
  assert.equal(rotation.code, 0, rotation.stderr);
  assert.ok(answered > 0, 'reads were answered while the key rotated');
  const after = await call(server, admin, 'GET', P(`/people/${people[5].id}`));
  assert.equal(after.json.personal_phone, '+31 20 555 0105');
});

test('a revoke during a stream of requests: nothing started after the revoke is answered', async () => {
  const grip = await member('grip@crosscurrent.example', 'crew', 'Grip');
  let revoked = false;
  let lateAnswered = 0;
  let early = 0;
  const stream = async () => {
    for (let i = 0; i < 400; i++) {
      const startedAfter = revoked;
      const r = await call(server, grip.session, 'GET', P('/days'));
      if (startedAfter) {
        assert.ok(r.status === 401 || r.status === 403, `a request sent after the revoke answered ${r.status}`);
        lateAnswered++;
        if (lateAnswered >= 40) return;
      } else if (r.status === 200) {
        early++;
      }
    }
  };
  const streams = [0, 1, 2, 3].map(stream);
  const until = Date.now() + 20000;
  while (early < 8) {
    assert.ok(Date.now() < until, 'the member\'s requests are answered before the revoke');
    await new Promise((r) => setTimeout(r, 5));
  }
  const rev = await call(server, admin, 'POST', P(`/members/${grip.member.id}/revoke`));
  assert.equal(rev.status, 200, rev.body);
  revoked = true;
  await Promise.all(streams);
  assert.ok(lateAnswered >= 40, `requests sent after the revoke: ${lateAnswered}`);
});
