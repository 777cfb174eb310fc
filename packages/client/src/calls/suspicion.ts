/**
 * Signs of a targeted attack in the call log. The 2019 spyware reached phones with
 * calls that rang for a moment or not at all: a stranger who hangs up before the
 * ring or within seconds of it is marked (`hung-up-early`), and several such calls
 * in a day are a pattern the app warns about, offering strict mode. Pure functions
 * over the append-only log; nothing here touches the network.
 */
import type { CallLogEntry } from '../storage/records.ts';

/** A stranger's hang-up this soon after their ring (or without one) is marked. */
export const EARLY_HANGUP_MS = 5_000;
/** This many marked calls within SUSPICION_WINDOW_MS make a pattern worth a warning. */
export const SUSPICIOUS_CALLS_THRESHOLD = 3;
export const SUSPICION_WINDOW_MS = 24 * 3600_000;

/** Whether a stranger's hang-up for `callId` at `now` came before their ring or right after it. */
export function isEarlyHangup(log: readonly CallLogEntry[], callId: string, peer: string, now: number): boolean {
  const ring = log.find((e) => e.callId === callId && e.peer === peer && e.direction === 'in' && e.event === 'stranger');
  return !ring || now - ring.timestamp <= EARLY_HANGUP_MS;
}

export interface CallSuspicion {
  /** Marked calls in the window. */
  readonly count: number;
  /** Who made them, most recent first, each once. */
  readonly callers: readonly string[];
  /** Whether they are a pattern (at least SUSPICIOUS_CALLS_THRESHOLD). */
  readonly warn: boolean;
}

/** The marked calls of the last SUSPICION_WINDOW_MS before `now`. */
export function callSuspicion(log: readonly CallLogEntry[], now: number): CallSuspicion {
  const marked = log.filter((e) => e.event === 'hung-up-early' && e.timestamp > now - SUSPICION_WINDOW_MS);
  const callers = [...new Set(marked.map((e) => e.peer).reverse())];
  return { count: marked.length, callers, warn: marked.length >= SUSPICIOUS_CALLS_THRESHOLD };
}
