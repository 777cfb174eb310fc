/**
 * Device credentials: a 32-byte random secret chosen by the device, stored only
 * as HMAC-SHA256 keyed with the server's secret, compared in constant time.
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

export function hashPassword(serverSecret: Uint8Array, password: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', serverSecret).update(password).digest());
}

export function passwordMatches(serverSecret: Uint8Array, password: Uint8Array, stored: Uint8Array): boolean {
  const h = hashPassword(serverSecret, password);
  return h.length === stored.length && timingSafeEqual(h, stored);
}
