/**
 * Group commit: enqueues that arrive in the same turn of the event loop share one
 * durable transaction (one fsync), and each sender hears OK only after it.
 */
import type { EnqueueItem, EnqueueResult, MessageQueue } from '../storage/storage.ts';

export class EnqueueBatcher {
  private pending: Array<{ item: EnqueueItem; resolve: (r: EnqueueResult) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(private readonly queue: MessageQueue) {}

  /** Resolves with the item's result (its envelope ids) once the batch holding it is committed. */
  add(item: EnqueueItem): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    this.queue.enqueueBatch(batch.map((b) => b.item)).then(
      (ids) => batch.forEach((b, n) => b.resolve(ids[n]!)),
      (e: unknown) => batch.forEach((b) => b.reject(e)),
    );
  }
}
