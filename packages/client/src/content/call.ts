/**
 * Call signaling, end-to-end encrypted like any message. The callee's client
 * handles only `ring` (a fixed, small schema) until its user accepts; every
 * call message kind has exactly the fields listed here.
 */
import { type Decoder, invalid, object, oneOf, str } from '@parley/wire';
import { header } from './fields.ts';

export type CallMessage =
  | { readonly type: 'ring'; readonly callId: string; readonly media: 'audio' | 'video' }
  | { readonly type: 'accept' | 'decline' | 'busy' | 'hangup'; readonly callId: string }
  | { readonly type: 'offer' | 'answer'; readonly callId: string; readonly sdp: string }
  | { readonly type: 'ice'; readonly callId: string; readonly candidate: string };

export interface CallContent {
  readonly kind: 'call';
  readonly call: CallMessage;
}

export const MAX_SDP_LENGTH = 16 * 1024;
export const MAX_CANDIDATE_LENGTH = 1024;
const callId = str(32, /^[0-9a-f]{32}$/);

const BY_TYPE: Record<CallMessage['type'], Decoder<CallMessage>> = {
  ring: object({ type: oneOf('ring'), callId, media: oneOf('audio', 'video') }),
  accept: object({ type: oneOf('accept'), callId }),
  decline: object({ type: oneOf('decline'), callId }),
  busy: object({ type: oneOf('busy'), callId }),
  hangup: object({ type: oneOf('hangup'), callId }),
  offer: object({ type: oneOf('offer'), callId, sdp: str(MAX_SDP_LENGTH) }),
  answer: object({ type: oneOf('answer'), callId, sdp: str(MAX_SDP_LENGTH) }),
  ice: object({ type: oneOf('ice'), callId, candidate: str(MAX_CANDIDATE_LENGTH) }),
};

export const callMessage: Decoder<CallMessage> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  const d = typeof t === 'string' && Object.prototype.hasOwnProperty.call(BY_TYPE, t) ? BY_TYPE[t as CallMessage['type']] : undefined;
  if (!d) invalid(`${p}.type`, 'unknown call message type');
  return d(v, p);
};

export const callContent = object({ ...header, kind: oneOf('call'), call: callMessage });
