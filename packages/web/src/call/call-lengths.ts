/**
 * How long answered calls lasted, kept in this browser. The SDK's call log says
 * when a call was answered and when it ended, but not when media connected, so
 * the length shown in the conversation ("Voice call, 2:05") is recorded here when
 * a call ends. When the SDK gets a place for it, this module goes away.
 */

export interface CallLengthStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const CALL_LENGTHS_KEY = 'parley.callLengths';
/** Only the newest lengths are kept; older calls show without one. */
export const MAX_CALL_LENGTHS = 1000;

/** Seconds connected; null for an answered call that never connected. */
export type CallLength = number | null;

export class CallLengths {
  private readonly lengths: Map<string, CallLength>;

  constructor(
    private readonly storage: CallLengthStorage,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.lengths = read(storage, warn);
  }

  /** The length of call `callId`, or undefined when this browser did not record it. */
  get(callId: string): CallLength | undefined {
    return this.lengths.get(callId);
  }

  record(callId: string, length: CallLength): void {
    this.lengths.delete(callId);
    this.lengths.set(callId, length === null ? null : Math.max(0, Math.round(length)));
    for (const oldest of this.lengths.keys()) {
      if (this.lengths.size <= MAX_CALL_LENGTHS) break;
      this.lengths.delete(oldest);
    }
    try {
      this.storage.setItem(CALL_LENGTHS_KEY, JSON.stringify([...this.lengths]));
    } catch (e) {
      this.warn(`call lengths: could not save (${(e as Error)?.message ?? String(e)})`);
    }
  }
}

function read(storage: CallLengthStorage, warn: (message: string) => void): Map<string, CallLength> {
  const out = new Map<string, CallLength>();
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(CALL_LENGTHS_KEY) ?? '[]');
  } catch (e) {
    warn(`call lengths: could not read (${(e as Error)?.message ?? String(e)}); starting afresh`);
    return out;
  }
  if (!Array.isArray(raw)) return out;
  for (const entry of raw.slice(-MAX_CALL_LENGTHS)) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') continue;
    const v: unknown = entry[1];
    if (v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0)) out.set(entry[0], v);
  }
  return out;
}
