// The built JavaScript package (`npm run build -w @parley/protocol`): built into a
// temporary folder laid out as an installed package, it is imported by plain Node (no
// TypeScript loader) for a session and sealed-sender round trip, its .d.ts files
// type-check a consumer with `tsc --noEmit`, and its `#backend` import picks node:crypto
// under Node and the @noble backend elsewhere. Node only.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const pkgDir = resolve(here, '..');
const repoModules = resolve(pkgDir, '../../node_modules');
const require = createRequire(import.meta.url);

let tmp: string;
let built: string;

/** Plain Node: this Node binary, no loader flags from the environment. */
function plainNode(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'parley-protocol-built-'));
  built = join(tmp, 'node_modules', '@parley', 'protocol');
  const r = plainNode([join(pkgDir, 'scripts', 'build.mjs'), '--out-dir', built], pkgDir);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  // The package's dependencies, as an install would put them beside it.
  symlinkSync(join(repoModules, '@noble'), join(tmp, 'node_modules', '@noble'), 'dir');
}, 240_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the built package', () => {
  it('holds JavaScript, declarations and a package.json pointing at them, and no TypeScript sources or tests', () => {
    const pkg = JSON.parse(readFileSync(join(built, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './index.d.ts', import: './index.js', default: './index.js' });
    expect(pkg.imports['#backend'].node).toBe('./crypto/select.node.js');
    expect(pkg.imports['#backend'].default).toBe('./crypto/select.default.js');
    const list = plainNode(['-e', `console.log(require('node:fs').readdirSync(${JSON.stringify(built)}, { recursive: true }).join('\\n'))`], tmp).stdout.split('\n');
    expect(list).toContain('index.js');
    expect(list).toContain('index.d.ts');
    expect(list.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(list.filter((f) => /\.test\.|test-support/.test(f))).toEqual([]);
  });

  it('runs a session both ways and a sealed-sender message under plain Node', () => {
    cpSync(join(here, 'built-entry', 'round-trip.mjs'), join(tmp, 'round-trip.mjs'));
    const r = plainNode(['round-trip.mjs'], tmp);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      types: ['prekey', 'whisper'],
      atBob: 'hello bob',
      atAlice: 'hello alice',
      sealedFrom: 'a6f0c1de-1111-4e2a-9d3c-000000000001',
      sealed: 'sealed hello',
    });
  });

  it('resolves #backend to node:crypto under Node and to @noble under other conditions', () => {
    // A module inside the package may use its private `#backend` import.
    writeFileSync(join(built, 'probe-backend.mjs'), "import { backend } from '#backend';\nconsole.log(backend.name);\n");
    expect(plainNode(['probe-backend.mjs'], built).stdout.trim()).toBe('node');
    // A bundler for browsers resolves without the "node" condition: the default branch.
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = join(tmp, 'probe-browser.mjs');
    esbuild.buildSync({ entryPoints: [join(built, 'probe-backend.mjs')], bundle: true, platform: 'browser', format: 'esm', outfile: out, logLevel: 'silent' });
    expect(readFileSync(out, 'utf8')).not.toContain('node:crypto');
    expect(plainNode([out], tmp).stdout.trim()).toBe('pure');
  });

  it('has declarations a TypeScript consumer compiles against with tsc --noEmit', () => {
    const dir = join(tmp, 'consumer');
    mkdirSync(dir);
    cpSync(join(here, 'built-entry', 'consumer.ts'), join(dir, 'consumer.ts'));
    const config = {
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022'], types: [], noEmit: true, skipLibCheck: false },
      files: ['consumer.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    const tsc = require.resolve('typescript/bin/tsc');
    const ok = plainNode([tsc, '-p', dir, '--listFiles'], dir);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    // The declarations came from the built package, not from src/.
    expect(ok.stdout).toContain(join(built, 'index.d.ts'));
    // And the check can fail: a misuse of the declared types is an error.
    writeFileSync(join(dir, 'consumer.ts'), `${readFileSync(join(dir, 'consumer.ts'), 'utf8')}\nexport const wrong: number = store;\n`);
    const bad = plainNode([tsc, '-p', dir], dir);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('TS2322');
  }, 120_000);
});
