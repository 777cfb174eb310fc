import { describe, expect, it } from 'vitest';
import { CHANGE_WINDOW_MS, type StoredMessage } from '@parley/client';
import { messageRules } from './rules.ts';

const mine: StoredMessage = { rowId: 1, conversation: 'direct:x', direction: 'out', kind: 'text', clientId: 'c', senderAccountId: 'me', timestamp: 1_000, body: 'hi', status: 'sent', seen: true };

describe('message rules', () => {
  it('our own text: everything within the window; after it, reply, react and delete for me', () => {
    expect(messageRules(mine, true, 2_000)).toEqual({ reply: true, react: true, edit: true, delete: true, deleteForMe: true });
    expect(messageRules(mine, true, 1_000 + CHANGE_WINDOW_MS + 1)).toEqual({ reply: true, react: true, edit: false, delete: false, deleteForMe: true });
  });

  it("someone else's: reply, react and delete for me; our file: delete but not edit", () => {
    expect(messageRules({ ...mine, direction: 'in', senderAccountId: 'a' }, true, 2_000)).toEqual({ reply: true, react: true, edit: false, delete: false, deleteForMe: true });
    const file = { ...mine, attachment: { id: 'i', key: new Uint8Array(), digest: new Uint8Array(), size: 1, contentType: 'text/plain', state: 'downloaded' as const } };
    expect(messageRules(file, true, 2_000)).toEqual({ reply: true, react: true, edit: false, delete: true, deleteForMe: true });
  });

  it('only delete for me for a deleted message or where we cannot write; nothing for a system line', () => {
    const none = { reply: false, react: false, edit: false, delete: false, deleteForMe: false };
    expect(messageRules({ ...mine, deleted: true }, true, 2_000)).toEqual({ ...none, deleteForMe: true });
    expect(messageRules({ ...mine, kind: 'system' }, true, 2_000)).toEqual(none);
    expect(messageRules(mine, false, 2_000)).toEqual({ ...none, deleteForMe: true });
  });
});
