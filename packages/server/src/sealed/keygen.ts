/**
 * `npm run sealed-sender-keys -- --out <dir> [--root <root file>]`: writes sealed-sender
 * key files for a cluster (every node reads the same `sealed-sender.json`, named by
 * --sealed-sender-keys). Without --root it makes a new trust root as well
 * (`sealed-sender-root.json`; keep it offline). With --root it issues a new server
 * certificate from an existing trust root, so clients that pinned it keep trusting
 * the server (rotation). Refuses to overwrite files.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateKey } from '@parley/protocol';
import { issueServerKeys, parseTrustRoot, SERVER_KEYS_FILE, serializeServerKeys, serializeTrustRoot, TRUST_ROOT_FILE, writePrivateFile } from './keys.ts';

function fail(message: string): never {
  console.error(`sealed-sender-keys: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = opt('out') ?? fail('usage: npm run sealed-sender-keys -- --out <dir> [--root <sealed-sender-root.json>]');
const rootFile = opt('root');
mkdirSync(out, { recursive: true, mode: 0o700 });
const serverPath = join(out, SERVER_KEYS_FILE);
if (existsSync(serverPath)) fail(`${serverPath} exists; choose another --out`);
let root: PrivateKey;
if (rootFile) {
  root = parseTrustRoot(readFileSync(rootFile, 'utf8'), rootFile);
} else {
  const rootPath = join(out, TRUST_ROOT_FILE);
  if (existsSync(rootPath)) fail(`${rootPath} exists; pass it with --root to issue a new server certificate from it`);
  root = PrivateKey.generate();
  writePrivateFile(rootPath, serializeTrustRoot(root));
  console.log(`trust root written to ${rootPath}: keep it offline; it is needed only to issue the next server certificate`);
}
writePrivateFile(serverPath, serializeServerKeys(issueServerKeys(root)));
console.log(`server keys written to ${serverPath}: give every node this file (--sealed-sender-keys ${serverPath})`);
