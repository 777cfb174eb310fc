// Every error the README lists reaches the CLI as its own code, with a sentence that
// says what to do (the ones not proven elsewhere: e2e.test.ts has USERNAME_TAKEN,
// UNKNOWN_USER, SERVER_UNREACHABLE, UPGRADE_REQUIRED, IDENTITY_CHANGED;
// groups-devices.test.ts the group and device ones).
import { afterAll, describe, expect, it } from 'vitest';
import { cli, removeTempDirs, startServer, tempDir, type RunningServer } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

describe('CLI errors', () => {
  it('INVALID_USERNAME, RATE_LIMITED, INVALID_LINK_CODE, NOT_REGISTERED each as its code and advice', { timeout: 180_000 }, async () => {
    const s = await startServer(tempDir('srv'), ['--bundle-fetches-per-minute', '1']);
    servers.push(s);
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    const bad = await cli(home, ['--profile', 'x', 'register', 'No Spaces!'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_USERNAME: "No Spaces!" is not a valid username - use 3-32 characters: lowercase letters, digits and underscore, starting with a letter');
    for (const n of ['mona', 'nils', 'olga']) expect((await cli(home, ['--profile', n, 'register', n], env)).code).toBe(0);
    expect((await cli(home, ['--profile', 'mona', 'send', 'nils', 'first'], env)).code).toBe(0);
    // One bundle fetch a minute: starting a second session is refused until then.
    const limited = await cli(home, ['--profile', 'mona', 'send', 'olga', 'second'], env);
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/RATE_LIMITED: .* - too many requests; wait a minute and try again/);
    const code = await cli(home, ['--profile', 'mona', 'link', 'not-a-code'], env);
    expect(code.code).toBe(1);
    expect(code.stderr).toContain('INVALID_LINK_CODE: that is not a link code');
    const none = await cli(home, ['--profile', 'nobody', 'inbox'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/NOT_REGISTERED: profile "nobody" has no account; run `parley --profile nobody register <username>`/);
  });
});
