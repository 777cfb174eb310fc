/**
 * A device's security notices and pinned operator key in one JSON file (0600),
 * replaced atomically (written beside it, then renamed). A file that does not
 * decode is an error that says what to do, never silently an empty list: an empty
 * list would let a server pin a new key.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { array, base64Encode, bytes, decodeJson, int, object, str } from '@parley/wire';
import type { KeptNotices, NoticeKeeper } from '../notices/notices.ts';

const keptFile = object(
  {
    notices: array(
      object({ id: str(64), issuedAt: int(0, Number.MAX_SAFE_INTEGER), expiresAt: int(0, Number.MAX_SAFE_INTEGER), title: str(200), body: str(2000) }, { minVersion: str(32) }),
      10_000,
    ),
  },
  { publicKey: bytes(32, 32) },
);

export class FileNoticeKeeper implements NoticeKeeper {
  constructor(private readonly path: string) {}

  load(): KeptNotices {
    if (!existsSync(this.path)) return { notices: [] };
    try {
      return decodeJson(readFileSync(this.path, 'utf8'), keptFile, 64 * 1024 * 1024);
    } catch (e) {
      throw new Error(`${this.path} is damaged (${(e as Error).message}); restore it from a backup, or delete it to trust the server's notice key again`);
    }
  }

  save(k: KeptNotices): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...(k.publicKey ? { publicKey: base64Encode(k.publicKey) } : {}), notices: k.notices }), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
