/**
 * The settings screen, reached from the sidebar header (full screen on a phone):
 * profile (name and picture, end-to-end encrypted), privacy (read receipts, strict mode), calls (relay), and the account's
 * linked devices. Choices are kept for this browser (settings.ts).
 */
import type { ParleyClient } from '@parley/client';
import { LinkedDevices } from '../devices/LinkedDevices.tsx';
import { ProfileEditor } from '../profiles/ProfileEditor.tsx';
import { Dialog } from '../ui/Dialog.tsx';
import { useReadReceipts } from './read-receipts.ts';
import type { SettingsStore } from './settings.ts';
import { useSettings } from './use-settings.ts';

export function SettingsDialog({ store, client, onClose }: { store: SettingsStore; client: ParleyClient; onClose: () => void }) {
  const settings = useSettings(store);
  const [readReceipts, setReadReceipts] = useReadReceipts(client);
  return (
    <Dialog label="Settings" onClose={onClose} className="settings">
      <div className="settings-top">
        <h2>Settings</h2>
        <button onClick={onClose}>Done</button>
      </div>
      <ProfileEditor client={client} />
      <section className="settings-section" aria-labelledby="privacy-title">
        <h3 id="privacy-title">Privacy</h3>
        <label className="setting">
          <input type="checkbox" checked={readReceipts} onChange={(e) => setReadReceipts(e.target.checked)} />
          Read receipts
        </label>
        <p className="muted small">Tell your contacts when you have read their messages (and see when they read yours). For all your devices. People who are not your contacts are never told.</p>
        <label className="setting">
          <input type="checkbox" checked={settings.strict} onChange={(e) => store.update({ strict: e.target.checked })} />
          Strict mode (calls always relayed)
        </label>
        <p className="muted small">
          For people who may be targeted. Calls only from contacts, no media or link previews from strangers, and a decision on every changed safety number are always on; strict mode also relays every call.
        </p>
      </section>
      <section className="settings-section" aria-labelledby="calls-title">
        <h3 id="calls-title">Calls</h3>
        <label className="setting">
          <input type="checkbox" checked={settings.strict || settings.relayCalls} disabled={settings.strict} onChange={(e) => store.update({ relayCalls: e.target.checked })} />
          Relay calls (hide my IP address)
        </label>
        <p className="muted small">Calls go through the server's relay, so the other side never learns your network address. A call may sound a little later.</p>
      </section>
      <LinkedDevices client={client} />
    </Dialog>
  );
}
