// The group, device and provisioning schemas, and the frames that carry them:
// what a valid value looks like, and that anything else is a WireError.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeJson, type Decoder } from '../decode.ts';
import { WireError } from '../errors.ts';
import * as schemas from './index.ts';
import { LIMITS } from '../limits.ts';

const A = '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
const B = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const G = '00112233445566778899aabbccddeeff';
const b64 = (n: number, fill = 1) => Buffer.alloc(n, fill).toString('base64');

function rejects(decoder: Decoder<unknown>, v: unknown): void {
  expect(() => decoder(v, '')).toThrow(WireError);
}

describe('group schemas', () => {
  it('a group answer decodes; members carry their devices; bounds hold', () => {
    const group = {
      groupId: G,
      revision: 3,
      encryptedAttributes: b64(60),
      members: [
        { accountId: A, username: 'alice', role: 'admin', devices: [{ deviceId: 1, registrationId: 7 }, { deviceId: 2, registrationId: 9 }] },
        { accountId: B, username: 'bob', role: 'member', devices: [{ deviceId: 1, registrationId: 8 }] },
      ],
    };
    const g = schemas.groupResponse(group, '');
    expect(g.members[0]!.devices.map((d) => d.deviceId)).toEqual([1, 2]);
    rejects(schemas.groupResponse, { ...group, groupId: G.toUpperCase() });
    rejects(schemas.groupResponse, { ...group, members: [] });
    rejects(schemas.groupResponse, { ...group, members: [{ ...group.members[0], role: 'owner' }] });
    rejects(schemas.groupResponse, { ...group, encryptedAttributes: b64(LIMITS.maxGroupAttributesBytes + 1) });
    rejects(schemas.groupResponse, { ...group, members: [{ ...group.members[0], devices: Array.from({ length: 7 }, (_, i) => ({ deviceId: i + 1, registrationId: 1 })) }] });
  });

  it('create, update and send requests accept what the docs say and nothing else', () => {
    expect(schemas.createGroupRequest({ groupId: G, encryptedAttributes: b64(40), members: [B] }, '').members).toEqual([B]);
    rejects(schemas.createGroupRequest, { groupId: G, encryptedAttributes: b64(40), members: Array.from({ length: 1024 }, () => B) });
    rejects(schemas.createGroupRequest, { groupId: G, encryptedAttributes: b64(40), members: ['bob'] });
    expect(schemas.updateGroupRequest({ addMembers: [B], expectedRevision: 2 }, '')).toEqual({ addMembers: [B], expectedRevision: 2 });
    rejects(schemas.updateGroupRequest, { addMembers: [B], owner: A });
    const send = { timestamp: 5, content: b64(100), recipients: [{ accountId: B, devices: [{ deviceId: 1, registrationId: 8 }] }] };
    expect(schemas.groupSendRequest(send, '').recipients).toHaveLength(1);
    rejects(schemas.groupSendRequest, { ...send, recipients: [{ accountId: B, devices: [] }] });
    rejects(schemas.groupSendRequest, { ...send, content: '' });
  });

  it('group envelopes name their group, 1:1 envelopes do not', () => {
    const env = { type: 'envelope', id: 1, sourceAccountId: A, sourceUsername: 'alice', sourceDeviceId: 1, timestamp: 1, serverTimestamp: 2, content: 'AAAA', ephemeral: false };
    expect(schemas.serverFrame({ ...env, messageType: 'senderkey', groupId: G }, '')).toMatchObject({ groupId: G });
    expect(schemas.serverFrame({ ...env, messageType: 'whisper' }, '')).toMatchObject({ messageType: 'whisper' });
    rejects(schemas.serverFrame, { ...env, messageType: 'senderkey' });
    rejects(schemas.serverFrame, { ...env, messageType: 'group-update' });
    rejects(schemas.serverFrame, { ...env, messageType: 'whisper', groupId: G });
    rejects(schemas.serverFrame, { ...env, messageType: 'plaintext' });
    const update = schemas.groupUpdateEvent({ groupId: G, revision: 4, actor: A, removed: [B] }, '');
    expect(update.removed).toEqual([B]);
  });
});

describe('device and provisioning schemas', () => {
  it('link requests, device lists and provisioning messages decode with their bounds', () => {
    const link = {
      linkToken: b64(32),
      password: b64(32, 2),
      registrationId: 99,
      signedPreKey: { keyId: 1, publicKey: b64(33), signature: b64(64) },
      pqLastResortPreKey: { keyId: 1, publicKey: b64(1569), signature: b64(64) },
      encryptedName: b64(40),
    };
    expect(schemas.linkDeviceRequest(link, '').registrationId).toBe(99);
    rejects(schemas.linkDeviceRequest, { ...link, linkToken: b64(31) });
    rejects(schemas.linkDeviceRequest, { ...link, encryptedName: b64(LIMITS.maxDeviceNameBytes + 1) });
    expect(schemas.deviceListResponse({ devices: [{ deviceId: 1, createdAt: 1, lastSeenAt: 2 }] }, '').devices).toHaveLength(1);
    rejects(schemas.deviceListResponse, { devices: [] });
    expect(schemas.openChannelResponse({ channelId: 'abcdefghjk', readToken: b64(32), expiresAt: 1 }, '').channelId).toBe('abcdefghjk');
    for (const bad of ['abcdefghj', 'ABCDEFGHJK', 'abcdefghjl', 'abcdefgh01']) rejects(schemas.channelId, bad);
    rejects(schemas.provisioningMessageRequest, { message: b64(LIMITS.maxProvisioningMessageBytes + 1) });
  });

  it('keys named like Object.prototype members are unknown fields, not inherited ones', () => {
    for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(() => decodeJson(`{"publicKey":"${b64(33)}","${k}":1}`, schemas.openChannelRequest, 1e4)).toThrow(/unknown field/);
    }
    // A required field is never satisfied by the prototype chain.
    expect(() => schemas.accountLookupResponse(Object.create({ accountId: A, username: 'alice' }), '')).toThrow(WireError);
  });
});

describe('every decoder', () => {
  const decoders = Object.entries(schemas).filter(([name, v]) => typeof v === 'function' && !/^[A-Z]/.test(name) && name !== 'invalid') as Array<[string, Decoder<unknown>]>;

  it('throws only WireError on arbitrary JSON', () => {
    expect(decoders.length).toBeGreaterThan(30);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const [, d] of decoders) {
          try {
            d(v, '');
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('sealed group send query (PUT /v1/messages/multi-recipient)', () => {
  it('one decimal timestamp below 2^53, nothing else; anything else is a WireError', () => {
    expect(schemas.multiRecipientQuery({ ts: '1700000000000' }, '')).toEqual({ ts: 1_700_000_000_000 });
    expect(schemas.multiRecipientQuery({ ts: String(Number.MAX_SAFE_INTEGER) }, '')).toEqual({ ts: Number.MAX_SAFE_INTEGER });
    for (const ts of ['', '-1', '+1', '01', '1e3', '0x10', ' 1', '1.5', '9007199254740992', '99999999999999999', ['1', '2'], 1, undefined]) rejects(schemas.multiRecipientQuery, { ts });
    rejects(schemas.multiRecipientQuery, { ts: '1', ephemeral: 'true' });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string(), { maxLength: 2 }))), (q) => {
        try {
          const { ts } = schemas.multiRecipientQuery(q, '');
          expect(Number.isSafeInteger(ts) && ts >= 0).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 500 },
    );
    expect(schemas.MAX_MULTI_RECIPIENT_BODY_BYTES).toBeGreaterThan(LIMITS.maxSealedMessageBytes);
  });
});
