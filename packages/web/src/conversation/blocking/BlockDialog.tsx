/**
 * "Block <name>?": what blocking does, and whether to delete the chat too (on this
 * browser and our other linked devices). The chat stays by default, as in Signal and
 * WhatsApp; from a message request the box starts ticked, since a stranger's
 * request is usually what one blocks to be rid of.
 */
import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';

export function BlockDialog(props: { client: ParleyClient; username: string; request: boolean; onBlocked: (deleted: boolean) => void; onClose: () => void }) {
  const [deleteChat, setDeleteChat] = useState(props.request);
  return (
    <ConfirmDialog
      title={`Block ${props.username}?`}
      action={deleteChat ? 'Block and delete' : 'Block'}
      onConfirm={async () => {
        await props.client.blockContact(props.username, { deleteChat });
        props.onBlocked(deleteChat);
      }}
      onClose={props.onClose}
    >
      <p>Blocked contacts cannot call you or send you messages, and they are not told. You can unblock them later.</p>
      <label className="setting">
        <input type="checkbox" checked={deleteChat} onChange={(e) => setDeleteChat(e.target.checked)} />
        Also delete this chat (from this browser and your other linked devices)
      </label>
    </ConfirmDialog>
  );
}
