/** Profiles for React components: the directory in context, a hook, and the bits that show a name or a picture. */
import { createContext, useContext, useEffect, useSyncExternalStore } from 'react';
import { Avatar } from '../ui/Avatar.tsx';
import type { ProfileDirectory, ShownProfile } from './directory.ts';

export const ProfilesContext = createContext<ProfileDirectory | undefined>(undefined);

const NONE: ShownProfile = {};
const noop = () => () => undefined;

/** `username`'s profile as far as it is known (none outside a ProfilesContext or without a username). */
export function useProfile(username: string | undefined): ShownProfile {
  const dir = useContext(ProfilesContext);
  useEffect(() => {
    if (dir && username) dir.want(username);
  }, [dir, username]);
  return useSyncExternalStore(dir?.subscribe ?? noop, () => (dir && username ? dir.get(username) : NONE));
}

/** A person's avatar: their profile picture when known, else initials of their profile name or username. */
export function PersonAvatar({ username, colourKey, size }: { username: string; colourKey: string; size?: number }) {
  const p = useProfile(username);
  return <Avatar name={p.name ?? username} colourKey={colourKey} size={size ?? 40} {...(p.picture ? { picture: p.picture } : {})} />;
}

/** A person's profile name, to show beside their username (nothing when unknown). */
export function ProfileName({ username, className = 'muted small profile-name' }: { username: string; className?: string }) {
  const p = useProfile(username);
  return p.name ? <span className={className}>{p.name}</span> : null;
}
