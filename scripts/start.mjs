#!/usr/bin/env node
// `npm start`: builds the web app if needed, then runs the Parley server serving it
// at / with the embedded defaults. Settings come from flags or PARLEY_* variables (README).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'packages/web');
const dist = join(web, 'dist', 'index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = [join(web, 'src'), join(root, 'packages/client/src'), join(root, 'packages/protocol/src'), join(root, 'packages/wire/src')];
const stale = !existsSync(dist) || Math.max(...sources.map(newest)) > statSync(dist).mtimeMs;
if (stale) {
  console.log('Building the web app (a few seconds)...');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('The web app failed to build; fix the errors above (the API server can run alone: node --import tsx packages/server/src/main.ts).');
    process.exit(1);
  }
}
const env = { ...process.env, PARLEY_WEB_ROOT: process.env.PARLEY_WEB_ROOT ?? join(web, 'dist') };
const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
