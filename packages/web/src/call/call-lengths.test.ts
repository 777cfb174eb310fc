import { describe, expect, it } from 'vitest';
import { CALL_LENGTHS_KEY, CallLengths, MAX_CALL_LENGTHS, type CallLengthStorage } from './call-lengths.ts';

function memory(initial?: string): CallLengthStorage & { data: Map<string, string> } {
  const data = new Map<string, string>(initial === undefined ? [] : [[CALL_LENGTHS_KEY, initial]]);
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('call lengths', () => {
  it('records seconds (or null: never connected) and reads them back after a reload', () => {
    const storage = memory();
    const a = new CallLengths(storage);
    a.record('c1', 125.4);
    a.record('c2', null);
    const b = new CallLengths(storage);
    expect(b.get('c1')).toBe(125);
    expect(b.get('c2')).toBeNull();
    expect(b.get('c3')).toBeUndefined();
  });

  it('keeps only the newest MAX_CALL_LENGTHS', () => {
    const storage = memory();
    const a = new CallLengths(storage);
    for (let i = 0; i < MAX_CALL_LENGTHS + 10; i++) a.record(`c${i}`, i);
    const b = new CallLengths(storage);
    expect(b.get('c9')).toBeUndefined();
    expect(b.get('c10')).toBe(10);
    expect(b.get(`c${MAX_CALL_LENGTHS + 9}`)).toBe(MAX_CALL_LENGTHS + 9);
  });

  it('ignores stored data it does not understand', () => {
    const warnings: string[] = [];
    expect(new CallLengths(memory('{not json'), (m) => warnings.push(m)).get('c1')).toBeUndefined();
    expect(warnings).toHaveLength(1);
    const odd = new CallLengths(memory(JSON.stringify([['c1', 5], ['c2', -1], ['c3', 'x'], [4, 1], 'junk', ['c4', null, 1]])));
    expect([odd.get('c1'), odd.get('c2'), odd.get('c3'), odd.get('c4')]).toEqual([5, undefined, undefined, undefined]);
    expect(new CallLengths(memory('{"c1":5}')).get('c1')).toBeUndefined();
  });
});
