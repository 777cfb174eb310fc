/**
 * A group's info: its name and members, admins marked. Admins rename it, add and
 * remove members and make others admins (the server enforces the same rule; the
 * SDK's refusal is shown if the rights changed meanwhile). Every member can leave,
 * after a confirmation, as can they check a member's safety number. A group we are
 * no longer in shows its last known members, without actions.
 */
import { useState } from 'react';
import type { GroupMemberRecord, ParleyClient } from '@parley/client';
import type { ConversationView } from '../conversation/view.ts';
import { explain } from '../errors.ts';
import { PersonAvatar, ProfileName } from '../profiles/use-profile.tsx';
import { Avatar } from '../ui/Avatar.tsx';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import { Dialog } from '../ui/Dialog.tsx';

/** The SDK's limit on a group name (groups/attributes.ts MAX_GROUP_NAME_LENGTH, not exported). */
const MAX_GROUP_NAME_LENGTH = 100;

type GroupView = Extract<ConversationView, { kind: 'group' }>;
type Confirming = { kind: 'remove'; member: GroupMemberRecord } | { kind: 'leave' };

/** You first, then admins, then everyone else, each by name. */
function ordered(members: readonly GroupMemberRecord[], me: string): GroupMemberRecord[] {
  const rank = (m: GroupMemberRecord) => (m.accountId === me ? 0 : m.role === 'admin' ? 1 : 2);
  return [...members].sort((a, b) => rank(a) - rank(b) || a.username.localeCompare(b.username));
}

export function GroupInfoDialog(props: { client: ParleyClient; view: GroupView; onChanged: () => void; onShowSafetyNumber: (username: string) => void; onClose: () => void }) {
  const { client, view } = props;
  const g = view.group;
  const me = client.account!.accountId;
  const [renaming, setRenaming] = useState(false);
  const [newName, setNewName] = useState(view.title);
  const [adding, setAdding] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [confirming, setConfirming] = useState<Confirming>();

  /** Runs one change; the SDK's refusal (not an admin any more, unknown user, offline) is shown here. */
  const run = async (change: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await change();
      props.onChanged();
      return true;
    } catch (e) {
      setError(explain(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const members = ordered(g.members, me);
  const count = `${g.members.length} member${g.members.length === 1 ? '' : 's'}`;
  return (
    <Dialog label="Group info" onClose={props.onClose} className="group-info">
      <div className="group-head">
        <Avatar name={view.title} colourKey={view.id} group size={64} />
        {renaming ? (
          <form
            className="rename"
            onSubmit={(e) => {
              e.preventDefault();
              if (newName.trim() && newName.trim() !== view.title) void run(() => client.groups.rename(g.groupId, newName.trim())).then((ok) => ok && setRenaming(false));
            }}
          >
            <label htmlFor="group-new-name">Group name</label>
            <input id="group-new-name" autoFocus maxLength={MAX_GROUP_NAME_LENGTH} value={newName} onChange={(e) => setNewName(e.target.value)} />
            <div className="actions">
              <button type="submit" disabled={busy || !newName.trim() || newName.trim() === view.title}>
                Save
              </button>
              <button type="button" className="secondary" onClick={() => setRenaming(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <div>
            <h2>{view.title}</h2>
            <p className="muted small">{view.active ? `Group · ${count}` : 'You are no longer a member of this group.'}</p>
            {view.admin && (
              <button
                className="link small"
                onClick={() => {
                  setNewName(view.title);
                  setRenaming(true);
                }}
              >
                Rename group
              </button>
            )}
          </div>
        )}
      </div>

      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      {view.admin && (
        <form
          className="add-member"
          onSubmit={(e) => {
            e.preventDefault();
            const names = adding.split(/[\s,]+/).filter(Boolean);
            if (names.length > 0) void run(() => client.groups.add(g.groupId, names)).then((ok) => ok && setAdding(''));
          }}
        >
          <input aria-label="Add members by username" placeholder="Add members by username" value={adding} onChange={(e) => setAdding(e.target.value)} />
          <button type="submit" className="secondary" disabled={busy || !adding.trim()}>
            Add
          </button>
        </form>
      )}

      <ul className="members" aria-label="Members">
        {members.map((m) => {
          const mine = m.accountId === me;
          return (
            <li key={m.accountId}>
              <PersonAvatar username={m.username} colourKey={`direct:${m.accountId}`} size={34} />
              <span className="member-name">
                {mine ? 'You' : m.username}
                {!mine && <> <ProfileName username={m.username} /></>}
                {m.role === 'admin' && <span className="tag admin">Admin</span>}
              </span>
              {!mine && view.active && (
                <span className="member-actions">
                  <button className="link small" onClick={() => props.onShowSafetyNumber(m.username)}>
                    Safety number<span className="visually-hidden"> with {m.username}</span>
                  </button>
                  {view.admin && (
                    <>
                      <button className="link small" disabled={busy} onClick={() => void run(() => client.groups.setAdmin(g.groupId, m.username, m.role !== 'admin'))}>
                        {m.role === 'admin' ? 'Dismiss as admin' : 'Make admin'}
                        <span className="visually-hidden"> {m.username}</span>
                      </button>
                      <button className="link small danger-link" disabled={busy} onClick={() => setConfirming({ kind: 'remove', member: m })}>
                        Remove<span className="visually-hidden"> {m.username}</span>
                      </button>
                    </>
                  )}
                </span>
              )}
            </li>
          );
        })}
      </ul>

      <div className="actions spread">
        {view.active && (
          <button className="danger" onClick={() => setConfirming({ kind: 'leave' })}>
            Leave group
          </button>
        )}
        <button className="secondary" onClick={props.onClose}>
          Done
        </button>
      </div>

      {confirming?.kind === 'remove' && (
        <ConfirmDialog
          title={`Remove ${confirming.member.username}?`}
          action="Remove"
          onConfirm={async () => {
            await client.groups.remove(g.groupId, [confirming.member.username]);
            props.onChanged();
          }}
          onClose={() => setConfirming(undefined)}
        >
          {confirming.member.username} will no longer get the messages of {view.title}. Everyone in the group is told.
        </ConfirmDialog>
      )}
      {confirming?.kind === 'leave' && (
        <ConfirmDialog
          title={`Leave ${view.title}?`}
          action="Leave group"
          onConfirm={async () => {
            await client.groups.leave(g.groupId);
            props.onChanged();
            props.onClose();
          }}
          onClose={() => setConfirming(undefined)}
        >
          You will no longer receive its messages, and its members are told that you left. The history stays in this browser.
        </ConfirmDialog>
      )}
    </Dialog>
  );
}
