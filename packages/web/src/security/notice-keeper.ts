/**
 * The browser's keeper of security notices and the pinned operator key
 * (localStorage, one entry per profile). A damaged entry is an error, never an empty
 * list: an empty list would let a server pin a new key.
 */
import { base64Decode, base64Encode, type KeptNotices, type NoticeKeeper, type SecurityNotice } from '@parley/client';

export class LocalStorageNoticeKeeper implements NoticeKeeper {
  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem'>,
    private readonly key = 'parley.notices.default',
  ) {}

  load(): KeptNotices {
    const text = this.storage.getItem(this.key);
    if (text === null) return { notices: [] };
    let v: { publicKey?: unknown; notices?: unknown };
    try {
      v = JSON.parse(text) as typeof v;
    } catch {
      throw new Error('the kept security notices are damaged; clear this site\'s data to trust the server\'s notice key again');
    }
    if (!Array.isArray(v.notices)) throw new Error('the kept security notices are damaged; clear this site\'s data to trust the server\'s notice key again');
    return { ...(typeof v.publicKey === 'string' ? { publicKey: base64Decode(v.publicKey) } : {}), notices: v.notices as SecurityNotice[] };
  }

  save(k: KeptNotices): void {
    this.storage.setItem(this.key, JSON.stringify({ ...(k.publicKey ? { publicKey: base64Encode(k.publicKey) } : {}), notices: k.notices }));
  }
}
