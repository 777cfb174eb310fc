import { describe, expect, it } from 'vitest';
import { transferKey, Transfers } from './transfers.ts';

const upload = { id: 'u1', conversation: 'direct:abc' as const, fileName: 'a.pdf', size: 1000, kind: 'file' as const };

describe('transfers', () => {
  it('tracks an upload from 0% to done, and tells subscribers only on change', () => {
    const t = new Transfers();
    let told = 0;
    t.subscribe(() => told++);
    t.startUpload(upload, () => undefined);
    expect(t.get().uploads).toEqual([{ ...upload, done: 0, total: 1000 }]);
    const before = t.get();
    t.uploadProgress('u1', 0, 1000);
    expect(t.get()).toBe(before);
    t.uploadProgress('u1', 512, 1088);
    expect(t.get().uploads[0]).toMatchObject({ done: 512, total: 1088 });
    t.removeUpload('u1');
    expect(t.get().uploads).toEqual([]);
    expect(told).toBe(3);
  });

  it('a failed upload keeps its card with the reason until dismissed; cancelling calls the cancel once', () => {
    const t = new Transfers();
    let cancelled = 0;
    t.startUpload(upload, () => cancelled++);
    t.uploadFailed('u1', 'The server cannot be reached.');
    expect(t.get().uploads[0]?.error).toBe('The server cannot be reached.');
    t.cancelUpload('u1');
    expect(cancelled).toBe(0); // a failed upload has nothing left to stop
    t.startUpload({ ...upload, id: 'u2' }, () => cancelled++);
    t.cancelUpload('u2');
    t.cancelUpload('u2');
    expect(cancelled).toBe(1);
    expect(t.get().uploads).toEqual([]);
  });

  it('tracks downloads by message until they end', () => {
    const t = new Transfers();
    const key = transferKey({ senderAccountId: 'bob', clientId: 'c-1' });
    expect(key).toBe('bob_c-1');
    t.downloadProgress(key, 10, 100);
    expect(t.get().downloads[key]).toEqual({ done: 10, total: 100 });
    t.downloadEnded(key);
    expect(t.get().downloads).toEqual({});
    const s = t.get();
    t.downloadEnded(key);
    expect(t.get()).toBe(s);
  });

  it('a failed upload can be retried once (its card goes, the retry starts a new one); a failed download is shown until cleared', () => {
    const t = new Transfers();
    let retried = 0;
    t.startUpload(upload, () => undefined);
    t.uploadFailed('u1', 'Not sent.', () => retried++);
    expect(t.canRetryUpload('u1')).toBe(true);
    t.retryUpload('u1');
    t.retryUpload('u1');
    expect(retried).toBe(1);
    expect(t.get().uploads).toEqual([]);
    expect(t.canRetryUpload('u1')).toBe(false);

    const key = transferKey({ senderAccountId: 'bob', clientId: 'c-2' });
    t.downloadProgress(key, 10, 100);
    t.downloadFailed(key, 'The server cannot be reached.');
    expect(t.get().downloads).toEqual({});
    expect(t.get().failedDownloads).toEqual({ [key]: 'The server cannot be reached.' });
    t.clearDownloadFailure(key);
    expect(t.get().failedDownloads).toEqual({});
    const s = t.get();
    t.clearDownloadFailure(key);
    expect(t.get()).toBe(s);
  });
});
