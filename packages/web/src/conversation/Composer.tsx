/**
 * Writing a message: text with typing notices (started, and stopped after 3 s
 * without a key), the emoji picker, files from the attach button or pasted into
 * the field (handed up for their preview; drag-and-drop is the conversation
 * screen's), and voice notes. It can also be replying to a message or editing one
 * of ours (the banner above says which; cancel or Escape ends it). Sending keeps the
 * text when it failed. A changed safety number (of the person, or of a group
 * member) stops the send and is handed up with whose it is.
 */
import { useEffect, useRef, useState } from 'react';
import { ClientError, type ConversationId, type ParleyClient, type StoredMessage } from '@parley/client';
import { sendFile } from '../attachments/send-file.ts';
import type { Transfers } from '../attachments/transfers.ts';
import { VoiceRecorder } from '../attachments/VoiceRecorder.tsx';
import { insertAt } from '../emoji/emoji-data.ts';
import { EmojiPicker } from '../emoji/EmojiPicker.tsx';
import { explain } from '../errors.ts';
import { ComposerContext, type ComposeMode } from './reply/ComposerContext.tsx';

const TYPING_IDLE_MS = 3000;

export interface ComposerProps {
  readonly client: ParleyClient;
  readonly to: string;
  readonly conversation: ConversationId;
  readonly title: string;
  readonly transfers: Transfers;
  readonly onSent: () => void;
  readonly onIdentityChanged: (username: string, safetyNumber: string) => void;
}

/** Replying to or editing `message`, with what the banner shows. */
export type Compose = ComposeMode & { readonly message: StoredMessage };

/** Sends each file as its own message, the caption with the first (from the file preview). */
export function sendFiles(props: Pick<ComposerProps, 'client' | 'to' | 'conversation' | 'transfers' | 'onSent' | 'onIdentityChanged'>, files: Iterable<File>, caption = ''): void {
  let first = true;
  for (const f of files) {
    const withCaption = first && caption ? { caption } : {};
    first = false;
    void sendFile(props.client, props.transfers, { to: props.to, conversation: props.conversation }, f, f.name || 'file', {
      ...withCaption,
      onSent: props.onSent,
      onIdentityChanged: (u, n) => props.onIdentityChanged(u || props.to, n),
    });
  }
}

export function Composer(props: ComposerProps & { compose: Compose | undefined; onComposeEnd: () => void; onFiles: (files: File[]) => void }) {
  const { client, to, compose } = props;
  const [text, setText] = useState('');
  // Replying or editing starts with the field focused; editing puts the message's text in it.
  useEffect(() => {
    if (!compose) return;
    if (compose.kind === 'edit') setText(compose.message.body);
    requestAnimationFrame(() => input.current?.focus());
  }, [compose]);
  const endCompose = (keepText: boolean) => {
    if (compose?.kind === 'edit' && !keepText) setText('');
    props.onComposeEnd();
    input.current?.focus();
  };
  const [error, setError] = useState<string>();
  const [emojiOpen, setEmojiOpen] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const typingTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const onType = (value: string) => {
    setText(value);
    if (!typingTimer.current) void client.sendTyping(to, true);
    clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(() => {
      typingTimer.current = undefined;
      void client.sendTyping(to, false);
    }, TYPING_IDLE_MS);
  };
  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText('');
    setError(undefined);
    if (typingTimer.current) {
      clearTimeout(typingTimer.current);
      typingTimer.current = undefined;
      void client.sendTyping(to, false);
    }
    try {
      if (compose?.kind === 'edit') {
        if (body !== compose.message.body) await client.editMessage(compose.message, body);
      } else if (compose?.kind === 'reply') await client.reply(compose.message, body);
      else await client.sendText(to, body);
      if (compose) props.onComposeEnd();
    } catch (err) {
      if (err instanceof ClientError && err.code === 'IDENTITY_CHANGED') {
        const { username, safetyNumber } = err.details;
        props.onIdentityChanged(typeof username === 'string' ? username : props.title, typeof safetyNumber === 'string' ? safetyNumber : '');
      } else setError(explain(err));
      setText(body);
    }
    props.onSent();
  };
  const pickEmoji = (emoji: string) => {
    const el = input.current;
    const r = insertAt(text, emoji, el?.selectionStart ?? text.length, el?.selectionEnd ?? text.length);
    onType(r.text);
    setEmojiOpen(false);
    // Focus at once (the picker is going); the caret once the new text is rendered.
    el?.focus();
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(r.caret, r.caret);
    });
  };
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {compose && <ComposerContext mode={compose} onCancel={() => endCompose(false)} />}
      <form className="composer" onSubmit={send}>
        {emojiOpen && (
          <EmojiPicker
            onPick={pickEmoji}
            onClose={() => {
              setEmojiOpen(false);
              input.current?.focus();
            }}
          />
        )}
        <button type="button" className="icon-button emoji-toggle" aria-label="Emoji" aria-expanded={emojiOpen} title="Emoji" onClick={() => setEmojiOpen((o) => !o)}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm-3.5-9a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5a5.5 5.5 0 0 0 5.1-3.5H6.9a5.5 5.5 0 0 0 5.1 3.5z" />
          </svg>
        </button>
        <button type="button" className="icon-button" aria-label="Attach a file" title="Attach a file" onClick={() => fileInput.current?.click()}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z" />
          </svg>
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          aria-label="Files to send"
          onChange={(e) => {
            if (e.target.files) props.onFiles(Array.from(e.target.files));
            e.target.value = '';
          }}
        />
        <input
          ref={input}
          aria-label="Message"
          placeholder={compose?.kind === 'edit' ? 'Edit message' : `Message ${props.title}`}
          value={text}
          onChange={(e) => onType(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && compose) {
              e.preventDefault();
              endCompose(false);
            }
          }}
          onPaste={(e) => {
            const files = Array.from(e.clipboardData.files);
            if (files.length === 0) return;
            e.preventDefault();
            props.onFiles(files);
          }}
        />
        <VoiceRecorder
          onRecorded={(audio, durationMs) =>
            void sendFile(client, props.transfers, { to, conversation: props.conversation }, audio, `Voice message ${new Date().toISOString().slice(0, 19).replace('T', ' ')}.${audio.type === 'audio/mp4' ? 'm4a' : audio.type === 'audio/ogg' ? 'ogg' : 'webm'}`, {
              voiceNote: true,
              durationMs,
              onSent: props.onSent,
              onIdentityChanged: (u, n) => props.onIdentityChanged(u || props.title, n),
            })
          }
        />
        <button type="submit" disabled={!text.trim()}>
          {compose?.kind === 'edit' ? 'Save' : 'Send'}
        </button>
      </form>
    </>
  );
}
