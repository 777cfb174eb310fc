/** The composition root: settings over localStorage, then the app. */
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { SettingsStore } from './settings/settings.ts';
import './style.css';

// Why lazy: reading `localStorage` itself throws where storage is blocked; the stores handle that.
const storage = { getItem: (k: string) => localStorage.getItem(k), setItem: (k: string, v: string) => localStorage.setItem(k, v) };
const warn = (m: string) => console.warn(`Parley: ${m}`);
const settings = new SettingsStore(storage, warn);
// 'parley.callLengths', which earlier versions wrote, is no longer read: call lines are the SDK's own messages now.

createRoot(document.getElementById('root')!).render(<App settings={settings} />);
