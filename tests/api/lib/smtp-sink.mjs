// A small SMTP relay for the tests: listens on loopback only, offers
// STARTTLS (or not, to prove Slate refuses to send in the clear), accepts
// AUTH PLAIN after TLS, and keeps every message it is given. Node built-ins
// only; its certificate is made with the openssl command line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

/** A self-signed certificate for 127.0.0.1 in dir: {cert, key, certFile}. */
export function makeCert(dir, name = 'relay') {
  const key = path.join(dir, `${name}-key.pem`);
  const cert = path.join(dir, `${name}-cert.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert: fs.readFileSync(cert), key: fs.readFileSync(key), certFile: cert };
}

/**
 * Starts a relay. options: cert ({cert, key}), starttls (default true),
 * onData (optional): called with each message once its DATA ends, returns
 * the relay's answer line ('451 4.3.0 later', '554 5.7.1 no') or
 * undefined for the usual 250, or a promise of either (to hold the answer:
 * a test can kill the sender mid-transaction).
 * Resolves {port, messages, received, sessions, close()}: a message is
 * {from, to: [..], data, tls, auth}; `messages` holds those answered 2xx
 * (the relay took them), `received` every message whose data ended, with
 * the `reply` it got (null while held, 'gone' when the sender left first);
 * a session records every command line the client sent (AUTH arguments are
 * kept, for the test to check them).
 */
export function startSink({ cert, starttls = true, onData: answerData } = {}) {
  const messages = [];
  const received = [];
  const sessions = [];
  const sockets = new Set();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    const session = { lines: [], tls: false };
    sessions.push(session);
    let sock = raw;
    let buf = '';
    let mail = null;
    let inData = false;
    let authPending = false;
    let auth = null;
    const say = (s) => sock.write(`${s}\r\n`);

    const line = (l) => {
      if (inData) {
        if (l === '.') {
          inData = false;
          const m = { ...mail, tls: session.tls, auth };
          mail = null;
          if (!answerData) {
            messages.push(m);
            say('250 2.0.0 queued');
            return;
          }
          const entry = { ...m, reply: null };
          received.push(entry);
          Promise.resolve(answerData(m)).then((answer) => {
            const reply = answer ?? '250 2.0.0 queued';
            if (raw.destroyed) {
              entry.reply = 'gone';
              return;
            }
            entry.reply = reply;
            if (reply.startsWith('2')) messages.push(m);
            say(reply);
          });
        } else {
          mail.data += `${l.startsWith('..') ? l.slice(1) : l}\r\n`;
        }
        return;
      }
      session.lines.push(l);
      if (authPending) {
        authPending = false;
        auth = Buffer.from(l, 'base64').toString('utf8').split('\0').slice(1);
        return say('235 2.7.0 authenticated');
      }
      const verb = l.split(' ')[0].toUpperCase();
      if (verb === 'EHLO' || verb === 'HELO') {
        const ext = [];
        if (starttls && !session.tls) ext.push('STARTTLS');
        if (session.tls) ext.push('AUTH PLAIN');
        if (ext.length === 0) return say('250 sink');
        say('250-sink');
        ext.forEach((x, i) => say(`250${i === ext.length - 1 ? ' ' : '-'}${x}`));
      } else if (verb === 'STARTTLS' && starttls && !session.tls) {
        say('220 2.0.0 go ahead');
        raw.removeAllListeners('data');
        sock = new tls.TLSSocket(raw, { isServer: true, key: cert.key, cert: cert.cert });
        sock.on('error', () => {});
        session.tls = true;
        buf = '';
        sock.on('data', onData);
      } else if (verb === 'AUTH' && session.tls) {
        const parts = l.split(' ');
        if (parts[2]) {
          auth = Buffer.from(parts[2], 'base64').toString('utf8').split('\0').slice(1);
          say('235 2.7.0 authenticated');
        } else {
          authPending = true;
          say('334 ');
        }
      } else if (verb === 'MAIL') {
        mail = { from: l.replace(/^MAIL FROM:/i, '').split(' ')[0], to: [], data: '' };
        say('250 2.1.0 ok');
      } else if (verb === 'RCPT') {
        mail.to.push(l.replace(/^RCPT TO:/i, '').split(' ')[0]);
        say('250 2.1.5 ok');
      } else if (verb === 'DATA') {
        inData = true;
        say('354 end with .');
      } else if (verb === 'QUIT') {
        say('221 2.0.0 bye');
        sock.end();
      } else if (verb === 'RSET' || verb === 'NOOP') {
        say('250 2.0.0 ok');
      } else {
        say('502 5.5.1 not here');
      }
    };
    const onData = (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) !== -1) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 2);
        line(l);
      }
    };
    raw.on('data', onData);
    raw.on('error', () => {});
    say('220 sink ESMTP');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      messages,
      received,
      sessions,
      close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
    }));
  });
}
