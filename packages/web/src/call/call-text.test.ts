import { describe, expect, it } from 'vitest';
import type { CallEnd, CallState } from './call-controller.ts';
import { callStatus, describeEnd } from './call-text.ts';

const base: CallState = { callId: 'c1', peer: 'bob', media: 'audio', direction: 'in', phase: 'ended', muted: false, cameraOff: false, reconnecting: false, hasMedia: false };
const ended = (end: CallEnd, direction: 'in' | 'out' = 'in') => describeEnd({ ...base, direction, end });

describe('call screen wording', () => {
  it('an incoming call nobody answered is a missed call, not an ended one', () => {
    expect(ended({ kind: 'missed' })).toBe('Missed call');
    expect(ended({ kind: 'hung-up', by: 'remote' })).toBe('Call ended');
  });

  it('says who declined and what went wrong', () => {
    expect(ended({ kind: 'declined', by: 'remote' }, 'out')).toBe('bob declined');
    expect(ended({ kind: 'declined', by: 'local' })).toBe('Call declined');
    expect(ended({ kind: 'cancelled' }, 'out')).toBe('Call cancelled');
    expect(ended({ kind: 'no-answer' }, 'out')).toBe('No answer');
    expect(ended({ kind: 'busy' }, 'out')).toBe('bob is busy');
    expect(ended({ kind: 'failed', stage: 'media', errorName: 'NotAllowedError', detail: '' })).toMatch(/^Call failed: Parley may not use your microphone/);
    expect(ended({ kind: 'failed', stage: 'negotiation', detail: 'x' })).toMatch(/^Call failed: the connection with bob could not be negotiated/);
    expect(ended({ kind: 'failed', stage: 'no-connection', detail: 'x' })).toMatch(/^Call failed: no connection to bob/);
    expect(ended({ kind: 'failed', stage: 'connection-lost', detail: 'x' })).toBe('Call ended: the connection to bob was lost.');
  });

  it('shows the running length once connected', () => {
    expect(callStatus({ ...base, phase: 'active', connectedAt: 1_000 }, 126_000)).toBe('2:05');
    expect(callStatus({ ...base, phase: 'active', connectedAt: 1_000, reconnecting: true }, 126_000)).toBe('Reconnecting…');
    expect(callStatus({ ...base, phase: 'ringing' }, 0)).toBe('Incoming voice call');
    expect(callStatus({ ...base, phase: 'ringing', direction: 'out' }, 0)).toBe('Ringing…');
  });
});
