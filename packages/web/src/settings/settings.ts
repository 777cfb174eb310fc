/**
 * The person's settings for this browser: one typed API over localStorage, read
 * once on start. The storage keys are the ones earlier versions wrote as
 * checkboxes in the sidebar ('parley.relayCalls', 'parley.strict', '1' or '0'),
 * so people keep their choice. Owns nothing else (no call logic; the call code
 * asks `callsRelayed`).
 */

export interface Settings {
  /** Calls go through the server's TURN relay only, so neither side learns the other's IP address. */
  readonly relayCalls: boolean;
  /**
   * Strict mode (as WhatsApp's strict account settings or Lockdown Mode): calls always
   * relayed. Calls only from contacts, no media or link previews from strangers, and
   * an explicit decision on every changed safety number are Parley's defaults anyway.
   */
  readonly strict: boolean;
  /**
   * Earlier versions' read-receipt choice for this browser. Read receipts are now the
   * account's setting in the SDK (read-receipts.ts), which adopts this one once.
   */
  readonly readReceipts: boolean;
}

/** The part of the Web Storage API the settings use; localStorage in the app, a Map in tests. */
export interface SettingsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const SETTINGS_STORAGE_KEYS: { readonly [K in keyof Settings]: string } = {
  relayCalls: 'parley.relayCalls',
  strict: 'parley.strict',
  readReceipts: 'parley.readReceipts',
};

export const DEFAULT_SETTINGS: Settings = { relayCalls: false, strict: false, readReceipts: true };

/** Whether calls must use the relay: asked for, or implied by strict mode. */
export function callsRelayed(s: Settings): boolean {
  return s.strict || s.relayCalls;
}

export class SettingsStore {
  private current: Settings;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly storage: SettingsStorage,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.current = read(storage, warn);
  }

  /** The settings now; the same object until something changes (React's useSyncExternalStore relies on that). */
  readonly get = (): Settings => this.current;

  /** Changes some settings, writes them, and tells subscribers. */
  update(patch: Partial<Settings>): void {
    const next: Settings = { ...this.current, ...patch };
    if ((Object.keys(next) as Array<keyof Settings>).every((k) => next[k] === this.current[k])) return;
    this.current = next;
    for (const k of Object.keys(patch) as Array<keyof Settings>) {
      try {
        this.storage.setItem(SETTINGS_STORAGE_KEYS[k], next[k] ? '1' : '0');
      } catch (e) {
        // Why go on: the choice still holds for this session; only remembering it failed.
        this.warn(`settings: could not save ${k} (${(e as Error)?.message ?? String(e)}); it holds until the page is reloaded`);
      }
    }
    for (const l of this.listeners) l();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

function read(storage: SettingsStorage, warn: (message: string) => void): Settings {
  const flag = (k: keyof Settings): boolean => {
    try {
      const v = storage.getItem(SETTINGS_STORAGE_KEYS[k]);
      return v === null ? DEFAULT_SETTINGS[k] : v === '1';
    } catch (e) {
      warn(`settings: could not read ${k} (${(e as Error)?.message ?? String(e)}); using the default`);
      return DEFAULT_SETTINGS[k];
    }
  };
  return { relayCalls: flag('relayCalls'), strict: flag('strict'), readReceipts: flag('readReceipts') };
}
