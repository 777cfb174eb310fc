import { describe, expect, it } from 'vitest';
import { browserDeviceName, codeGroups } from './device-name.ts';

describe('device names', () => {
  it('names the browser and the system from the user agent', () => {
    expect(browserDeviceName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe('Chrome on Linux');
    expect(browserDeviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0')).toBe('Edge on Windows');
    expect(browserDeviceName('Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox on macOS');
    expect(browserDeviceName('Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
    expect(browserDeviceName('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36')).toBe('Chrome on Android');
    expect(browserDeviceName('curl/8.0')).toBe('A browser');
  });

  it('splits a link code into its groups', () => {
    expect(codeGroups('abcd-efgh-jkmn-pqrs-tuvw-xyz2-34')).toEqual(['abcd', 'efgh', 'jkmn', 'pqrs', 'tuvw', 'xyz2', '34']);
  });
});
