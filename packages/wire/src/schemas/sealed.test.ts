// The sealed-sender schemas: the sealed send body, the certificate answer and the
// sealed envelope frame decode strictly (no source, no group, no message type in a
// sealed envelope; sizes bounded), and throw only WireError on any JSON.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { base64Encode } from '../decode.ts';
import { deliveryCertificateResponse } from './certificates.ts';
import { serverFrame } from './frames.ts';
import { sealedSendRequest } from './messages.ts';

const A = '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
const b64 = (n: number) => base64Encode(new Uint8Array(n).fill(7));
const sealedEnvelope = { type: 'envelope', id: 3, timestamp: 1, serverTimestamp: 2, messageType: 'sealed', content: 'EQ==', ephemeral: false };

function refuses(d: (v: unknown, p: string) => unknown, v: unknown): void {
  expect(() => d(v, '')).toThrow(WireError);
}

describe('sealed-sender schemas', () => {
  it('a sealed envelope frame has no source and no group', () => {
    expect(serverFrame(sealedEnvelope, '')).toEqual(sealedEnvelope);
    refuses(serverFrame, { ...sealedEnvelope, sourceAccountId: A });
    refuses(serverFrame, { ...sealedEnvelope, sourceUsername: 'alice', sourceDeviceId: 1 });
    refuses(serverFrame, { ...sealedEnvelope, groupId: 'ab'.repeat(16) });
    // An identified envelope still needs its source.
    const { messageType: _t, ...rest } = sealedEnvelope;
    refuses(serverFrame, { ...rest, messageType: 'whisper' });
  });

  it('a sealed send carries copies without a type, within the sealed size bound', () => {
    const ok = { timestamp: 5, messages: [{ deviceId: 1, registrationId: 42, content: b64(LIMITS.maxSealedMessageBytes) }] };
    expect(sealedSendRequest(ok, '').messages[0]!.content.length).toBe(LIMITS.maxSealedMessageBytes);
    refuses(sealedSendRequest, { ...ok, messages: [{ deviceId: 1, registrationId: 42, content: b64(LIMITS.maxSealedMessageBytes + 1) }] });
    refuses(sealedSendRequest, { ...ok, messages: [{ deviceId: 1, registrationId: 42, type: 'whisper', content: b64(3) }] });
    refuses(sealedSendRequest, { ...ok, from: A });
    refuses(sealedSendRequest, { ...ok, messages: [] });
  });

  it('a certificate answer is a bounded certificate and a 33-byte trust root', () => {
    expect(deliveryCertificateResponse({ certificate: b64(300), trustRoot: b64(33) }, '').trustRoot.length).toBe(33);
    refuses(deliveryCertificateResponse, { certificate: b64(LIMITS.maxSenderCertificateBytes + 1), trustRoot: b64(33) });
    refuses(deliveryCertificateResponse, { certificate: b64(300), trustRoot: b64(32) });
  });

  it('property: each decodes or throws WireError on any JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ type: fc.constant('envelope'), messageType: fc.constant('sealed') }, { requiredKeys: [] })), (v) => {
        for (const d of [sealedSendRequest, deliveryCertificateResponse, serverFrame]) {
          try {
            d(v, '');
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
