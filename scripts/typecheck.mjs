#!/usr/bin/env node
// Type-checks every package with its own tsconfig files (strict; protocol and
// wire with neither DOM nor Node types). Prints one line per project.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let failed = 0;
for (const pkg of readdirSync(join(root, 'packages'))) {
  for (const cfg of ['tsconfig.json', 'tsconfig.test.json']) {
    const p = join(root, 'packages', pkg, cfg);
    if (!existsSync(p)) continue;
    const r = spawnSync(process.execPath, [tsc, '-p', p], { stdio: 'inherit' });
    const ok = r.status === 0;
    if (!ok) failed++;
    console.log(`typecheck ${pkg}/${cfg}: ${ok ? 'ok' : 'FAILED'}`);
  }
}
// The fuzz targets and runner (fuzz/), which reach into several packages.
{
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'fuzz', 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
  console.log(`typecheck fuzz/tsconfig.json: ${r.status === 0 ? 'ok' : 'FAILED'}`);
}
if (failed) {
  console.error(`${failed} project(s) failed to type-check; fix the errors above.`);
  process.exit(1);
}
