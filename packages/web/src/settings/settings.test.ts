import { describe, expect, it } from 'vitest';
import { callsRelayed, SettingsStore, type SettingsStorage } from './settings.ts';

function memoryStorage(initial: Record<string, string> = {}): SettingsStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('settings', () => {
  it('defaults to direct calls, no strict mode, and read receipts on', () => {
    expect(new SettingsStore(memoryStorage()).get()).toEqual({ relayCalls: false, strict: false, readReceipts: true });
  });

  it('keeps read receipts off once turned off', () => {
    const storage = memoryStorage();
    new SettingsStore(storage).update({ readReceipts: false });
    expect(storage.data.get('parley.readReceipts')).toBe('0');
    expect(new SettingsStore(storage).get().readReceipts).toBe(false);
  });

  it('reads the keys earlier versions wrote, so people keep their choice', () => {
    const s = new SettingsStore(memoryStorage({ 'parley.relayCalls': '1', 'parley.strict': '0' }));
    expect(s.get()).toEqual({ relayCalls: true, strict: false, readReceipts: true });
    expect(new SettingsStore(memoryStorage({ 'parley.strict': '1' })).get()).toEqual({ relayCalls: false, strict: true, readReceipts: true });
  });

  it('writes changes under the same keys, as "1" or "0", and tells subscribers once per change', () => {
    const storage = memoryStorage();
    const s = new SettingsStore(storage);
    let told = 0;
    const off = s.subscribe(() => told++);
    s.update({ relayCalls: true });
    s.update({ relayCalls: true }); // no change, no news
    s.update({ strict: true });
    s.update({ relayCalls: false });
    expect(told).toBe(3);
    expect(Object.fromEntries(storage.data)).toEqual({ 'parley.relayCalls': '0', 'parley.strict': '1' });
    expect(new SettingsStore(storage).get()).toEqual({ relayCalls: false, strict: true, readReceipts: true });
    off();
    s.update({ strict: false });
    expect(told).toBe(3);
  });

  it('keeps the same object until something changes (for React)', () => {
    const s = new SettingsStore(memoryStorage());
    const a = s.get();
    s.update({ strict: false });
    expect(s.get()).toBe(a);
    s.update({ strict: true });
    expect(s.get()).not.toBe(a);
  });

  it('strict mode relays calls whatever the relay setting says', () => {
    expect(callsRelayed({ relayCalls: false, strict: false, readReceipts: true })).toBe(false);
    expect(callsRelayed({ relayCalls: true, strict: false, readReceipts: true })).toBe(true);
    expect(callsRelayed({ relayCalls: false, strict: true, readReceipts: true })).toBe(true);
  });

  it('storage that refuses reads or writes (private browsing, full disk) leaves working settings and a warning', () => {
    const warnings: string[] = [];
    const broken: SettingsStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const s = new SettingsStore(broken, (m) => warnings.push(m));
    expect(s.get()).toEqual({ relayCalls: false, strict: false, readReceipts: true });
    s.update({ relayCalls: true });
    expect(s.get().relayCalls).toBe(true);
    expect(warnings).toHaveLength(4);
    expect(warnings[3]).toContain('could not save relayCalls');
  });
});
