/**
 * SPQR's authenticator (spqr `authenticator.rs`): a root key and a MAC key, both
 * 32 bytes, updated per braid epoch with
 *   HKDF(salt 0^32, root ‖ k, "Signal_PQCKA_V1_MLKEM768:Authenticator Update" ‖ BE64(epoch), 64)
 * -> root ‖ MAC key. The KEM header is MACed with the MAC key before the epoch's update
 * ("...:ekheader"), the ciphertext (ct1 ‖ ct2) with the key after it ("...:ciphertext"):
 *   HMAC-SHA256(mac key, label ‖ BE64(epoch) ‖ data), 32 bytes, compared in constant time.
 * Values: `update` returns a new authenticator.
 */
import { backend } from '#backend';
import { be64, concat, constantTimeEqual, utf8 } from '../internal/bytes.ts';

export const MAC_SIZE = 32;
const ZERO_SALT = new Uint8Array(32);
const UPDATE = utf8('Signal_PQCKA_V1_MLKEM768:Authenticator Update');
const CT_LABEL = utf8('Signal_PQCKA_V1_MLKEM768:ciphertext');
const HDR_LABEL = utf8('Signal_PQCKA_V1_MLKEM768:ekheader');

export class Authenticator {
  private constructor(
    readonly rootKey: Uint8Array,
    readonly macKey: Uint8Array,
  ) {}

  /** The authenticator at `epoch` from the session's SPQR auth key (spqr's `Authenticator::new`). */
  static create(authKey: Uint8Array, epoch: number): Authenticator {
    return new Authenticator(new Uint8Array(32), new Uint8Array(32)).update(epoch, authKey);
  }

  /** @internal from a serialized state (any lengths, as spqr keeps them). */
  static fromParts(rootKey: Uint8Array, macKey: Uint8Array): Authenticator {
    return new Authenticator(rootKey, macKey);
  }

  update(epoch: number, k: Uint8Array): Authenticator {
    const okm = backend.hkdfSha256(concat(this.rootKey, k), ZERO_SALT, concat(UPDATE, be64(BigInt(epoch))), 64);
    return new Authenticator(okm.slice(0, 32), okm.slice(32, 64));
  }

  macHeader(epoch: number, header: Uint8Array): Uint8Array {
    return backend.hmacSha256(this.macKey, HDR_LABEL, be64(BigInt(epoch)), header);
  }

  macCiphertext(epoch: number, ciphertext: Uint8Array): Uint8Array {
    return backend.hmacSha256(this.macKey, CT_LABEL, be64(BigInt(epoch)), ciphertext);
  }

  verifyHeader(epoch: number, header: Uint8Array, mac: Uint8Array): boolean {
    return constantTimeEqual(this.macHeader(epoch, header), mac);
  }

  verifyCiphertext(epoch: number, ciphertext: Uint8Array, mac: Uint8Array): boolean {
    return constantTimeEqual(this.macCiphertext(epoch, ciphertext), mac);
  }

  toString(): string {
    return 'Authenticator([redacted])';
  }
}
