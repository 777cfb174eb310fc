// Attachment files in IndexedDB (headless Chromium): the attachment files
// compliance suite, including what is still there after reloading the tab.
import { describe, expect, it } from 'vitest';
import { AttachmentEncryptor, decryptAttachment, verifyAttachment } from '../attachments/cipher.ts';
import { runAttachmentFilesCompliance } from '../attachments/files-compliance.ts';
import { toBlob } from '../attachments/files.ts';
import { IdbAttachmentFiles } from './idb-files.ts';

let n = 0;
const names = new WeakMap<object, string>();

runAttachmentFilesCompliance('IdbAttachmentFiles', {
  async open() {
    const name = `files-${Date.now()}-${n++}`;
    const f = await IdbAttachmentFiles.open(name);
    names.set(f, name);
    return f;
  },
  async reopen(f) {
    (f as IdbAttachmentFiles).close();
    const g = await IdbAttachmentFiles.open(names.get(f)!);
    names.set(g, names.get(f)!);
    return g;
  },
});

describe('attachments in a browser', () => {
  it('encrypt, spool, verify and decrypt into IndexedDB with the SDK core alone (no Node APIs)', async () => {
    const files = await IdbAttachmentFiles.open(`files-cipher-${Date.now()}`);
    const plain = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 13) & 255);
    const key = crypto.getRandomValues(new Uint8Array(64));
    const enc = new AttachmentEncryptor(async (o, n) => plain.slice(o, o + n), plain.length, key, crypto.getRandomValues(new Uint8Array(16)));
    const spool = await files.spool('m_1');
    for await (const piece of enc.pieces()) await spool.append(piece);
    const pointer = { key, digest: enc.digest, size: plain.length };
    const read = (o: number, n: number) => spool.read(o, n);
    await verifyAttachment(read, await spool.length(), pointer);
    const sink = await files.create('m_1');
    for await (const p of decryptAttachment(read, pointer)) await sink.write(p);
    await sink.commit();
    const blob = await toBlob((await files.open('m_1'))!, 'image/png');
    expect(blob.type).toBe('image/png');
    expect(new Uint8Array(await blob.arrayBuffer()).every((b, i) => b === plain[i])).toBe(true);
    await expect(verifyAttachment(read, (await spool.length()) - 1, pointer)).rejects.toThrow(/did not verify/);
    files.close();
  });
});
