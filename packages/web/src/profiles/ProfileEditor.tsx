/**
 * The Profile section of Settings: our profile name and picture, sealed under our
 * profile key before they leave the browser; only our contacts (people we wrote to
 * or accepted) can read them. Errors are the SDK's typed ones, shown as they say
 * what to do.
 */
import { useEffect, useId, useState } from 'react';
import { ClientError, MAX_AVATAR_BYTES, MAX_PROFILE_NAME_LENGTH, type ParleyClient } from '@parley/client';
import { PersonAvatar, useProfile } from './use-profile.tsx';

export function ProfileEditor({ client }: { client: ParleyClient }) {
  const me = client.account!;
  const shown = useProfile(me.username);
  const [name, setName] = useState('');
  const [loaded, setLoaded] = useState(false);
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  const hint = useId();
  useEffect(() => {
    void client.profile().then((p) => {
      setName(p.name ?? '');
      setLoaded(true);
    });
  }, [client]);

  const save = async (changes: Parameters<ParleyClient['setProfile']>[0], done: string) => {
    setBusy(true);
    setStatus(undefined);
    try {
      await client.setProfile(changes);
      setStatus({ ok: true, text: done });
    } catch (e) {
      setStatus({ ok: false, text: e instanceof ClientError ? e.message : `Could not save your profile: ${(e as Error).message}; check your connection and try again.` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="settings-section profile" aria-labelledby="profile-title">
      <h3 id="profile-title">Profile</h3>
      <div className="profile-row">
        <PersonAvatar username={me.username} colourKey={`direct:${me.accountId}`} size={56} />
        <span className="profile-text">
          <strong>{shown.name ?? me.username}</strong>
          <span className="muted small">
            @{me.username}: people start a chat with you by typing it. This is device {me.deviceId} of your account.
          </span>
        </span>
      </div>
      <form
        className="profile-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ name: name.trim() }, name.trim() ? 'Profile name saved.' : 'Profile name removed.');
        }}
      >
        <label htmlFor={`${hint}-name`}>Profile name</label>
        <input id={`${hint}-name`} value={name} maxLength={MAX_PROFILE_NAME_LENGTH} disabled={!loaded || busy} aria-describedby={hint} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={!loaded || busy}>
          Save name
        </button>
      </form>
      <div className="profile-picture-actions">
        <label className="button-like">
          Choose picture
          <input
            type="file"
            className="visually-hidden"
            accept="image/png,image/jpeg,image/gif,image/webp"
            disabled={busy}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (!file) return;
              if (file.size > MAX_AVATAR_BYTES) {
                setStatus({ ok: false, text: `That picture is too large: a profile picture is at most ${MAX_AVATAR_BYTES / 1024} KiB. Pick a smaller one.` });
                return;
              }
              void file.arrayBuffer().then((b) => save({ avatar: new Uint8Array(b) }, 'Profile picture saved.'));
            }}
          />
        </label>
        {shown.picture && (
          <button type="button" className="link" disabled={busy} onClick={() => void save({ avatar: null }, 'Profile picture removed.')}>
            Remove picture
          </button>
        )}
      </div>
      <p className="muted small" id={hint}>
        Your name and picture are encrypted on this device. Only people you write to or whose requests you accept can see them; the server cannot.
      </p>
      {status && (
        <p className={status.ok ? 'small' : 'small error'} role={status.ok ? 'status' : 'alert'}>
          {status.text}
        </p>
      )}
    </section>
  );
}
