/**
 * What travels inside the encryption: a small JSON `Content` (text or receipt for
 * now; call messages, reactions and attachments come later), padded Signal-style
 * (0x80 then zeros to a multiple of 160 bytes) so lengths leak little. One strict
 * decoder with limits; anything else is a ContentError.
 */
export type Content =
  | { readonly v: 1; readonly kind: 'text'; readonly id: string; readonly ts: number; readonly text: string }
  | { readonly v: 1; readonly kind: 'typing'; readonly id: string; readonly ts: number; readonly typing: 'started' | 'stopped' }
  | { readonly v: 1; readonly kind: 'call'; readonly id: string; readonly ts: number; readonly call: CallMessage }
  | { readonly v: 1; readonly kind: 'receipt'; readonly id: string; readonly ts: number; readonly receipt: 'delivered' | 'read'; readonly ids: readonly string[] };

/**
 * Call signaling, end-to-end encrypted like any message. The callee's client
 * handles only `ring` (this fixed, small schema) until its user accepts.
 */
export type CallMessage =
  | { readonly type: 'ring'; readonly callId: string; readonly media: 'audio' | 'video' }
  | { readonly type: 'accept' | 'decline' | 'busy' | 'hangup'; readonly callId: string }
  | { readonly type: 'offer' | 'answer'; readonly callId: string; readonly sdp: string }
  | { readonly type: 'ice'; readonly callId: string; readonly candidate: string };

export const MAX_SDP_LENGTH = 16 * 1024;
export const MAX_CANDIDATE_LENGTH = 1024;
const CALL_ID = /^[0-9a-f]{32}$/;

function decodeCall(v: unknown): CallMessage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ContentError('invalid call message');
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (typeof o.callId !== 'string' || !CALL_ID.test(o.callId)) throw new ContentError('invalid call id');
  const callId = o.callId;
  switch (o.type) {
    case 'ring':
      if (keys !== 'callId,media,type' || (o.media !== 'audio' && o.media !== 'video')) throw new ContentError('invalid ring');
      return { type: 'ring', callId, media: o.media };
    case 'accept':
    case 'decline':
    case 'busy':
    case 'hangup':
      if (keys !== 'callId,type') throw new ContentError(`invalid ${o.type}`);
      return { type: o.type, callId };
    case 'offer':
    case 'answer':
      if (keys !== 'callId,sdp,type' || typeof o.sdp !== 'string' || o.sdp.length > MAX_SDP_LENGTH) throw new ContentError(`invalid ${o.type}`);
      return { type: o.type, callId, sdp: o.sdp };
    case 'ice':
      if (keys !== 'callId,candidate,type' || typeof o.candidate !== 'string' || o.candidate.length > MAX_CANDIDATE_LENGTH) throw new ContentError('invalid ice candidate');
      return { type: 'ice', callId, candidate: o.candidate };
    default:
      throw new ContentError('unknown call message type');
  }
}

export const MAX_TEXT_LENGTH = 16 * 1024;
const PAD_BLOCK = 160;
const MAX_CONTENT_BYTES = 64 * 1024;

export class ContentError extends Error {
  override readonly name = 'ContentError';
  readonly code = 'INVALID_CONTENT';
}

export function encodeContent(c: Content): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(c));
  const padded = new Uint8Array(Math.ceil((json.length + 1) / PAD_BLOCK) * PAD_BLOCK);
  padded.set(json);
  padded[json.length] = 0x80;
  return padded;
}

const ID = /^[0-9a-f-]{8,64}$/;

export function decodeContent(bytes: Uint8Array): Content {
  if (bytes.length > MAX_CONTENT_BYTES) throw new ContentError('content too large');
  let end = bytes.length - 1;
  while (end >= 0 && bytes[end] === 0) end--;
  if (end < 0 || bytes[end] !== 0x80) throw new ContentError('bad padding');
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end)));
  } catch {
    throw new ContentError('content is not valid JSON');
  }
  if (typeof v !== 'object' || v === null) throw new ContentError('content is not an object');
  const o = v as Record<string, unknown>;
  if (o.v !== 1 || typeof o.id !== 'string' || !ID.test(o.id) || typeof o.ts !== 'number' || !Number.isSafeInteger(o.ts) || o.ts < 0) {
    throw new ContentError('content header is invalid');
  }
  if (o.kind === 'text') {
    if (typeof o.text !== 'string' || o.text.length > MAX_TEXT_LENGTH || Object.keys(o).length !== 5) throw new ContentError('invalid text content');
    return { v: 1, kind: 'text', id: o.id, ts: o.ts, text: o.text };
  }
  if (o.kind === 'call') {
    if (Object.keys(o).length !== 5) throw new ContentError('invalid call content');
    return { v: 1, kind: 'call', id: o.id, ts: o.ts, call: decodeCall(o.call) };
  }
  if (o.kind === 'typing') {
    if ((o.typing !== 'started' && o.typing !== 'stopped') || Object.keys(o).length !== 5) throw new ContentError('invalid typing content');
    return { v: 1, kind: 'typing', id: o.id, ts: o.ts, typing: o.typing };
  }
  if (o.kind === 'receipt') {
    if ((o.receipt !== 'delivered' && o.receipt !== 'read') || !Array.isArray(o.ids) || o.ids.length > 100 || !o.ids.every((x) => typeof x === 'string' && ID.test(x))) {
      throw new ContentError('invalid receipt content');
    }
    if (Object.keys(o).length !== 6) throw new ContentError('invalid receipt content');
    return { v: 1, kind: 'receipt', id: o.id, ts: o.ts, receipt: o.receipt, ids: o.ids as string[] };
  }
  throw new ContentError('unknown content kind');
}
