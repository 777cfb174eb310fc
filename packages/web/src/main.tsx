/** The composition root: settings and call lengths over localStorage, then the app. */
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { CallLengths } from './call/call-lengths.ts';
import { SettingsStore } from './settings/settings.ts';
import './style.css';

// Why lazy: reading `localStorage` itself throws where storage is blocked; the stores handle that.
const storage = { getItem: (k: string) => localStorage.getItem(k), setItem: (k: string, v: string) => localStorage.setItem(k, v) };
const warn = (m: string) => console.warn(`Parley: ${m}`);
const settings = new SettingsStore(storage, warn);
const callLengths = new CallLengths(storage, warn);

createRoot(document.getElementById('root')!).render(<App settings={settings} callLengths={callLengths} />);
