/** The settings for React components; re-renders when they change. */
import { useSyncExternalStore } from 'react';
import type { Settings, SettingsStore } from './settings.ts';

export function useSettings(store: SettingsStore): Settings {
  return useSyncExternalStore(store.subscribe, store.get);
}
