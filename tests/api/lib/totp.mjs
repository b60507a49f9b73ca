// RFC 4648 base32 and RFC 6238 TOTP (SHA-1, 6 digits, 30 s): the authenticator
// of the API tests and of bench/gen.mjs. Node's crypto only, no package.
import crypto from 'node:crypto';

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 30-second step a time falls in. */
export const totpStep = (at = Date.now()) => Math.floor(at / 1000 / 30);

/** The code of one step. */
export function totpCodeAtStep(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(o) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

/** The code at time `at`, `offset` steps away. */
export function totpCode(secret, at = Date.now(), offset = 0) {
  return totpCodeAtStep(secret, totpStep(at) + offset);
}
