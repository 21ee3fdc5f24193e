#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsc and copies the non-TypeScript assets (the wasm
// kernels), then stamps dist/ so that bin/vqbench.mjs knows the build is current. The CLI runs the
// compiled code when it is current (no TypeScript transform at start-up: loading h5wasm or
// transformers.js through tsx costs seconds), and the sources through tsx otherwise.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const ASSETS = ['.wasm'];
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
for (const f of walk('src').filter((f) => ASSETS.some((ext) => f.endsWith(ext)))) {
  const to = join('dist', relative('src', f));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(f, to);
}
writeFileSync(join('dist', '.build-stamp'), new Date().toISOString() + '\n');
console.log('build: src/ compiled to dist/');
