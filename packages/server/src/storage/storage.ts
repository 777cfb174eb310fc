/**
 * The server's storage interface. SQLite implements it now; PostgreSQL will
 * implement the same interface (and pass the same compliance suite) later.
 * Everything stored is public key material, opaque ciphertext, or keyed hashes.
 */

export interface AccountRow {
  readonly id: string;
  readonly username: string;
  readonly identityKey: Uint8Array;
}

export interface DeviceRow {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly passwordHash: Uint8Array;
}

export interface SignedKey {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface OneTimeKey {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
}

export interface DeviceKeys {
  readonly deviceId: number;
  readonly registrationId: number;
  readonly signedPreKey: SignedKey;
  /** A one-time KEM prekey if any is left, else the last-resort one. */
  readonly pqPreKey: SignedKey;
  readonly preKey: OneTimeKey | undefined;
}

export interface StoredEnvelope {
  readonly id: number;
  readonly sourceAccountId: string;
  readonly sourceUsername: string;
  readonly sourceDeviceId: number;
  readonly timestamp: number;
  readonly serverTimestamp: number;
  readonly messageType: 'prekey' | 'whisper';
  readonly content: Uint8Array;
  readonly ephemeral: boolean;
}

export interface NewEnvelope extends Omit<StoredEnvelope, 'id'> {
  readonly destinationDeviceId: number;
}

export interface Storage {
  /** Creates the account and its first device atomically; false if the username is taken. */
  createAccount(account: AccountRow, device: DeviceRow, signedPreKey: SignedKey, pqLastResort: SignedKey): boolean;
  accountByUsername(username: string): AccountRow | undefined;
  accountById(id: string): AccountRow | undefined;
  device(accountId: string, deviceId: number): DeviceRow | undefined;
  devices(accountId: string): DeviceRow[];

  /** Stores uploaded keys for a device (replacing signed / last-resort keys when given). */
  storeKeys(
    accountId: string,
    deviceId: number,
    keys: { preKeys?: readonly OneTimeKey[]; pqPreKeys?: readonly SignedKey[]; signedPreKey?: SignedKey; pqLastResort?: SignedKey },
  ): void;
  preKeyCounts(accountId: string, deviceId: number): { preKeys: number; pqPreKeys: number };
  /** Public keys of a device, consuming one one-time EC prekey and one one-time KEM prekey. */
  takeDeviceKeys(accountId: string, deviceId: number): DeviceKeys | undefined;

  /** Queues envelopes for several devices of one account in one transaction; returns their ids. */
  enqueue(accountId: string, envelopes: readonly NewEnvelope[]): number[];
  /** Several enqueues in one durable transaction (group commit); all or nothing. */
  enqueueBatch(items: ReadonlyArray<{ accountId: string; envelopes: readonly NewEnvelope[] }>): number[][];
  /** Envelopes for a device with id > afterId, in order. */
  pending(accountId: string, deviceId: number, afterId: number, limit: number): StoredEnvelope[];
  queueLength(accountId: string, deviceId: number): number;
  /** Deletes an envelope after the device acknowledged it; false if unknown. */
  ack(accountId: string, deviceId: number, id: number): boolean;
  /** Deletes several acknowledged envelopes in one transaction; returns how many existed. */
  ackBatch(items: ReadonlyArray<{ accountId: string; deviceId: number; id: number }>): number;
  /** Drops ephemeral envelopes created before `olderThan` (ms); returns how many. */
  dropExpiredEphemeral(olderThan: number): number;
  close(): void;
}
