/**
 * What a content handler gets from the receive pipeline, and what it may ask for:
 * events to emit and work to run once the envelope's transaction has committed.
 */
import type { Content } from '../content/codec.ts';
import type { ClientEvent } from '../events.ts';
import type { ClientContext } from '../internal/context.ts';
import type { Relationship } from '../contacts/policy.ts';
import type { ConversationId, GroupRecord } from '../storage/records.ts';
import type { StoreTx } from '../storage/store.ts';

export interface Received {
  readonly sender: { readonly accountId: string; readonly username: string; readonly deviceId: number };
  /** The envelope's timestamp: the sender's clock when it sent this. */
  readonly timestamp: number;
  readonly content: Content;
  /** Where it belongs: the group it names, else the direct chat with the sender. */
  readonly conversation: ConversationId;
  readonly relationship: Relationship;
  /** Sent by another device of our own account. */
  readonly fromSelf: boolean;
  /** For group content: our record of the group (the sender is a member of it). */
  readonly group?: GroupRecord;
  /** Arrived as a Sender Key message (not 1:1). */
  readonly viaSenderKey: boolean;
}

export interface Effects {
  readonly events: ClientEvent[];
  /** Runs after commit and ack, each under the operation lock; failures are ignored. */
  readonly after: Array<() => Promise<void>>;
}

export type ContentHandler<K extends Content['kind'] = Content['kind']> = (
  ctx: ClientContext,
  tx: StoreTx,
  r: Received & { readonly content: Extract<Content, { kind: K }> },
  fx: Effects,
) => Promise<void> | void;
