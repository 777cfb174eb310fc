/**
 * The server's sealed-sender key material (as in Signal): an operator-held trust
 * root, a server certificate the trust root signed (key id + server public key),
 * and the server private key that signs sender certificates. It owns generating,
 * reading and checking that material; it does not issue sender certificates
 * (certificates.ts).
 *
 * Two files, both JSON and 0600:
 *  - the server keys (`sealed-sender.json`): the trust root's public key, the server
 *    certificate and the server private key. Every node of a cluster reads the same
 *    one (`--sealed-sender-keys`).
 *  - the trust root (`sealed-sender-root.json`): its private key, needed only to
 *    issue a new server certificate (`npm run sealed-sender-keys`); the server never
 *    reads it, and the operator may keep it offline.
 * The embedded default writes both into the data directory on first start.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { KeyPair, PrivateKey, PublicKey, REVOKED_SERVER_CERTIFICATE_KEY_IDS, ServerCertificate } from '@parley/protocol';
import { base64Decode, base64Encode } from '@parley/wire';

/** What the server needs at run time: no trust-root private key. */
export interface SealedSenderKeys {
  readonly trustRoot: PublicKey;
  readonly serverCertificate: ServerCertificate;
  readonly serverKey: PrivateKey;
}

export const SERVER_KEYS_FILE = 'sealed-sender.json';
export const TRUST_ROOT_FILE = 'sealed-sender-root.json';

/** A fresh server key and certificate signed by `root` (a new random key id, never a revoked one). */
export function issueServerKeys(root: PrivateKey, keyId: number = randomKeyId()): SealedSenderKeys {
  if (REVOKED_SERVER_CERTIFICATE_KEY_IDS.includes(keyId)) throw new Error(`server certificate key id ${keyId} is revoked; use another`);
  const server = KeyPair.generate();
  return { trustRoot: root.publicKey(), serverCertificate: ServerCertificate.create(keyId, server.publicKey, root), serverKey: server.privateKey };
}

function randomKeyId(): number {
  for (;;) {
    const id = randomInt(1, 0x7fffffff);
    if (!REVOKED_SERVER_CERTIFICATE_KEY_IDS.includes(id)) return id;
  }
}

export function serializeServerKeys(k: SealedSenderKeys): string {
  return `${JSON.stringify(
    { trustRoot: base64Encode(k.trustRoot.serialize()), serverCertificate: base64Encode(k.serverCertificate.serialize()), serverKey: base64Encode(k.serverKey.serialize()) },
    null,
    2,
  )}\n`;
}

export function serializeTrustRoot(root: PrivateKey): string {
  return `${JSON.stringify({ trustRootPrivateKey: base64Encode(root.serialize()) }, null, 2)}\n`;
}

/** Reads a trust root file (for issuing a new server certificate). */
export function parseTrustRoot(text: string, where: string): PrivateKey {
  try {
    const v = JSON.parse(text) as { trustRootPrivateKey?: unknown };
    if (typeof v.trustRootPrivateKey !== 'string') throw new Error('trustRootPrivateKey missing');
    return PrivateKey.deserialize(base64Decode(v.trustRootPrivateKey));
  } catch (e) {
    throw new Error(`${where} is not a sealed-sender trust root file (${(e as Error).message}); restore it from backup`);
  }
}

/**
 * Reads and checks server keys: the certificate must be signed by the trust root, not
 * revoked, and certify this very server key. Throws an Error saying what to do.
 */
export function parseServerKeys(text: string, where: string): SealedSenderKeys {
  let k: SealedSenderKeys;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const field = (name: string): Uint8Array => {
      const s = v[name];
      if (typeof s !== 'string') throw new Error(`${name} missing`);
      return base64Decode(s);
    };
    k = {
      trustRoot: PublicKey.deserialize(field('trustRoot')),
      serverCertificate: ServerCertificate.deserialize(field('serverCertificate')),
      serverKey: PrivateKey.deserialize(field('serverKey')),
    };
  } catch (e) {
    throw new Error(`${where} is not a sealed-sender key file (${(e as Error).message}); restore it from backup or make one with npm run sealed-sender-keys`);
  }
  if (!k.serverCertificate.validate(k.trustRoot)) {
    throw new Error(`${where}: the server certificate is revoked or not signed by its trust root; issue a new one with npm run sealed-sender-keys -- --root <root file>`);
  }
  if (!k.serverCertificate.key.equals(k.serverKey.publicKey())) throw new Error(`${where}: the server key does not match its certificate; restore the file from backup`);
  return k;
}

/** Writes a file only its owner can read (mode 0600, also when it existed). */
export function writePrivateFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * The embedded default: the server keys in `dataDir`, made (with a new trust root
 * beside them) the first time. A file there is read as it is, never replaced.
 */
export function loadOrCreateServerKeys(dataDir: string): SealedSenderKeys {
  const path = join(dataDir, SERVER_KEYS_FILE);
  if (existsSync(path)) return parseServerKeys(readFileSync(path, 'utf8'), path);
  const root = PrivateKey.generate();
  const keys = issueServerKeys(root);
  writePrivateFile(join(dataDir, TRUST_ROOT_FILE), serializeTrustRoot(root));
  writePrivateFile(path, serializeServerKeys(keys));
  return keys;
}
