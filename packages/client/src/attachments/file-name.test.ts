import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_SAFE_NAME_BYTES, numberedFileName, safeFileName } from './file-name.ts';

describe('safe file names', () => {
  it('keep one harmless segment of what a sender chose', () => {
    const cases: Array<[string, string]> = [
      ['holiday.jpg', 'holiday.jpg'],
      ['../../etc/passwd', 'passwd'],
      ['/abs/name', 'name'],
      ['C:\\Windows\\system32\\evil.dll', 'evil.dll'],
      ['..', 'attachment'],
      ['.', 'attachment'],
      ['', 'attachment'],
      ['/', 'attachment'],
      ['.bashrc', 'bashrc'],
      ['...hidden.txt', 'hidden.txt'],
      ['trailing dots...', 'trailing dots'],
      ['CON', '_CON'],
      ['nul.txt', '_nul.txt'],
      ['com1.tar.gz', '_com1.tar.gz'],
      ['con-artist.txt', 'con-artist.txt'],
      ['a<b>c:d"e|f?g*h.txt', 'a_b_c_d_e_f_g_h.txt'],
      ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
      ['line\nbreak\r\u0000.txt', 'linebreak.txt'],
      ['Über – café.pdf', 'Über – café.pdf'],
    ];
    for (const [input, out] of cases) expect(safeFileName(input), JSON.stringify(input)).toBe(out);
    const long = safeFileName(`${'é'.repeat(300)}.jpeg`);
    expect(long.endsWith('.jpeg')).toBe(true);
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(MAX_SAFE_NAME_BYTES);
    expect(numberedFileName('photo.jpg', 0)).toBe('photo.jpg');
    expect(numberedFileName('photo.jpg', 2)).toBe('photo (2).jpg');
    expect(numberedFileName('README', 1)).toBe('README (1)');
  });

  it('property: any name becomes one non-empty, visible, bounded segment that is not hidden', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom('..', '.', '/', '\\', ' . ')), fc.nat(50), (name, n) => {
        for (const s of [safeFileName(name), numberedFileName(safeFileName(name), n)]) {
          expect(s.length).toBeGreaterThan(0);
          expect(s).not.toMatch(/[/\\<>:"|?*\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
          expect(s.startsWith('.')).toBe(false);
          expect(s).not.toMatch(/[.\s]$/);
          expect(new TextEncoder().encode(s).length).toBeLessThanOrEqual(MAX_SAFE_NAME_BYTES);
          expect(safeFileName(s)).toBe(s);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
