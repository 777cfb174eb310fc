/**
 * What every AttachmentFiles must do, through the interface only (memory, a
 * directory in Node, IndexedDB in browsers): spools that append and read back
 * across chunk boundaries, sinks that keep nothing until committed, names
 * refused unless the SDK's own, and (for durable ones) all of it after reopening.
 */
import { describe, expect, it } from 'vitest';
import { readAll, type AttachmentFiles } from './files.ts';

export interface FilesFactory {
  open(): Promise<AttachmentFiles>;
  /** The same files again, as a new process would see them (durable implementations). */
  reopen?(files: AttachmentFiles): Promise<AttachmentFiles>;
}

const seq = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 255);

export function runAttachmentFilesCompliance(name: string, factory: FilesFactory): void {
  describe(`${name}: attachment files compliance`, () => {
    it('a spool appends and reads back any range across its chunks; discarding empties it', async () => {
      const f = await factory.open();
      const s = await f.spool('a_1');
      expect(await s.length()).toBe(0);
      const parts = [seq(1000, 1), seq(1, 2), seq(70_000, 3)];
      for (const p of parts) await s.append(p);
      const all = new Uint8Array([...parts[0]!, ...parts[1]!, ...parts[2]!]);
      expect(await s.length()).toBe(all.length);
      for (const [o, n] of [[0, 10], [995, 10], [1000, 1], [999, 3], [0, all.length], [all.length - 5, 5]] as const) {
        expect(Array.from(await s.read(o, n)), `${o}+${n}`).toEqual(Array.from(all.subarray(o, o + n)));
      }
      await expect(s.read(all.length - 1, 2)).rejects.toThrow();
      // Another handle on the same spool sees the same bytes.
      expect(await (await f.spool('a_1')).length()).toBe(all.length);
      await s.discard();
      expect(await (await f.spool('a_1')).length()).toBe(0);
    });

    it('a sink keeps nothing until committed, replaces on commit, and leaves nothing when discarded', async () => {
      const f = await factory.open();
      const w = await f.create('b_1');
      await w.write(seq(10, 1));
      await w.write(seq(5, 2));
      expect(await f.open('b_1')).toBeUndefined();
      await w.commit();
      const src = (await f.open('b_1'))!;
      expect(src.size).toBe(15);
      expect(Array.from(await src.read(8, 4))).toEqual([...seq(10, 1).subarray(8), ...seq(5, 2).subarray(0, 2)]);
      const again = await f.create('b_1');
      await again.write(seq(3, 9));
      await again.commit();
      expect(Array.from(await readAll((await f.open('b_1'))!))).toEqual(Array.from(seq(3, 9)));
      const dropped = await f.create('b_2');
      await dropped.write(seq(3, 1));
      await dropped.discard();
      expect(await f.open('b_2')).toBeUndefined();
      const empty = await f.create('b_3');
      await empty.commit();
      expect((await f.open('b_3'))!.size).toBe(0);
    });

    it('lists names with a file or a spool; delete removes both; foreign names are refused', async () => {
      const f = await factory.open();
      const w = await f.create('c_1');
      await w.commit();
      await (await f.spool('c_2')).append(seq(4, 1));
      const both = await f.create('c_3');
      await both.commit();
      await (await f.spool('c_3')).append(seq(4, 1));
      expect((await f.list()).sort()).toEqual(['c_1', 'c_2', 'c_3']);
      await f.delete('c_3');
      await f.delete('c_9');
      expect((await f.list()).sort()).toEqual(['c_1', 'c_2']);
      expect(await (await f.spool('c_3')).length()).toBe(0);
      for (const bad of ['../x', 'a/b', '.hidden', 'a.b', '', 'x'.repeat(129)]) {
        await expect(f.create(bad), bad).rejects.toThrow(TypeError);
        await expect(f.spool(bad), bad).rejects.toThrow(TypeError);
      }
    });

    if (factory.reopen) {
      const reopen = factory.reopen.bind(factory);
      it('files and spools are still there after reopening', async () => {
        const f = await factory.open();
        const w = await f.create('d_1');
        await w.write(seq(2000, 4));
        await w.commit();
        await (await f.spool('d_2')).append(seq(300, 5));
        const g = await reopen(f);
        expect(Array.from(await readAll((await g.open('d_1'))!))).toEqual(Array.from(seq(2000, 4)));
        const s = await g.spool('d_2');
        expect(await s.length()).toBe(300);
        await s.append(seq(10, 6));
        expect(Array.from(await s.read(295, 10))).toEqual([...seq(300, 5).subarray(295), ...seq(10, 6).subarray(0, 5)]);
      });
    }
  });
}
