/** What the call screen says about a call, in words that tell the person what to do. */
import { duration } from '../ui/time.ts';
import type { CallState } from './call-controller.ts';

/** The line under the name: ringing, connecting, the running length, or how it ended. */
export function callStatus(s: CallState, now: number): string {
  const kind = s.media === 'video' ? 'video' : 'voice';
  switch (s.phase) {
    case 'ringing':
      return s.direction === 'in' ? `Incoming ${kind} call` : 'Ringing…';
    case 'connecting':
      return 'Connecting…';
    case 'active':
      return s.reconnecting ? 'Reconnecting…' : duration((now - (s.connectedAt ?? now)) / 1000);
    case 'ended':
      return describeEnd(s);
  }
}

/** How a call ended. */
export function describeEnd(s: CallState): string {
  const end = s.end;
  if (!end) return 'Call ended';
  switch (end.kind) {
    case 'hung-up':
      return 'Call ended';
    case 'cancelled':
      return 'Call cancelled';
    case 'declined':
      return end.by === 'local' ? 'Call declined' : `${s.peer} declined`;
    case 'missed':
      return 'Missed call';
    case 'no-answer':
      return 'No answer';
    case 'busy':
      return `${s.peer} is busy`;
    case 'failed':
      switch (end.stage) {
        case 'media':
          if (end.errorName === 'NotAllowedError') return 'Call failed: Parley may not use your microphone or camera. Allow them for this site in the browser, then call again.';
          if (end.errorName === 'NotFoundError') return 'Call failed: no microphone or camera was found. Connect one, then call again.';
          if (end.errorName === 'NotReadableError') return 'Call failed: another program is using your microphone or camera. Close it, then call again.';
          return `Call failed: the microphone or camera could not start (${end.detail}).`;
        case 'relay':
          return 'Call failed: this server has no relay for calls, and your settings allow relayed calls only. To call directly, turn off "Relay calls" and strict mode in Settings.';
        case 'signaling':
          return 'Call failed: the call could not be set up through the server. Check your connection, then call again.';
        case 'negotiation':
          return `Call failed: the connection with ${s.peer} could not be negotiated. Call again; if it keeps failing, one of you may need to update Parley or the browser.`;
        case 'no-connection':
          return `Call failed: no connection to ${s.peer} could be made. Check your network, then call again.`;
        case 'connection-lost':
          return `Call ended: the connection to ${s.peer} was lost.`;
      }
  }
}
