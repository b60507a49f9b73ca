// The outbox survives a crash in the middle of an SMTP transaction (issue
// 20): the relay holds its answer to the first message's DATA, the server is
// killed (SIGKILL) meanwhile, and once restarted every message of the batch
// reaches the relay exactly once, counted by Message-ID — the interrupted one
// sent again under the same Message-ID.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, initDataDir, makeTempDir, waitFor } from './lib/harness.mjs';
import { call, readyAdmin } from './lib/session.mjs';
import { makeCert, startSink } from './lib/smtp-sink.mjs';

const tmp = makeTempDir('slate-distribution-crash-');
const cleanups = [];
after(async () => {
  let first = null;
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (e) {
      first ??= e; // the relay still closes, so the test process can end
    }
  }
  tmp.cleanup();
  if (first) throw first;
});

const ok = (r, status = 200) => {
  assert.equal(r.status, status, r.body);
  return r.json;
};
const messageId = (data) => /\r\nMessage-ID: (<[^>]+>)\r\n/.exec(data)?.[1];

test('a server killed mid-batch, then restarted, delivers every message exactly once', async () => {
  const cert = makeCert(tmp.dir, 'relay');
  let holding = null;
  const sink = await startSink({
    cert,
    // the first message's answer is never given: its sender dies waiting for it
    onData: () => (holding === null ? (holding = new Promise(() => {})) : undefined),
  });
  cleanups.push(() => sink.close());
  const dd = initDataDir();
  cleanups.push(() => dd.cleanup());
  const env = {
    SLATE_MAIL_TRANSPORT: 'smtp',
    SLATE_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    SLATE_SMTP_CA_FILE: cert.certFile,
    SLATE_SMTP_TIMEOUT: '60',
    SLATE_MAIL_RETRY_SECONDS: '1',
  };
  const first = await startServer({ dataDir: dd, env });
  cleanups.push(() => first.kill());
  const admin = await readyAdmin(first);
  const prod = ok(await call(first, admin, 'POST', '/api/v1/productions', { body: { name: 'Night Crossing', timezone: 'Europe/London' } }), 201);
  const P = (rest) => `/api/v1/productions/${prod.id}${rest}`;
  const day = ok(await call(first, admin, 'POST', P('/days'), { body: { date: '2099-06-01', general_call: '07:00', wrap_estimate: '19:00' } }), 201);
  const names = ['Ada', 'Bo', 'Cy', 'Di'];
  for (const [i, name] of names.entries()) {
    const person = ok(await call(first, admin, 'POST', P('/people'), { body: { name, kind: 'crew', work_email: `${name.toLowerCase()}@crossing.example` } }), 201);
    ok(await call(first, admin, 'PUT', P(`/days/${day.id}/calls/${person.id}`), { body: { call: `06:0${i}` } }));
  }
  const cs = ok(await call(first, admin, 'POST', P(`/days/${day.id}/callsheets?send=true`)), 201);
  assert.equal(cs.deliveries.queued, names.length);

  await waitFor(() => sink.received.length === 1 && sink.received[0].reply === null, { what: 'the first message held at the relay' });
  first.proc.kill('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');
  assert.equal(sink.messages.length, 0, 'nothing was accepted before the crash');
  const interrupted = messageId(sink.received[0].data);
  assert.ok(interrupted);

  const second = await startServer({ dataDir: dd, env });
  cleanups.push(() => second.stop());
  await waitFor(() => (sink.messages.length >= names.length ? true : null), { what: 'every message at the relay', timeout: 20_000 });
  const sent = await waitFor(async () => {
    const r = ok(await call(second, admin, 'GET', P(`/callsheets/${cs.id}/deliveries`))).deliveries;
    return r.every((d) => d.status === 'sent') ? r : null;
  }, { what: 'every delivery marked sent' });
  assert.equal(sent.length, names.length);
  const ids = sink.messages.map((m) => messageId(m.data));
  assert.equal(new Set(ids).size, ids.length, `no Message-ID twice: ${ids.join(' ')}`);
  assert.equal(ids.length, names.length, 'one accepted message per recipient');
  assert.ok(ids.includes(interrupted), 'the interrupted message was sent again with its Message-ID');
  assert.deepEqual(sink.messages.map((m) => m.to[0]).sort(), names.map((n) => `<${n.toLowerCase()}@crossing.example>`).sort());
  await second.waitForLog((o) => o.msg === 'mail interrupted while sending is sent again', { what: 'the resend logged' });
});
