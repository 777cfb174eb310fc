// The CLI's group and linked-device commands through real processes and a real
// server: what a person types and what they read back.
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, CLI, removeTempDirs, ROOT, startServer, tempDir, type RunningServer } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

async function setup(names: string[]) {
  const s = await startServer(tempDir('srv'));
  servers.push(s);
  const home = tempDir('home');
  const env = { PARLEY_SERVER: s.url };
  for (const n of names) expect((await cli(home, ['--profile', n, 'register', n], env)).code).toBe(0);
  const run = (profile: string, ...args: string[]) => cli(home, ['--profile', profile, ...args], env);
  return { s, home, env, run };
}

describe('the CLI: groups and linked devices', () => {
  it('group create, send, inbox as "<group> / <sender>", add, remove, leave, groups', { timeout: 180_000 }, async () => {
    const { run } = await setup(['gwen', 'hugo', 'ines', 'jack']);
    const created = await run('gwen', 'group', 'create', 'Climbing', 'hugo', 'ines');
    expect(created.code, created.stderr).toBe(0);
    const groupId = /Group id: ([0-9a-f]{32})/.exec(created.stdout)![1]!;
    expect((await run('gwen', 'group', 'send', 'Climbing', 'Saturday at 9?')).stdout).toContain('Sent to "Climbing".');
    const hugoInbox = await run('hugo', 'inbox');
    expect(hugoInbox.stdout).toMatch(/\] Climbing \/ gwen: Saturday at 9\?/);
    expect(hugoInbox.stdout).toMatch(/gwen created the group/);
    // Hugo answers by the group's id; Ines reads both.
    expect((await run('hugo', 'group', 'send', groupId, 'yes')).code).toBe(0);
    const inesInbox = await run('ines', 'inbox');
    expect(inesInbox.stdout).toMatch(/Climbing \/ gwen: Saturday at 9\?/);
    expect(inesInbox.stdout).toMatch(/Climbing \/ hugo: yes/);
    // Only admins change membership.
    const refused = await run('hugo', 'group', 'add', 'Climbing', 'jack');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('NOT_A_MEMBER: only admins of Climbing can change it');
    expect((await run('gwen', 'group', 'add', 'Climbing', 'jack')).stdout).toContain('Added jack to "Climbing".');
    expect((await run('gwen', 'group', 'remove', 'Climbing', 'ines')).code).toBe(0);
    await run('gwen', 'group', 'send', 'Climbing', 'after ines left');
    expect((await run('jack', 'inbox')).stdout).toMatch(/Climbing \/ gwen: after ines left/);
    const inesAfter = await run('ines', 'inbox');
    expect(inesAfter.stdout).toMatch(/gwen removed you/);
    expect(inesAfter.stdout).not.toMatch(/after ines left/);
    const inesSend = await run('ines', 'group', 'send', 'Climbing', 'let me in');
    expect(inesSend.code).toBe(1);
    expect(inesSend.stderr).toMatch(/NOT_A_MEMBER/);
    const groups = await run('gwen', 'groups');
    expect(groups.stdout).toContain(`${groupId}  Climbing  (3 members, you are an admin)`);
    expect((await run('hugo', 'group', 'leave', 'Climbing')).stdout).toContain('You left "Climbing".');
    expect((await run('hugo', 'groups')).stdout).toContain('(you left)');
    expect((await run('jack', 'inbox')).stdout).toMatch(/Climbing: hugo left/);
    const unknown = await run('gwen', 'group', 'send', 'Nope', 'x');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UNKNOWN_GROUP');
    expect((await run('gwen', 'group', 'frobnicate')).code).toBe(2);
  });

  it('link (new device shows a code and waits; a linked device enters it), devices, unlink', { timeout: 180_000 }, async () => {
    const { home, env, run } = await setup(['kate', 'liam']);
    // The new device: `parley link` prints a code and waits.
    const newDevice = spawn(process.execPath, [CLI, '--profile', 'kate-laptop', 'link', '--name', 'laptop'], { cwd: ROOT, env: { ...process.env, PARLEY_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    newDevice.stdout.on('data', (d) => (out += d.toString()));
    newDevice.stderr.on('data', (d) => (out += d.toString()));
    const CODE = /parley link ([a-z0-9]{4}(?:-[a-z0-9]{1,4}){6})\b/;
    for (let i = 0; i < 300 && !CODE.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const code = CODE.exec(out)?.[1];
    expect(code, out).toBeDefined();
    const linked = await run('kate', 'link', code!);
    expect(linked.stdout, linked.stderr).toContain('Linked device 2 to kate.');
    // (It may have exited already: then its exit code is there.)
    const exit = newDevice.exitCode ?? (await new Promise<number | null>((r) => newDevice.once('exit', r)));
    expect(exit, out).toBe(0);
    expect(out).toContain("Linked: this profile is now kate's device 2.");
    // Messages to kate reach both devices; the new device has kate's contacts.
    await run('liam', 'send', 'kate', 'to all of kate');
    expect((await run('kate', 'inbox')).stdout).toContain('liam (message request): to all of kate');
    expect((await run('kate-laptop', 'inbox')).stdout).toContain('liam (message request): to all of kate');
    const devices = await run('kate-laptop', 'devices');
    expect(devices.stdout).toMatch(/^\s+1 {2}First device \(registered the account\) {2}linked/m);
    expect(devices.stdout).toMatch(/^\s+2 {2}laptop {2}\(this device\)/m);
    // A used code does not work again.
    const again = await run('kate', 'link', code!);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/LINK_FAILED/);
    expect((await run('kate', 'unlink', 'two')).code).toBe(2);
    expect((await run('kate', 'unlink', '2')).stdout).toContain('Unlinked device 2.');
    const cutOff = await run('kate-laptop', 'send', 'liam', 'still me?');
    expect(cutOff.code).toBe(1);
    expect(cutOff.stderr).toContain('DEVICE_UNLINKED');
    expect((await run('kate', 'devices')).stdout).not.toMatch(/laptop/);
  });

  it('devices lists open connections; devices rotate signs out a copied profile, live and later, and this profile carries on', { timeout: 180_000 }, async () => {
    const { home, env, run } = await setup(['mona', 'nick']);
    // Someone copied mona's profile (its password with it) and keeps a chat open with it.
    cpSync(join(home, 'mona'), join(home, 'mona-copy'), { recursive: true });
    const copy = spawn(process.execPath, [CLI, '--profile', 'mona-copy', 'chat', 'nick'], { cwd: ROOT, env: { ...process.env, PARLEY_HOME: home, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    copy.stdout.on('data', (d) => (out += d.toString()));
    copy.stderr.on('data', (d) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => copy.once('exit', r));
    for (let i = 0; i < 300 && !out.includes('(connected as mona'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('(connected as mona');
    const listed = await run('mona', 'devices');
    expect(listed.stdout).toMatch(/^\s+1 {2}First device \(registered the account\) {2}\(this device\)/m);
    expect(listed.stdout).toMatch(/^ {5}1 connection open now, signed in at /m);
    expect(listed.stdout).toContain("This device's password is in use on 1 open connection (this command makes none).");
    const rotated = await run('mona', 'devices', 'rotate');
    expect(rotated.stdout, rotated.stderr).toContain("This device's password is changed");
    // The copy's live chat is closed and told why; it cannot sign in again.
    expect(await exited).toBe(1);
    expect(out).toMatch(/UNAUTHORIZED|CREDENTIALS_CHANGED/);
    const later = await run('mona-copy', 'inbox');
    expect(later.code).toBe(1);
    expect(later.stderr).toContain('UNAUTHORIZED');
    // The profile that changed it keeps working.
    expect((await run('nick', 'send', 'mona', 'after the change')).code).toBe(0);
    expect((await run('mona', 'inbox')).stdout).toContain('nick (message request): after the change');
    expect((await run('mona', 'devices')).stdout).not.toMatch(/connection open now/);
    expect((await run('mona', 'devices', 'frobnicate')).code).toBe(2);
  });
});
