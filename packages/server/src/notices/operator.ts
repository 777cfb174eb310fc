/**
 * The operator's notice tool (`npm run notice`): makes the Ed25519 key that signs
 * security notices and appends signed notices to the file the server hands out
 * (`--notices-file`). Run it where the key is kept, not on the server: a server that
 * only has the file cannot make a notice that clients accept.
 *
 *   npm run notice -- keygen <key-file>
 *   npm run notice -- sign --key <key-file> --file <notices-file> --to all|alice,bob
 *                          --title <text> --body <text> [--id <id>] [--expires-days 30] [--min-version 0.2.0]
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { base64Encode, noticePayload, SECURITY_NOTICE_CONTEXT, type NoticePayload, type NoticesFile, type SignedNotice } from '@parley/wire';
import { loadNoticesFile } from './notices.ts';

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** Signs a notice: Ed25519 over the context string followed by the payload's JSON. */
export function signNotice(privateKey: KeyObject, payload: NoticePayload): SignedNotice {
  noticePayload(JSON.parse(JSON.stringify(payload)), 'notice');
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const signature = sign(null, Buffer.concat([Buffer.from(SECURITY_NOTICE_CONTEXT, 'utf8'), bytes]), privateKey);
  return { payload: bytes, signature: new Uint8Array(signature) };
}

/** The notices file as JSON text (what the server's --notices-file reads). */
export function noticesFileText(f: NoticesFile): string {
  return `${JSON.stringify({ publicKey: base64Encode(f.publicKey), notices: f.notices.map((n) => ({ payload: base64Encode(n.payload), signature: base64Encode(n.signature) })) }, null, 1)}\n`;
}

function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const m = /^--([a-z-]+)$/.exec(argv[i] ?? '');
    if (!m || argv[i + 1] === undefined) throw new Error(`expected --flag value pairs, got ${argv[i]}`);
    out.set(m[1]!, argv[i + 1]!);
  }
  return out;
}

function main(argv: readonly string[]): void {
  const [command, ...rest] = argv;
  if (command === 'keygen' && rest.length === 1) {
    if (existsSync(rest[0]!)) throw new Error(`${rest[0]} exists; choose another file (a key is never overwritten)`);
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(rest[0]!, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    console.log(`Wrote the notice signing key to ${rest[0]} (keep it off the server). Public key: ${base64Encode(rawPublicKey(privateKey))}`);
    return;
  }
  if (command === 'sign') {
    const f = flags(rest);
    const need = (k: string) => {
      const v = f.get(k);
      if (!v) throw new Error(`--${k} is required`);
      return v;
    };
    const key = createPrivateKey(readFileSync(need('key')));
    const file = need('file');
    const publicKey = rawPublicKey(key);
    const existing = existsSync(file) ? loadNoticesFile(file) : { publicKey, notices: [] };
    if (Buffer.compare(Buffer.from(existing.publicKey), Buffer.from(publicKey)) !== 0) {
      throw new Error(`${file} holds notices signed by another key; clients pinned that one. Use its key, or a new file`);
    }
    const now = Date.now();
    const to = need('to');
    const payload: NoticePayload = {
      v: 1,
      id: f.get('id') ?? `n-${now}-${randomBytes(4).toString('hex')}`,
      issuedAt: now,
      expiresAt: now + Number(f.get('expires-days') ?? '30') * 24 * 3600_000,
      to: to === 'all' ? ['*'] : to.split(',').map((u) => u.trim().toLowerCase()),
      title: need('title'),
      body: need('body'),
      ...(f.get('min-version') ? { minVersion: f.get('min-version')! } : {}),
    };
    const signed = signNotice(key, payload);
    writeFileSync(file, noticesFileText({ publicKey, notices: [...existing.notices, signed] }));
    console.log(`Signed notice ${payload.id} for ${to} into ${file}; the server hands it out after a restart with --notices-file ${file}`);
    return;
  }
  throw new Error('usage: npm run notice -- keygen <key-file> | sign --key <key-file> --file <notices-file> --to all|<usernames> --title <text> --body <text> [--id <id>] [--expires-days <n>] [--min-version <x.y.z>]');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`notice: ${(e as Error).message}`);
    process.exit(2);
  }
}
