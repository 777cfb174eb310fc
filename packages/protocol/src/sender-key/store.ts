/** The sender-key store interface (async) and its in-memory implementation. */
import type { ProtocolAddress } from '../address.ts';
import type { SenderKeyRecord } from './record.ts';

export interface SenderKeyStore {
  storeSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void>;
  loadSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | undefined>;
}

export class InMemorySenderKeyStore implements SenderKeyStore {
  private readonly records = new Map<string, SenderKeyRecord>();
  async storeSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.records.set(`${sender.toString()}/${distributionId.toLowerCase()}`, record);
  }
  async loadSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | undefined> {
    return this.records.get(`${sender.toString()}/${distributionId.toLowerCase()}`);
  }
}
