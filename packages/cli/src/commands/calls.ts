/** `calls`: the append-only call log. */
import { describeCallLogEntry } from '@parley/client';
import { formatTime } from '../output.ts';
import { withClient } from '../profile.ts';
import type { Command } from './types.ts';

export const calls: Command = {
  usage: 'calls',
  summary: 'the call log: every call attempt, answered or not (nothing deletes it)',
  run: (args) =>
    withClient(args, async (client) => {
      const log = client.callLog();
      if (log.length === 0) console.log('No calls yet.');
      for (const e of log) console.log(`[${formatTime(e.timestamp)}] ${describeCallLogEntry(e)}`);
      const s = client.callSuspicion();
      if (s.warn) {
        console.log(
          `Warning: ${s.count} calls in the last day from people not in your contacts (${s.callers.join(', ')}) hung up before or right after ringing. ` +
            'Targeted attacks on messengers have used such calls: do not call them back, `parley block <username>` them, and turn on strict mode in the web app (Settings).',
        );
      }
      return 0;
    }),
};
