/**
 * Security notices from the operator and the server's feature kill switch. A
 * notice ("update now") counts only if it verifies with the operator's Ed25519 key,
 * pinned the first time this device saw it (or given by the app); it must be
 * addressed to this account or to everyone, unexpired, and new: a notice id already
 * kept is a replay and is not shown again. Kept notices stay after they expire on the
 * server. The kill switch (`disabledFeatures`) is plain server configuration,
 * re-read on every connection.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { decodeJson, noticePayload, SECURITY_NOTICE_CONTEXT, type Feature, type NoticesResponse } from '@parley/wire';

export interface SecurityNotice {
  readonly id: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly title: string;
  readonly body: string;
  /** The version the operator asks everyone to update to, if any. */
  readonly minVersion?: string;
}

/** What a device keeps about notices (apps store it: a file, localStorage). */
export interface KeptNotices {
  /** The operator's key as first seen (trust on first use) or as configured. */
  readonly publicKey?: Uint8Array;
  /** Every notice accepted so far, oldest first. */
  readonly notices: readonly SecurityNotice[];
}

export interface NoticeKeeper {
  load(): KeptNotices;
  save(k: KeptNotices): void;
}

/** Keeps notices for as long as the process runs (tests, or an app that has nowhere to keep them). */
export class MemoryNoticeKeeper implements NoticeKeeper {
  private kept: KeptNotices = { notices: [] };
  load(): KeptNotices {
    return this.kept;
  }
  save(k: KeptNotices): void {
    this.kept = k;
  }
}

export type NoticeRejection = 'bad-signature' | 'unpinned-key' | 'malformed' | 'not-for-us' | 'expired' | 'replayed';

export interface NoticeCheck {
  /** Notices accepted now for the first time (shown to the person). */
  readonly fresh: readonly SecurityNotice[];
  /** Notices refused, with why (forged, altered, for someone else, expired, replayed). */
  readonly rejected: readonly NoticeRejection[];
  /** The key the notices must verify with, after this check. */
  readonly publicKey: Uint8Array | undefined;
  /** True when the server presented a key other than the pinned one (its notices are all refused). */
  readonly keyChanged: boolean;
}

const CONTEXT = new TextEncoder().encode(SECURITY_NOTICE_CONTEXT);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Checks a server's answer against what the device keeps (pure). `pinned` (the app's
 * configured key) wins over a kept one; with neither, the server's key is pinned now.
 */
export function checkNotices(res: NoticesResponse, kept: KeptNotices, username: string, now: number, pinned?: Uint8Array): NoticeCheck {
  const key = pinned ?? kept.publicKey ?? res.publicKey;
  const keyChanged = key !== undefined && res.publicKey !== undefined && !sameBytes(key, res.publicKey);
  const seen = new Set(kept.notices.map((n) => n.id));
  const fresh: SecurityNotice[] = [];
  const rejected: NoticeRejection[] = [];
  for (const n of res.notices) {
    if (!key) {
      rejected.push('unpinned-key');
      continue;
    }
    let ok = false;
    try {
      const signed = new Uint8Array(CONTEXT.length + n.payload.length);
      signed.set(CONTEXT);
      signed.set(n.payload, CONTEXT.length);
      ok = ed25519.verify(n.signature, signed, key);
    } catch {
      ok = false;
    }
    if (!ok) {
      rejected.push('bad-signature');
      continue;
    }
    let p;
    try {
      p = decodeJson(new TextDecoder('utf-8', { fatal: true }).decode(n.payload), noticePayload, 4096);
    } catch {
      rejected.push('malformed');
      continue;
    }
    if (!p.to.includes('*') && !p.to.includes(username)) rejected.push('not-for-us');
    else if (p.expiresAt <= now) rejected.push('expired');
    else if (seen.has(p.id)) rejected.push('replayed');
    else {
      seen.add(p.id);
      fresh.push({ id: p.id, issuedAt: p.issuedAt, expiresAt: p.expiresAt, title: p.title, body: p.body, ...(p.minVersion ? { minVersion: p.minVersion } : {}) });
    }
  }
  return { fresh, rejected, publicKey: key, keyChanged };
}

/** The client's notices and kill switch: checked on every connection, kept by the app's keeper. */
export class Notices {
  private disabled = new Set<Feature>();

  constructor(
    private readonly keeper: NoticeKeeper,
    private readonly pinned: Uint8Array | undefined,
  ) {}

  /** Applies a server answer: keeps fresh notices, pins the key, records the kill switch. */
  apply(res: NoticesResponse, username: string, now: number): NoticeCheck {
    this.disabled = new Set(res.disabledFeatures);
    const kept = this.keeper.load();
    const check = checkNotices(res, kept, username, now, this.pinned);
    if (check.fresh.length > 0 || (check.publicKey && !kept.publicKey)) {
      this.keeper.save({ ...(check.publicKey ? { publicKey: check.publicKey } : {}), notices: [...kept.notices, ...check.fresh] });
    }
    return check;
  }

  /** Every notice accepted on this device, newest first. */
  list(): SecurityNotice[] {
    return [...this.keeper.load().notices].reverse();
  }

  /** Whether the server has switched `feature` off (as of the last connection). */
  isDisabled(feature: Feature): boolean {
    return this.disabled.has(feature);
  }
}
