/** A protocol address: an account name (service id / username) and a device id. */
import { InvalidArgument } from './errors.ts';

export class ProtocolAddress {
  constructor(
    readonly name: string,
    readonly deviceId: number,
  ) {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgument('address: name must be a non-empty string');
    if (!Number.isInteger(deviceId) || deviceId < 0 || deviceId > 0xffffffff) {
      throw new InvalidArgument('address: deviceId must be an integer in 0..2^32-1');
    }
  }

  /** Stable string form, usable as a map key: `name.deviceId`. */
  toString(): string {
    return `${this.name}.${this.deviceId}`;
  }

  equals(other: ProtocolAddress): boolean {
    return this.name === other.name && this.deviceId === other.deviceId;
  }
}
