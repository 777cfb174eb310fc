/**
 * Wording for the append-only call log, shared by the CLI and the web app so both
 * tell a person (or an investigator) the same thing about every call attempt.
 */
import type { CallLogEntry } from '../storage/records.ts';

const EVENT_TEXT: Record<CallLogEntry['event'], string> = {
  ring: 'rang',
  answered: 'answered',
  declined: 'declined',
  missed: 'not answered',
  busy: 'busy',
  ended: 'ended',
  blocked: 'blocked (not shown)',
  stranger: 'from someone not in your contacts (did not ring)',
  'switched-off': 'not shown (the server has switched calls off for now)',
  'hung-up-early': 'hung up before or right after ringing (a pattern of targeted attacks when repeated)',
};

/** One line, e.g. "incoming voice call from carl: not answered". */
export function describeCallLogEntry(e: CallLogEntry): string {
  const kind = e.media === 'video' ? 'video' : 'voice';
  return `${e.direction === 'in' ? 'incoming' : 'outgoing'} ${kind} call ${e.direction === 'in' ? 'from' : 'to'} ${e.peer}: ${EVENT_TEXT[e.event]}`;
}
