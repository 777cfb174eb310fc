/**
 * "New group": a name and the members, chosen from the person's contacts or added
 * by username. A typed username is checked with the server when it is added, so a
 * typo is answered at once ("There is no Parley user named ..."); the SDK checks
 * again when the group is created. The creator is its first admin.
 */
import { useState } from 'react';
import { directConversation, groupConversation, WireError, type ConversationId, type ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Dialog } from '../ui/Dialog.tsx';

/** The SDK's limit on a group name (groups/attributes.ts MAX_GROUP_NAME_LENGTH, not exported). */
const MAX_GROUP_NAME_LENGTH = 100;

export interface Candidate {
  readonly username: string;
  /** Their direct conversation's id: the avatar's colour, as in the conversation list. */
  readonly id: ConversationId;
}

export function NewGroupDialog(props: { client: ParleyClient; contacts: readonly Candidate[]; onClose: () => void; onCreated: (id: ConversationId) => void }) {
  const { client } = props;
  const [name, setName] = useState('');
  const [candidates, setCandidates] = useState<readonly Candidate[]>(props.contacts);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [adding, setAdding] = useState('');
  const [addError, setAddError] = useState<string>();
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const toggle = (username: string, on: boolean) =>
    setChosen((s) => {
      const next = new Set(s);
      if (on) next.add(username);
      else next.delete(username);
      return next;
    });

  const add = async () => {
    const username = adding.trim().toLowerCase();
    if (!username || checking) return;
    setAddError(undefined);
    if (candidates.some((c) => c.username === username)) {
      toggle(username, true);
      setAdding('');
      return;
    }
    if (username === client.account?.username) {
      setAddError('You are in the group already: you create it.');
      return;
    }
    setChecking(true);
    try {
      // Why the transport: the SDK has no "is there such a user" call that does not also start a session.
      const found = await client.http.lookup(username);
      setCandidates((c) => [...c, { username: found.username, id: directConversation(found.accountId) }]);
      toggle(found.username, true);
      setAdding('');
    } catch (e) {
      setAddError(e instanceof WireError && e.code === 'UNKNOWN_USER' ? `There is no Parley user named ${username}. Check the spelling.` : explain(e));
    } finally {
      setChecking(false);
    }
  };

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!name.trim() || chosen.size === 0 || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const g = await client.groups.create(name.trim(), [...chosen]);
      props.onCreated(groupConversation(g.groupId));
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  };

  return (
    <Dialog label="New group" onClose={props.onClose} className="new-group">
      <h2>New group</h2>
      <form onSubmit={create} className="stack">
        <label htmlFor="group-name">Group name</label>
        <input id="group-name" autoFocus maxLength={MAX_GROUP_NAME_LENGTH} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Book club" />
        <fieldset className="members-picker">
          <legend>Members</legend>
          <div className="add-member">
            <input
              aria-label="Add a member by username"
              placeholder="Add a member by username"
              value={adding}
              aria-invalid={addError ? true : undefined}
              aria-describedby={addError ? 'add-member-error' : undefined}
              onChange={(e) => {
                setAdding(e.target.value);
                setAddError(undefined);
              }}
              onKeyDown={(e) => {
                // Enter adds the member; it does not create the group.
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void add();
                }
              }}
            />
            <button type="button" className="secondary" disabled={!adding.trim() || checking} onClick={() => void add()}>
              {checking ? 'Checking…' : 'Add'}
            </button>
          </div>
          {addError && (
            <p className="error small" id="add-member-error" role="alert">
              {addError}
            </p>
          )}
          {candidates.length === 0 ? (
            <p className="muted small">Add people by their username. Your contacts will be listed here to choose from.</p>
          ) : (
            <ul className="candidates" aria-label="People to add">
              {candidates.map((c) => (
                <li key={c.username}>
                  <label>
                    <input type="checkbox" checked={chosen.has(c.username)} onChange={(e) => toggle(c.username, e.target.checked)} />
                    <Avatar name={c.username} colourKey={c.id} size={30} />
                    <span>{c.username}</span>
                  </label>
                </li>
              ))}
            </ul>
          )}
          {chosen.size > 0 && <p className="muted small">{`${chosen.size + 1} people, you included. You will be the group's admin.`}</p>}
        </fieldset>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions end">
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" disabled={!name.trim() || chosen.size === 0 || busy}>
            {busy ? 'Creating…' : 'Create group'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
