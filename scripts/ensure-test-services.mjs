#!/usr/bin/env node
// Installs, from Debian's packages, the programs the test suite drives:
// Chromium (the protocol suite and the web app run in it), coturn (relayed
// calls), an emoji font (the web app's emoji render in screenshots as on people's
// systems, which have one), PostgreSQL and Redis (the server's shared engines: tests start
// throwaway servers of their own on loopback, packages/server/src/testing/engines.ts).
// Runs before `npm test`.
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const needed = [
  { bin: '/usr/bin/chromium', pkg: 'chromium' },
  { bin: '/usr/bin/turnserver', pkg: 'coturn' },
  { bin: '/usr/bin/redis-server', pkg: 'redis-server' },
  { bin: '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf', pkg: 'fonts-noto-color-emoji' },
];
const postgresInstalled = () =>
  existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`));
const missing = needed.filter((n) => !existsSync(n.bin));
if (!postgresInstalled()) missing.push({ pkg: 'postgresql' });
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((m) => m.pkg);
if (process.getuid && process.getuid() !== 0) {
  console.error(
    `The tests need ${pkgs.join(', ')} from Debian's packages. Install them with:\n` +
      `  sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`,
  );
  process.exit(1);
}
console.log(`[test setup] installing ${pkgs.join(', ')} from Debian's packages (one time, about a minute)...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-q', ...pkgs], { stdio: 'inherit', env });
console.log('[test setup] done');
