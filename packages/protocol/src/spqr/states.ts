/**
 * The SPQR V1 braid (spqr `v1/chunked/states.rs` and `v1/unchunked/`): eleven states in
 * two roles, which swap every epoch.
 *
 * send_ek role (A starts here, epoch 1):
 *   keysUnsampled -send-> keysSampled (sends header chunks: ML-KEM-768 header ‖ its MAC)
 *   keysSampled -recv ct1 chunk-> headerSent (starts sending ek chunks, collects ct1)
 *   headerSent -ct1 complete-> ct1Received (acks ct1 with every ek chunk)
 *   ct1Received -recv ct2 chunk-> ekSentCt1Received (collects ct2 ‖ MAC)
 *   ekSentCt1Received -ct2 complete, MAC ok-> noHeaderReceived at epoch + 1 (the other role),
 *     yielding the epoch secret
 * send_ct role (B starts here, epoch 1):
 *   noHeaderReceived -header complete, MAC ok-> headerReceived
 *   headerReceived -send-> ct1Sampled (encapsulates against the header: epoch secret now)
 *   ct1Sampled -ek complete-> ekReceivedCt1Sampled, -ack-> ct1Acknowledged, -both-> ct2Sampled
 *   ekReceivedCt1Sampled -ack-> ct2Sampled; ct1Acknowledged -ek complete-> ct2Sampled
 *   ct2Sampled -message of epoch + 1-> keysUnsampled at epoch + 1 (the other role)
 * Epoch secret: HKDF(0^32, ML-KEM shared secret, "Signal_PQCKA_V1_MLKEM768:SCKA Key" ‖ BE64(e), 32).
 *
 * A message from a later epoch than the state's is refused (except the one step
 * ct2Sampled takes); earlier epochs and payloads a state does not expect change nothing.
 * States are immutable values; every transition returns a new one.
 */
import { backend } from '#backend';
import { InvalidMessage } from '../errors.ts';
import { be64, concat, utf8 } from '../internal/bytes.ts';
import { Authenticator, MAC_SIZE } from './authenticator.ts';
import { PolyDecoder, PolyEncoder } from './erasure.ts';
import type { Chunk, Payload } from './message.ts';
import * as kem from './mlkem768.ts';

const ZERO_SALT = new Uint8Array(32);
const SCKA_KEY = utf8('Signal_PQCKA_V1_MLKEM768:SCKA Key');

interface Base {
  readonly epoch: number;
  readonly auth: Authenticator;
}

export type V1State =
  // send_ek role
  | (Base & { readonly kind: 'keysUnsampled' })
  | (Base & { readonly kind: 'keysSampled'; readonly ek: Uint8Array; readonly dk: Uint8Array; readonly sendingHdr: PolyEncoder })
  | (Base & { readonly kind: 'headerSent'; readonly dk: Uint8Array; readonly sendingEk: PolyEncoder; readonly receivingCt1: PolyDecoder })
  | (Base & { readonly kind: 'ct1Received'; readonly dk: Uint8Array; readonly ct1: Uint8Array; readonly sendingEk: PolyEncoder })
  | (Base & { readonly kind: 'ekSentCt1Received'; readonly dk: Uint8Array; readonly ct1: Uint8Array; readonly receivingCt2: PolyDecoder })
  // send_ct role
  | (Base & { readonly kind: 'noHeaderReceived'; readonly receivingHdr: PolyDecoder })
  | (Base & { readonly kind: 'headerReceived'; readonly hdr: Uint8Array; readonly receivingEk: PolyDecoder })
  | (Base & {
      readonly kind: 'ct1Sampled';
      readonly hdr: Uint8Array;
      /** libcrux's serialized encapsulation state (kept as bytes so records round-trip exactly). */
      readonly es: Uint8Array;
      readonly ct1: Uint8Array;
      readonly sendingCt1: PolyEncoder;
      readonly receivingEk: PolyDecoder;
    })
  | (Base & { readonly kind: 'ekReceivedCt1Sampled'; readonly es: Uint8Array; readonly ek: Uint8Array; readonly ct1: Uint8Array; readonly sendingCt1: PolyEncoder })
  | (Base & { readonly kind: 'ct1Acknowledged'; readonly hdr: Uint8Array; readonly es: Uint8Array; readonly ct1: Uint8Array; readonly receivingEk: PolyDecoder })
  | (Base & { readonly kind: 'ct2Sampled'; readonly sendingCt2: PolyEncoder });

export type V1StateKind = V1State['kind'];

/** A secret that starts braid epoch `epoch` of the key chain. */
export interface EpochSecret {
  readonly epoch: number;
  readonly secret: Uint8Array;
}

export interface SentMessage {
  readonly epoch: number;
  readonly payload: Payload;
}

/** Sizes of the erasure-coded messages. */
export const HEADER_WITH_MAC = kem.HEADER_SIZE + MAC_SIZE; // 96
export const CT2_WITH_MAC = kem.CIPHERTEXT2_SIZE + MAC_SIZE; // 160

/** Where A starts. */
export function initA(authKey: Uint8Array): V1State {
  return { kind: 'keysUnsampled', epoch: 1, auth: Authenticator.create(authKey, 1) };
}

/** Where B starts. */
export function initB(authKey: Uint8Array): V1State {
  return { kind: 'noHeaderReceived', epoch: 1, auth: Authenticator.create(authKey, 1), receivingHdr: PolyDecoder.create(HEADER_WITH_MAC) };
}

function epochSecret(epoch: number, sharedSecret: Uint8Array): Uint8Array {
  return backend.hkdfSha256(sharedSecret, ZERO_SALT, concat(SCKA_KEY, be64(BigInt(epoch))), 32);
}

/** Randomness the state machine draws; injected so tests can replay a run. */
export interface SpqrRandom {
  /** 64 bytes for an ML-KEM-768 key pair. */
  keySeed(): Uint8Array;
  /** 32 bytes of encapsulation randomness. */
  encapsulationSeed(): Uint8Array;
}

export const systemRandom: SpqrRandom = {
  keySeed: () => backend.randomBytes(64),
  encapsulationSeed: () => backend.randomBytes(32),
};

/** What the state sends next; `key` is set when sending starts a new epoch (send_ct role). */
export function send(s: V1State, rng: SpqrRandom = systemRandom): { state: V1State; msg: SentMessage; key?: EpochSecret } {
  const { epoch, auth } = s;
  const msg = (payload: Payload): SentMessage => ({ epoch, payload });
  switch (s.kind) {
    case 'keysUnsampled': {
      const keys = kem.generate(rng.keySeed());
      const mac = auth.macHeader(epoch, keys.header);
      const { chunk, next } = PolyEncoder.encode(concat(keys.header, mac)).nextChunk();
      return {
        state: { kind: 'keysSampled', epoch, auth, ek: keys.encapsulationKey, dk: keys.decapsulationKey, sendingHdr: next },
        msg: msg({ type: 'hdr', chunk }),
      };
    }
    case 'keysSampled': {
      const { chunk, next } = s.sendingHdr.nextChunk();
      return { state: { ...s, sendingHdr: next }, msg: msg({ type: 'hdr', chunk }) };
    }
    case 'headerSent': {
      const { chunk, next } = s.sendingEk.nextChunk();
      return { state: { ...s, sendingEk: next }, msg: msg({ type: 'ek', chunk }) };
    }
    case 'ct1Received': {
      const { chunk, next } = s.sendingEk.nextChunk();
      return { state: { ...s, sendingEk: next }, msg: msg({ type: 'ekCt1Ack', chunk }) };
    }
    case 'ekSentCt1Received':
      return { state: s, msg: msg({ type: 'ct1Ack' }) };
    case 'noHeaderReceived':
      return { state: s, msg: msg({ type: 'none' }) };
    case 'headerReceived': {
      const enc = kem.encaps1(s.hdr, rng.encapsulationSeed());
      const secret = epochSecret(epoch, enc.sharedSecret);
      const { chunk, next } = PolyEncoder.encode(enc.ct1).nextChunk();
      return {
        state: {
          kind: 'ct1Sampled',
          epoch,
          auth: auth.update(epoch, secret),
          hdr: s.hdr,
          es: kem.serializeEncapsulationState(enc.state),
          ct1: enc.ct1,
          sendingCt1: next,
          receivingEk: s.receivingEk,
        },
        msg: msg({ type: 'ct1', chunk }),
        key: { epoch, secret },
      };
    }
    case 'ct1Sampled': {
      const { chunk, next } = s.sendingCt1.nextChunk();
      return { state: { ...s, sendingCt1: next }, msg: msg({ type: 'ct1', chunk }) };
    }
    case 'ekReceivedCt1Sampled': {
      const { chunk, next } = s.sendingCt1.nextChunk();
      return { state: { ...s, sendingCt1: next }, msg: msg({ type: 'ct1', chunk }) };
    }
    case 'ct1Acknowledged':
      return { state: s, msg: msg({ type: 'none' }) };
    case 'ct2Sampled': {
      const { chunk, next } = s.sendingCt2.nextChunk();
      return { state: { ...s, sendingCt2: next }, msg: msg({ type: 'ct2', chunk }) };
    }
  }
}

function outOfRange(epoch: number): InvalidMessage {
  return new InvalidMessage(`post-quantum ratchet: message epoch ${epoch} is ahead of this session`);
}

function chunkOf(p: Payload, ...types: Payload['type'][]): Chunk | undefined {
  return 'chunk' in p && types.includes(p.type) ? p.chunk : undefined;
}

/** send_ct's last step once it has both the encapsulation key and the ack: ct2 ‖ MAC(ct1 ‖ ct2). */
function sendCt2(epoch: number, auth: Authenticator, es: Uint8Array, ek: Uint8Array, ct1: Uint8Array): V1State {
  const ct2 = kem.encaps2(ek, kem.deserializeEncapsulationState(es));
  const mac = auth.macCiphertext(epoch, concat(ct1, ct2));
  return { kind: 'ct2Sampled', epoch, auth, sendingCt2: PolyEncoder.encode(concat(ct2, mac)) };
}

function checkEk(ek: Uint8Array, hdr: Uint8Array): void {
  if (!kem.encapsulationKeyMatchesHeader(ek, hdr)) {
    throw new InvalidMessage('post-quantum ratchet: the encapsulation key does not match its header');
  }
}

/**
 * The state after receiving `msg`; `key` is set when receiving completes an epoch (send_ek
 * role). Throws InvalidMessage for an epoch too far ahead or a failed MAC.
 */
export function recv(s: V1State, msg: SentMessage): { state: V1State; key?: EpochSecret } {
  const { epoch, auth } = s;
  if (msg.epoch > epoch) {
    if (s.kind === 'ct2Sampled' && msg.epoch === epoch + 1) {
      return { state: { kind: 'keysUnsampled', epoch: epoch + 1, auth } };
    }
    throw outOfRange(msg.epoch);
  }
  if (msg.epoch < epoch) return { state: s };
  const p = msg.payload;
  switch (s.kind) {
    case 'keysUnsampled':
    case 'headerReceived':
    case 'ct2Sampled':
      return { state: s };
    case 'keysSampled': {
      const chunk = chunkOf(p, 'ct1');
      if (!chunk) return { state: s };
      return {
        state: {
          kind: 'headerSent',
          epoch,
          auth,
          dk: s.dk,
          sendingEk: PolyEncoder.encode(s.ek),
          receivingCt1: PolyDecoder.create(kem.CIPHERTEXT1_SIZE).addChunk(chunk),
        },
      };
    }
    case 'headerSent': {
      const chunk = chunkOf(p, 'ct1');
      if (!chunk) return { state: s };
      const receivingCt1 = s.receivingCt1.addChunk(chunk);
      const ct1 = receivingCt1.decodedMessage();
      if (!ct1) return { state: { ...s, receivingCt1 } };
      return { state: { kind: 'ct1Received', epoch, auth, dk: s.dk, ct1, sendingEk: s.sendingEk } };
    }
    case 'ct1Received': {
      const chunk = chunkOf(p, 'ct2');
      if (!chunk) return { state: s };
      return {
        state: { kind: 'ekSentCt1Received', epoch, auth, dk: s.dk, ct1: s.ct1, receivingCt2: PolyDecoder.create(CT2_WITH_MAC).addChunk(chunk) },
      };
    }
    case 'ekSentCt1Received': {
      const chunk = chunkOf(p, 'ct2');
      if (!chunk) return { state: s };
      const receivingCt2 = s.receivingCt2.addChunk(chunk);
      const decoded = receivingCt2.decodedMessage();
      if (!decoded) return { state: { ...s, receivingCt2 } };
      const ct2 = decoded.subarray(0, kem.CIPHERTEXT2_SIZE);
      const mac = decoded.subarray(kem.CIPHERTEXT2_SIZE);
      const secret = epochSecret(epoch, kem.decaps(s.dk, s.ct1, ct2));
      const next = auth.update(epoch, secret);
      if (!next.verifyCiphertext(epoch, concat(s.ct1, ct2), mac)) {
        throw new InvalidMessage('post-quantum ratchet: ciphertext MAC verification failed');
      }
      return {
        state: { kind: 'noHeaderReceived', epoch: epoch + 1, auth: next, receivingHdr: PolyDecoder.create(HEADER_WITH_MAC) },
        key: { epoch, secret },
      };
    }
    case 'noHeaderReceived': {
      const chunk = chunkOf(p, 'hdr');
      if (!chunk) return { state: s };
      const receivingHdr = s.receivingHdr.addChunk(chunk);
      const decoded = receivingHdr.decodedMessage();
      if (!decoded) return { state: { ...s, receivingHdr } };
      const hdr = decoded.slice(0, kem.HEADER_SIZE);
      if (!auth.verifyHeader(epoch, hdr, decoded.subarray(kem.HEADER_SIZE))) {
        throw new InvalidMessage('post-quantum ratchet: header MAC verification failed');
      }
      return { state: { kind: 'headerReceived', epoch, auth, hdr, receivingEk: PolyDecoder.create(kem.ENCAPSULATION_KEY_SIZE) } };
    }
    case 'ct1Sampled': {
      const chunk = chunkOf(p, 'ek', 'ekCt1Ack');
      if (!chunk) return { state: s };
      const ack = p.type === 'ekCt1Ack';
      const receivingEk = s.receivingEk.addChunk(chunk);
      const ek = receivingEk.decodedMessage();
      if (ek) {
        checkEk(ek, s.hdr);
        if (ack) return { state: sendCt2(epoch, auth, s.es, ek, s.ct1) };
        return { state: { kind: 'ekReceivedCt1Sampled', epoch, auth, es: s.es, ek, ct1: s.ct1, sendingCt1: s.sendingCt1 } };
      }
      if (ack) return { state: { kind: 'ct1Acknowledged', epoch, auth, hdr: s.hdr, es: s.es, ct1: s.ct1, receivingEk } };
      return { state: { ...s, receivingEk } };
    }
    case 'ekReceivedCt1Sampled':
      if (p.type === 'ct1Ack' || p.type === 'ekCt1Ack') return { state: sendCt2(epoch, auth, s.es, s.ek, s.ct1) };
      return { state: s };
    case 'ct1Acknowledged': {
      // In order, no ek chunk comes after the first ack; out of order, they still help.
      const chunk = chunkOf(p, 'ek', 'ekCt1Ack');
      if (!chunk) return { state: s };
      const receivingEk = s.receivingEk.addChunk(chunk);
      const ek = receivingEk.decodedMessage();
      if (!ek) return { state: { ...s, receivingEk } };
      checkEk(ek, s.hdr);
      return { state: sendCt2(epoch, auth, s.es, ek, s.ct1) };
    }
  }
}
