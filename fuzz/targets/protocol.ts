/**
 * Targets for @parley/protocol: every message and key decoder, the records it
 * stores, and the stateful decrypt paths. The typed rejection is a ProtocolError
 * other than InvalidArgument (which means the package called itself wrongly: a
 * bug, not a verdict on the input).
 *
 * Stateful targets (`*-decrypt`) restore the receiving device from the corpus's
 * `state.json` for each input, run the real decrypt over the in-memory reference
 * stores, and when the input is rejected compare a snapshot of every record
 * before and after: a rejected message must leave nothing behind.
 */
import { join } from 'node:path';
import {
  createFingerprint,
  groupDecrypt,
  IdentityKeyPair,
  InvalidArgument,
  KemPublicKey,
  KyberPreKeyRecord,
  PreKeyRecord,
  PreKeySignalMessage,
  ProtocolError,
  PublicKey,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  SealedSenderMultiRecipientMessage,
  SenderCertificate,
  SenderKeyDistributionMessage,
  SenderKeyMessage,
  SenderKeyRecord,
  ServerCertificate,
  SessionRecord,
  SignalMessage,
  signalDecrypt,
  signalDecryptPreKey,
  SignedPreKeyRecord,
  UnidentifiedSenderMessageContent,
} from '@parley/protocol';
// Why an internal module: the SPQR state is stored inside a session record's field 15 and
// decoded only when the session is next used; no public function takes it on its own.
import { decodeState, encodeState } from '../../packages/protocol/src/spqr/state-codec.ts';
import { StateChanged, type Run, type Target } from '../lib/target.ts';
import { address, fromHex, parseState, readState, restore, snapshot, type Restored } from '../lib/state.ts';

const typed = (e: unknown) => e instanceof ProtocolError && !(e instanceof InvalidArgument);

function decoder(name: string, what: string, decode: (b: Uint8Array) => unknown, framing: { head?: number; tail?: number } = {}, format: 'proto' | 'bytes' = 'proto'): Target {
  return { name, what, format, ...framing, typed, setup: () => decode };
}

/** Runs `step` on state restored for this input; a rejection must leave the snapshot as it was. */
async function statefulRun(dir: string, step: (r: Restored, input: Uint8Array, extra: Record<string, string>) => Promise<unknown>): Promise<Run> {
  const saved = readState(join(dir, 'state.json'));
  const parsed = parseState(saved);
  return async (input) => {
    const r = await restore(saved, parsed);
    const before = snapshot(r);
    try {
      await step(r, input, saved.extra);
    } catch (e) {
      const after = snapshot(r);
      if (after !== before) throw new StateChanged(`rejected with ${e instanceof Error ? e.name : String(e)}, but the stores changed`);
      throw e;
    }
  };
}

export const protocolTargets: Target[] = [
  decoder('protocol.signal-message', 'SignalMessage from a peer (version byte, protobuf, 8-byte MAC)', (b) => SignalMessage.deserialize(b), { head: 1, tail: 8 }),
  decoder('protocol.prekey-signal-message', 'PreKeySignalMessage from anyone who fetched our bundle', (b) => PreKeySignalMessage.deserialize(b), { head: 1 }),
  decoder('protocol.sender-key-message', 'SenderKeyMessage from a group member (version, protobuf, 64-byte signature)', (b) => SenderKeyMessage.deserialize(b), { head: 1, tail: 64 }),
  decoder('protocol.sender-key-distribution-message', 'SenderKeyDistributionMessage inside group-keys content', (b) => SenderKeyDistributionMessage.deserialize(b), { head: 1 }),
  decoder('protocol.unidentified-sender-message-content', 'sealed sender content once opened', (b) => UnidentifiedSenderMessageContent.deserialize(b)),
  decoder('protocol.sender-certificate', 'a sender certificate (inside sealed sender)', (b) => SenderCertificate.deserialize(b)),
  decoder('protocol.server-certificate', 'a server certificate (inside a sender certificate)', (b) => ServerCertificate.deserialize(b)),
  decoder('protocol.public-key', 'an EC public key (bundles, messages, safety numbers)', (b) => PublicKey.deserialize(b), {}, 'bytes'),
  decoder('protocol.kem-public-key', 'a KEM (ML-KEM-1024) public key from a bundle', (b) => KemPublicKey.deserialize(b), {}, 'bytes'),
  decoder('protocol.session-record', 'a stored session record (storage, restored backups)', (b) => SessionRecord.deserialize(b).remoteRegistrationId()),
  decoder('protocol.spqr-state', "a session's stored post-quantum ratchet state (spqr's PqRatchetState, field 15 of a session record), decoded when the session is used", (b) => encodeState(decodeState(b))),
  decoder('protocol.sender-key-record', 'a stored sender-key record', (b) => SenderKeyRecord.deserialize(b)),
  decoder('protocol.prekey-record', 'a stored one-time prekey record', (b) => PreKeyRecord.deserialize(b)),
  decoder('protocol.signed-prekey-record', 'a stored signed prekey record', (b) => SignedPreKeyRecord.deserialize(b)),
  decoder('protocol.kyber-prekey-record', 'a stored Kyber prekey record', (b) => KyberPreKeyRecord.deserialize(b)),
  decoder('protocol.identity-key-pair', 'a stored identity key pair (and the provisioning message\'s identity)', (b) => IdentityKeyPair.deserialize(b)),
  {
    name: 'protocol.sealed-sender-v1',
    what: 'a sealed sender v1 envelope opened with our identity (ephemeral key, two AES-CTR+HMAC layers, certificate)',
    format: 'proto',
    head: 1,
    typed,
    setup: (dir) => {
      const ours = IdentityKeyPair.deserialize(fromHex(readState(join(dir, 'state.json')).identity));
      return (b) => sealedSenderDecryptToUsmc(b, ours);
    },
  },
  {
    name: 'protocol.sealed-sender-v2-sent',
    what: "the server's split of a multi-recipient sealed message from an anonymous sender (recipient list, device lists, per-recipient parts)",
    format: 'bytes',
    typed,
    setup: () => (b) => {
      const m = SealedSenderMultiRecipientMessage.parse(b);
      m.excludedRecipients();
      for (const id of m.recipients().keys()) m.messageForRecipient(id);
    },
  },
  {
    name: 'protocol.scannable-fingerprint',
    what: 'a safety-number QR code scanned from the other person\'s screen, compared with ours',
    format: 'proto',
    typed,
    setup: (dir) => {
      const x = readState(join(dir, 'state.json')).extra;
      const ours = createFingerprint({
        iterations: 2,
        localIdentifier: fromHex(x.localIdentifier!),
        localKey: PublicKey.deserialize(fromHex(x.localKey!)),
        remoteIdentifier: fromHex(x.remoteIdentifier!),
        remoteKey: PublicKey.deserialize(fromHex(x.remoteKey!)),
      });
      return (b) => ours.scannable.compare(b);
    },
  },
  {
    name: 'protocol.session-decrypt',
    what: 'signalDecrypt of a SignalMessage over an established session (stateful: a rejection changes no record)',
    format: 'proto',
    head: 1,
    tail: 8,
    typed,
    setup: (dir) => statefulRun(dir, async (r, b, x) => signalDecrypt(SignalMessage.deserialize(b), address(x.sender!), r.store, r.store)),
  },
  {
    name: 'protocol.session-decrypt-prekey',
    what: 'signalDecryptPreKey of a PreKeySignalMessage against our prekeys (stateful)',
    format: 'proto',
    head: 1,
    typed,
    setup: (dir) => statefulRun(dir, async (r, b, x) => signalDecryptPreKey(PreKeySignalMessage.deserialize(b), address(x.sender!), r.store, r.store, r.store, r.store, r.store)),
  },
  {
    name: 'protocol.group-decrypt',
    what: 'groupDecrypt of a SenderKeyMessage with the sender\'s key stored (stateful)',
    format: 'proto',
    head: 1,
    tail: 64,
    typed,
    setup: (dir) => statefulRun(dir, async (r, b, x) => groupDecrypt(address(x.sender!), r.senderKeys, b)),
  },
  {
    name: 'protocol.sealed-sender-decrypt',
    what: 'sealedSenderDecryptMessage: open, validate the certificate, decrypt the inner message (stateful)',
    format: 'proto',
    head: 1,
    typed,
    setup: (dir) =>
      statefulRun(dir, async (r, b, x) =>
        sealedSenderDecryptMessage(b, PublicKey.deserialize(fromHex(x.trustRoot!)), Number(x.now), null, x.localUuid!, 1, {
          sessionStore: r.store,
          identityStore: r.store,
          preKeyStore: r.store,
          signedPreKeyStore: r.store,
          kyberPreKeyStore: r.store,
        }),
      ),
  },
  {
    name: 'protocol.sealed-sender-v2-decrypt',
    what: 'sealedSenderDecryptMessage of a sealed sender v2 received message (C, AT, E, AES-GCM-SIV content), the server-split part of a multi-recipient message (stateful)',
    format: 'bytes',
    typed,
    setup: (dir) =>
      statefulRun(dir, async (r, b, x) =>
        sealedSenderDecryptMessage(b, PublicKey.deserialize(fromHex(x.trustRoot!)), Number(x.now), null, x.localUuid!, 1, {
          sessionStore: r.store,
          identityStore: r.store,
          preKeyStore: r.store,
          signedPreKeyStore: r.store,
          kyberPreKeyStore: r.store,
        }),
      ),
  },
];
