// Known answers for the Double Ratchet's key derivations. Runs in Node and Chromium.
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../internal/bytes.ts';
import { deriveMessageKeys, messageKeySeed, nextChainKey } from './ratchet-keys.ts';

describe('ratchet key derivation', () => {
  // Source: libsignal v0.90.0 rust/protocol/src/ratchet/keys.rs, test_chain_key_derivation
  // (the same vector as libsignal-protocol-java's ChainKeyTest).
  it('chain key -> message keys and next chain key (libsignal keys.rs vector)', () => {
    const seed = fromHex('8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f');
    const ck = { key: seed, index: 0 };
    const keys = deriveMessageKeys(messageKeySeed(ck), ck.index);
    expect(toHex(keys.cipherKey)).toBe('bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217');
    expect(toHex(keys.macKey)).toBe('c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b');
    expect(keys.counter).toBe(0);
    const next = nextChainKey(ck);
    expect(toHex(next.key)).toBe('28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d');
    expect(next.index).toBe(1);
    expect(deriveMessageKeys(messageKeySeed(next), next.index).counter).toBe(1);
  });

  it('an SPQR key, when present, is the HKDF salt (different keys than without)', () => {
    const seed = fromHex('8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f');
    const a = deriveMessageKeys(seed, 0);
    const b = deriveMessageKeys(seed, 0, new Uint8Array(32).fill(7));
    expect(toHex(a.cipherKey)).not.toBe(toHex(b.cipherKey));
    expect(a.iv.length).toBe(16);
  });
});
