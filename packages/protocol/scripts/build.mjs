#!/usr/bin/env node
// Builds the plain-JavaScript package: tsc (tsconfig.build.json) emits JS and .d.ts for
// src/ (tests and test helpers left out) into the output folder (default dist/,
// gitignored), and a package.json is written beside them whose `exports` and `#backend`
// `imports` point at the built files. The folder is a complete package: install or pack
// it, and plain Node (no TypeScript loader) imports `@parley/protocol` from it.
// Inside the monorepo nothing uses it: every tool runs src/ (see the README).
//
// Usage: npm run build -w @parley/protocol [-- --out-dir <folder>]
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const pkgDir = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const at = args.indexOf('--out-dir');
if (at >= 0 && !args[at + 1]) {
  console.error('build: --out-dir needs a folder');
  process.exit(2);
}
const outDir = at >= 0 ? resolve(args[at + 1]) : join(pkgDir, 'dist');

rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(pkgDir, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build: tsc failed; fix the errors above');
  process.exit(1);
}

const source = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const built = {
  name: source.name,
  version: source.version,
  license: source.license,
  type: 'module',
  exports: { '.': { types: './index.d.ts', import: './index.js', default: './index.js' } },
  // The same choice as the source package's `#backend`: node:crypto under Node, @noble elsewhere.
  imports: {
    '#backend': {
      types: './crypto/select.default.d.ts',
      node: './crypto/select.node.js',
      default: './crypto/select.default.js',
    },
  },
  dependencies: source.dependencies,
};
writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(built, null, 2)}\n`);
console.log(`build: @parley/protocol written to ${outDir}`);
