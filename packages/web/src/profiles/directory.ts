/**
 * The profiles the web app shows (names and pictures of contacts, and ours), one
 * entry per username: fetched through the SDK (decrypted there), kept while the app
 * runs, refetched on `profile-changed`. Pictures become object URLs of their real
 * type (sniffed, never claimed) and are revoked when replaced. A profile that cannot
 * be read shows as none (initials), and a stranger's picture is not given by the
 * SDK until their request is accepted. React reads it with useSyncExternalStore.
 */
import { pictureType, type ParleyClient } from '@parley/client';

export interface ShownProfile {
  readonly name?: string;
  /** An object URL of the picture. */
  readonly picture?: string;
}

const NONE: ShownProfile = {};

export class ProfileDirectory {
  private readonly entries = new Map<string, ShownProfile>();
  private readonly loading = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readonly stop: () => void;
  private closed = false;

  constructor(private readonly client: ParleyClient) {
    this.stop = client.on((e) => {
      if (e.type === 'profile-changed' && (this.entries.has(e.username) || e.username === client.account?.username)) void this.load(e.username);
      // An accepted request: that person's picture may be shown now.
      if (e.type === 'contacts') for (const u of this.entries.keys()) void this.load(u);
    });
  }

  readonly subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /** What is known of `username`'s profile now (a stable object until it changes). */
  get(username: string): ShownProfile {
    return this.entries.get(username) ?? NONE;
  }

  /** Asks for `username`'s profile once (later changes arrive by event). */
  want(username: string): void {
    if (this.entries.has(username) || this.loading.has(username)) return;
    void this.load(username);
  }

  private async load(username: string): Promise<void> {
    this.loading.add(username);
    let next: ShownProfile;
    try {
      const own = username === this.client.account?.username;
      const p = own ? await this.client.profile() : await this.client.profileOf(username);
      const type = p.avatar ? pictureType(p.avatar) : undefined;
      next = { ...(p.name ? { name: p.name } : {}), ...(p.avatar && type ? { picture: URL.createObjectURL(new Blob([new Uint8Array(p.avatar)], { type })) } : {}) };
    } catch {
      // Unreadable (PROFILE_UNREADABLE) or unreachable: shown as no profile, initials instead.
      next = NONE;
    } finally {
      this.loading.delete(username);
    }
    if (this.closed) {
      if (next.picture) URL.revokeObjectURL(next.picture);
      return;
    }
    const before = this.entries.get(username);
    if (before?.picture) URL.revokeObjectURL(before.picture);
    this.entries.set(username, next);
    for (const l of this.listeners) l();
  }

  close(): void {
    this.closed = true;
    this.stop();
    for (const e of this.entries.values()) if (e.picture) URL.revokeObjectURL(e.picture);
    this.entries.clear();
  }
}
