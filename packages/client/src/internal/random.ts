/** Identifiers and secrets from the platform CSPRNG (WebCrypto in Node 20 and browsers). */

export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

export function uuid(): string {
  return globalThis.crypto.randomUUID();
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A registration id as Signal picks them: 1..16380. */
export function registrationId(): number {
  return 1 + (globalThis.crypto.getRandomValues(new Uint16Array(1))[0]! % 16380);
}
