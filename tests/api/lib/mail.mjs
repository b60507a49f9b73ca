// The mail Slate sent, as the tests read it: in development the outbox's file
// transport writes each message to DATA/mail/*.eml (docs/CONTRACT.md).
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from './harness.mjs';

/**
 * Waits for the newest message to `to` holding a `kind` link ("invitation",
 * "reset-password") and returns the whole link, `https://…/kind#token=…`.
 */
export function mailedLink(server, to, kind = 'invitation', { timeout = 10_000 } = {}) {
  const dir = path.join(server.data, 'mail');
  const link = new RegExp(`https://[^\\s/]+/${kind}#token=[A-Za-z0-9_-]{43}`);
  return waitFor(() => {
    if (!fs.existsSync(dir)) return null;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.eml')).sort().reverse()) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const m = text.includes(`\r\nTo: ${to}\r\n`) && text.match(link);
      if (m) return m[0];
    }
    return null;
  }, { timeout, what: `the ${kind} mail to ${to}` });
}

/** The token of that link. */
export async function mailedToken(server, to, kind = 'invitation') {
  return new URL(await mailedLink(server, to, kind)).hash.slice('#token='.length);
}
