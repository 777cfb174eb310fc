/** The composition root: settings over localStorage, then the app. */
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { SettingsStore } from './settings/settings.ts';
import './style.css';

// Why lazy: reading `localStorage` itself throws where storage is blocked; the store handles that.
const settings = new SettingsStore(
  { getItem: (k) => localStorage.getItem(k), setItem: (k, v) => localStorage.setItem(k, v) },
  (m) => console.warn(m),
);

createRoot(document.getElementById('root')!).render(<App settings={settings} />);
