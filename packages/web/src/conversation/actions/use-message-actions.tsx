/**
 * What happens when the person acts on a message: Reply and Edit put the composer
 * in that mode; React opens the reaction bar beside the message (picking our own
 * emoji again takes it back; a chip toggles ours); Delete for everyone and Delete for
 * me ask first.
 * Owns the state of those overlays and renders them; the SDK does the rest
 * (`reply`, `react`, `removeReaction`, `editMessage`, `deleteMessage`, `deleteForMe`), and its
 * events refresh the conversation. Failures go to `onError`.
 */
import { useState } from 'react';
import type { ParleyClient, StoredMessage } from '@parley/client';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import type { Compose } from '../Composer.tsx';
import type { MessageHandlers } from '../MessageList.tsx';
import { ReactionBar } from '../reactions/ReactionBar.tsx';
import { quoteAuthor, quoteSnippet } from '../reply/quote-text.ts';

export function useMessageActions(client: ParleyClient, me: string, nameOf: (accountId: string) => string, onError: (e: unknown) => void) {
  const [compose, setCompose] = useState<Compose>();
  const [reacting, setReacting] = useState<{ message: StoredMessage; anchor: DOMRect; opener: HTMLElement | undefined }>();
  const [deleting, setDeleting] = useState<StoredMessage>();
  const [deletingForMe, setDeletingForMe] = useState<StoredMessage>();

  const handlers: Omit<MessageHandlers, 'onJump'> = {
    onReply: (m) => setCompose({ kind: 'reply', message: m, author: quoteAuthor(m.senderAccountId, me, nameOf), snippet: quoteSnippet({ text: m.body }, m) }),
    onReact: (m, anchor) => setReacting({ message: m, anchor, opener: document.activeElement instanceof HTMLElement ? document.activeElement : undefined }),
    onToggleReaction: (m, chip) => void (chip.mine ? client.removeReaction(m) : client.react(m, chip.emoji)).catch(onError),
    onEdit: (m) => setCompose({ kind: 'edit', message: m, snippet: quoteSnippet({ text: m.body }, m) }),
    onDelete: (m) => setDeleting(m),
    onDeleteForMe: (m) => setDeletingForMe(m),
  };

  const closeBar = () => {
    const opener = reacting?.opener;
    setReacting(undefined);
    if (opener?.isConnected) opener.focus();
  };
  const current = reacting?.message.reactions?.find((r) => r.author === me)?.emoji;
  const overlays = (
    <>
      {reacting && (
        <ReactionBar
          anchor={reacting.anchor}
          current={current}
          onPick={(emoji) => {
            const m = reacting.message;
            closeBar();
            void (emoji === current ? client.removeReaction(m) : client.react(m, emoji)).catch(onError);
          }}
          onClose={closeBar}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete for everyone?"
          action="Delete for everyone"
          onConfirm={async () => {
            await client.deleteMessage(deleting);
            if (compose?.message.clientId === deleting.clientId) setCompose(undefined);
          }}
          onClose={() => setDeleting(undefined)}
        >
          Everyone in this chat sees “This message was deleted” in its place.
        </ConfirmDialog>
      )}
      {deletingForMe && (
        <ConfirmDialog
          title="Delete for me?"
          action="Delete for me"
          onConfirm={async () => {
            await client.deleteForMe(deletingForMe);
            if (compose?.message.clientId === deletingForMe.clientId) setCompose(undefined);
          }}
          onClose={() => setDeletingForMe(undefined)}
        >
          It is deleted from this browser and your other linked devices. The others in this chat still have it.
        </ConfirmDialog>
      )}
    </>
  );
  return { compose, endCompose: () => setCompose(undefined), handlers, overlays };
}
