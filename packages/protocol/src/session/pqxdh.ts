/**
 * PQXDH session agreement exactly as libsignal 0.90 (`ratchet.rs`):
 *   IKM = 0xFF×32 ‖ DH(IK_A, SPK_B) ‖ DH(EK_A, IK_B) ‖ DH(EK_A, SPK_B) [‖ DH(EK_A, OPK_B)] ‖ KEM secret
 *   HKDF-SHA256(no salt, IKM, "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024", 96)
 *     -> root key ‖ chain key ‖ SPQR auth key.
 * Alice immediately turns the ratchet with a fresh key against Bob's signed
 * prekey; Bob's first sending chain uses his signed prekey pair. Both start the
 * SPQR ratchet (`spqr/`) from the auth key, as `SpqrMode` says (libsignal 0.92+:
 * V1 required; 0.90: V1 with fallback to none).
 */
import { backend } from '#backend';
import type { KeyPair, PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidMessage } from '../errors.ts';
import type { IdentityKeyPair } from '../identity-key.ts';
import { concat, utf8 } from '../internal/bytes.ts';
import type { KemKeyPair, KemPublicKey } from '../kem.ts';
import { KeyPair as KP } from '../curve.ts';
import { initialSpqrState, type SpqrState } from '../spqr/ratchet.ts';
import { CIPHERTEXT_MESSAGE_CURRENT_VERSION } from './messages.ts';
import { createChain } from './ratchet-keys.ts';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, SessionState } from './session-state.ts';

const PQXDH_INFO = utf8('WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024');
const DISCONTINUITY = new Uint8Array(32).fill(0xff);

function deriveKeys(secrets: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array; pqrKey: Uint8Array } {
  const okm = backend.hkdfSha256(secrets, undefined, PQXDH_INFO, 96);
  return { rootKey: okm.subarray(0, 32), chainKey: okm.subarray(32, 64), pqrKey: okm.slice(64, 96) };
}

/**
 * Which post-quantum ratchet (SPQR) a new session runs:
 * - `'required'` (the default, as libsignal 0.92 and later): SPQR V1 from the first
 *   message; a peer without it is refused with SpqrRequired;
 * - `'optional'` (as libsignal 0.90): SPQR V1 offered, and the session falls back to
 *   none (V0) when the peer's first message has none;
 * - `'off'` (V0): no SPQR; libsignal 0.90 downgrades to it, 0.92 and later refuse it.
 */
export type SpqrMode = 'required' | 'optional' | 'off';

/** Options for starting a session (initiator and responder side). */
export interface SessionOptions {
  readonly spqr?: SpqrMode;
}

const SPQR_MODES: readonly SpqrMode[] = ['required', 'optional', 'off'];

/** SPQR's forward jump in a session with oneself: `u32::MAX`, as libsignal's `spqr_chain_params` sets it for a self connection. */
export const SELF_SESSION_MAX_JUMP = 0xffffffff;

/** The SPQR state a new session starts with, as libsignal's `spqr_chain_params` configures it. */
function spqrState(mode: SpqrMode | undefined, authKey: Uint8Array, role: 'alice' | 'bob', selfSession: boolean): SpqrState {
  const m = mode ?? 'required';
  if (!SPQR_MODES.includes(m)) throw new InvalidArgument(`session options: spqr must be one of ${SPQR_MODES.join(', ')}, got ${String(mode)}`);
  return initialSpqrState({
    direction: role === 'alice' ? 'a2b' : 'b2a',
    version: m === 'off' ? 0 : 1,
    minVersion: m === 'required' ? 1 : 0,
    authKey,
    // Why explicit values: libsignal stores them so, and records stay byte-identical.
    chainParams: { maxJump: selfSession ? SELF_SESSION_MAX_JUMP : MAX_FORWARD_JUMPS, maxOooKeys: MAX_MESSAGE_KEYS },
  });
}

/** The initiator's inputs: our identity and fresh base key, the peer's bundle keys. */
export interface AliceParameters {
  ourIdentity: IdentityKeyPair;
  ourBaseKey: KeyPair;
  theirIdentity: PublicKey;
  theirSignedPreKey: PublicKey;
  theirOneTimePreKey: PublicKey | undefined;
  theirRatchetKey: PublicKey;
  theirKyberPreKey: KemPublicKey;
  spqr?: SpqrMode | undefined;
}

/** The initiator's session, its sending chain already turned; returns the Kyber ciphertext to send. */
export function initializeAliceSession(p: AliceParameters): { state: SessionState; kyberCiphertext: Uint8Array } {
  const parts = [
    DISCONTINUITY,
    p.ourIdentity.privateKey.agree(p.theirSignedPreKey),
    p.ourBaseKey.privateKey.agree(p.theirIdentity),
    p.ourBaseKey.privateKey.agree(p.theirSignedPreKey),
  ];
  if (p.theirOneTimePreKey) parts.push(p.ourBaseKey.privateKey.agree(p.theirOneTimePreKey));
  const { sharedSecret, ciphertext } = p.theirKyberPreKey.encapsulate();
  parts.push(sharedSecret);
  const { rootKey, chainKey, pqrKey } = deriveKeys(concat(...parts));

  const sendingRatchetKey = KP.generate();
  const sending = createChain(rootKey, p.theirRatchetKey, sendingRatchetKey.privateKey);
  const state = new SessionState(
    CIPHERTEXT_MESSAGE_CURRENT_VERSION,
    p.ourIdentity.publicKey,
    p.theirIdentity,
    sending.rootKey,
    p.ourBaseKey.publicKey.serialize(),
  );
  state.spqr = spqrState(p.spqr, pqrKey, 'alice', p.ourIdentity.publicKey.equals(p.theirIdentity));
  state.addReceiverChain(p.theirRatchetKey, { key: chainKey, index: 0 });
  state.senderChain = {
    ratchetKey: sendingRatchetKey.publicKey,
    ratchetPrivateKey: sendingRatchetKey.privateKey,
    chainKey: sending.chainKey,
  };
  return { state, kyberCiphertext: ciphertext };
}

/** The responder's inputs: our identity and prekeys, the peer's identity, base key and Kyber ciphertext. */
export interface BobParameters {
  ourIdentity: IdentityKeyPair;
  ourSignedPreKey: KeyPair;
  ourOneTimePreKey: KeyPair | undefined;
  ourRatchetKey: KeyPair;
  ourKyberPreKey: KemKeyPair;
  theirIdentity: PublicKey;
  theirBaseKey: PublicKey;
  theirKyberCiphertext: Uint8Array;
  spqr?: SpqrMode | undefined;
}

/** The responder's session; rejects a non-canonical base key with InvalidMessage. */
export function initializeBobSession(p: BobParameters): SessionState {
  // Why: libsignal rejects non-canonical / small-subgroup base keys before any DH.
  if (!p.theirBaseKey.isCanonical()) throw new InvalidMessage('prekey message: incoming base key is invalid');
  const parts = [
    DISCONTINUITY,
    p.ourSignedPreKey.privateKey.agree(p.theirIdentity),
    p.ourIdentity.privateKey.agree(p.theirBaseKey),
    p.ourSignedPreKey.privateKey.agree(p.theirBaseKey),
  ];
  if (p.ourOneTimePreKey) parts.push(p.ourOneTimePreKey.privateKey.agree(p.theirBaseKey));
  parts.push(p.ourKyberPreKey.secretKey.decapsulate(p.theirKyberCiphertext));
  const { rootKey, chainKey, pqrKey } = deriveKeys(concat(...parts));
  const state = new SessionState(
    CIPHERTEXT_MESSAGE_CURRENT_VERSION,
    p.ourIdentity.publicKey,
    p.theirIdentity,
    rootKey.slice(),
    p.theirBaseKey.serialize(),
  );
  state.spqr = spqrState(p.spqr, pqrKey, 'bob', p.ourIdentity.publicKey.equals(p.theirIdentity));
  state.senderChain = {
    ratchetKey: p.ourRatchetKey.publicKey,
    ratchetPrivateKey: p.ourRatchetKey.privateKey,
    chainKey: { key: chainKey, index: 0 },
  };
  return state;
}
