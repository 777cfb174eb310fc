/** Delivery and read receipts for messages we received (by their content ids). */
import { array, object, oneOf } from '@parley/wire';
import { contentId, header, MAX_IDS_PER_MESSAGE } from './fields.ts';

export interface ReceiptContent {
  readonly kind: 'receipt';
  readonly receipt: 'delivered' | 'read';
  readonly ids: readonly string[];
}

export const receiptContent = object({ ...header, kind: oneOf('receipt'), receipt: oneOf('delivered', 'read'), ids: array(contentId, MAX_IDS_PER_MESSAGE) });
