// The sealed-sender schemas: the sealed send body, the certificate answer, the
// sealed envelope frame and the unidentified socket's frames decode strictly (no
// source, no group, no message type in a sealed envelope; sizes bounded), and throw
// only WireError on any JSON.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { base64Encode } from '../decode.ts';
import { decodeJson } from '../decode.ts';
import { deliveryCertificateResponse } from './certificates.ts';
import { MAX_SEALED_SEND_FRAME_BYTES, serverFrame, unidentifiedClientFrame, unidentifiedServerFrame } from './frames.ts';
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

  it('the unidentified socket takes only sealed-send frames: a 16-byte key, a sealed body, a request id', () => {
    const request = { timestamp: 5, messages: [{ deviceId: 1, registrationId: 42, content: b64(3) }] };
    const ok = { type: 'sealed-send', requestId: 9, to: 'bob', accessKey: b64(16), request };
    expect(unidentifiedClientFrame(ok, '')).toEqual({ ...ok, accessKey: new Uint8Array(16).fill(7), request: { ...request, messages: [{ ...request.messages[0], content: new Uint8Array(3).fill(7) }] } });
    refuses(unidentifiedClientFrame, { ...ok, accessKey: b64(15) });
    refuses(unidentifiedClientFrame, { ...ok, accessKey: undefined });
    refuses(unidentifiedClientFrame, { ...ok, requestId: 0 });
    refuses(unidentifiedClientFrame, { ...ok, from: A });
    refuses(unidentifiedClientFrame, { ...ok, request: { ...request, messages: [{ ...request.messages[0], type: 'whisper' }] } });
    // Frames of the authenticated socket are not frames here.
    refuses(unidentifiedClientFrame, { type: 'auth', version: '0.1.0', accountId: A, deviceId: 1, password: b64(32) });
    refuses(unidentifiedClientFrame, { type: 'ack', id: 1 });
    refuses(unidentifiedClientFrame, { type: 'send', requestId: 1, to: 'bob', request: { ...request, messages: [{ ...request.messages[0], type: 'whisper' }] } });
  });

  it('the largest sealed-send frame fits MAX_SEALED_SEND_FRAME_BYTES', () => {
    const messages = Array.from({ length: LIMITS.maxDevicesPerAccount }, (_, i) => ({ deviceId: 127 - i, registrationId: 16380, content: b64(LIMITS.maxSealedMessageBytes) }));
    const text = JSON.stringify({ type: 'sealed-send', requestId: 0x7fffffff, to: 'x'.repeat(64), accessKey: b64(16), request: { timestamp: Number.MAX_SAFE_INTEGER, ephemeral: true, messages } });
    expect(text.length).toBeLessThanOrEqual(MAX_SEALED_SEND_FRAME_BYTES);
    expect(decodeJson(text, unidentifiedClientFrame, MAX_SEALED_SEND_FRAME_BYTES).request.messages).toHaveLength(LIMITS.maxDevicesPerAccount);
  });

  it('a client on the unidentified socket accepts answers, pings and errors, never an envelope or ready', () => {
    expect(unidentifiedServerFrame({ type: 'sent', requestId: 3, serverTimestamp: 9 }, '')).toEqual({ type: 'sent', requestId: 3, serverTimestamp: 9 });
    expect(unidentifiedServerFrame({ type: 'send-failed', requestId: 3, code: 'ACCESS_KEY_REFUSED', message: 'no' }, '')).toMatchObject({ code: 'ACCESS_KEY_REFUSED' });
    expect(unidentifiedServerFrame({ type: 'ping' }, '')).toEqual({ type: 'ping' });
    expect(unidentifiedServerFrame({ type: 'error', code: 'RATE_LIMITED', message: 'wait', retryAfter: 5 }, '')).toMatchObject({ retryAfter: 5 });
    refuses(unidentifiedServerFrame, sealedEnvelope);
    refuses(unidentifiedServerFrame, { type: 'ready' });
    refuses(unidentifiedServerFrame, { type: 'queue-empty' });
    refuses(unidentifiedServerFrame, { type: 'sent', requestId: 0, serverTimestamp: 9 });
  });

  it('property: each decodes or throws WireError on any JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ type: fc.constant('envelope'), messageType: fc.constant('sealed') }, { requiredKeys: [] }),
          fc.record({ type: fc.constantFrom('sealed-send', 'sent', 'send-failed', 'error', 'ping'), requestId: fc.jsonValue(), to: fc.jsonValue(), accessKey: fc.oneof(fc.constant(b64(16)), fc.jsonValue()), request: fc.jsonValue(), code: fc.jsonValue(), message: fc.jsonValue() }, { requiredKeys: ['type'] }),
        ),
        (v) => {
          for (const d of [sealedSendRequest, deliveryCertificateResponse, serverFrame, unidentifiedClientFrame, unidentifiedServerFrame]) {
            try {
              d(v, '');
            } catch (e) {
              expect(e).toBeInstanceOf(WireError);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
