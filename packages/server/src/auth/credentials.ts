/**
 * Secrets the server checks but never stores: device passwords, link tokens and
 * provisioning read tokens are 32 random bytes chosen by their owner (or by the
 * server's CSPRNG), stored only as HMAC-SHA256 keyed with the server's secret and
 * compared in constant time. The server secret itself lives in the data directory.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadServerSecret(dataDir: string): Uint8Array {
  const path = join(dataDir, 'server-secret');
  if (existsSync(path)) {
    const s = readFileSync(path);
    if (s.length !== 32) throw new Error(`${path} is corrupt (expected 32 bytes); restore it from backup or delete it to log every device out`);
    return new Uint8Array(s);
  }
  mkdirSync(dataDir, { recursive: true });
  const s = randomBytes(32);
  writeFileSync(path, s, { mode: 0o600 });
  return new Uint8Array(s);
}

/** The keyed hash stored in place of a secret. */
export function hashSecret(serverSecret: Uint8Array, secret: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', serverSecret).update(secret).digest());
}

export function secretMatches(serverSecret: Uint8Array, secret: Uint8Array, stored: Uint8Array): boolean {
  const h = hashSecret(serverSecret, secret);
  return h.length === stored.length && timingSafeEqual(h, stored);
}
