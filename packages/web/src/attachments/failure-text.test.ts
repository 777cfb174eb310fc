import { describe, expect, it } from 'vitest';
import { downloadFailureText } from './failure-text.ts';

describe('download failure text', () => {
  it('one plain sentence for the network and the server, the SDK\'s sentence otherwise', () => {
    expect(downloadFailureText('UNAVAILABLE', 'attachment storage is unavailable')).toBe('The server could not send it just now. Check your connection, then retry.');
    expect(downloadFailureText('TIMEOUT', 'no data for 30 s')).toBe('The server could not send it just now. Check your connection, then retry.');
    expect(downloadFailureText('ATTACHMENT_INVALID', 'the attachment did not verify; nothing of it was kept')).toBe('The attachment did not verify; nothing of it was kept.');
  });
});
