import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { verifySecret } from '../core/index.js';

// People choose passwords, so the KDF is slow on purpose (unlike device secrets): N=2^15, r=8 is
// 32 MiB and about 60-100 ms here, twice the device-secret cost; OWASP's N=2^17 would hold 128 MiB per sign-in
// on a 2-core machine that also runs the broker. The hash names its parameters, so they can be raised later.
const PASSWORD_SCRYPT: ScryptOptions = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEYLEN = 32;

/** Hashes a person's password with scrypt: `scrypt$N$r$p$salt$hash` (the format core's verifySecret reads). */
export function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEYLEN, PASSWORD_SCRYPT, (err, key) =>
      err ? reject(err) : resolve(['scrypt', PASSWORD_SCRYPT.N, PASSWORD_SCRYPT.r, PASSWORD_SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$'))),
  );
}

let dummy: Promise<string> | undefined;

/**
 * Checks a password in constant time; with no stored hash (an unknown username) a dummy hash is checked instead,
 * so that the answer takes as long and does not tell which usernames exist.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  if (stored) return verifySecret(password, stored);
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifySecret(password, await dummy);
  return false;
}
