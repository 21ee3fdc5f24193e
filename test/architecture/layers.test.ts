/**
 * The layers of src/ (docs/architecture.md): each top-level folder may import its own layer and the
 * layers below it, never one above, and nothing outside src/ (scripts/, bench/, test/). Static and
 * dynamic imports both count. A violation names the file, the import and both layers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Lower index = lower layer. Folders on one line are one layer and may import each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['quant', 'data'],
  ['index', 'embed'],
  ['eval'],
  ['run'],
  ['report'],
  ['cli', 'cli.ts'],
];

function layerOf(path: string): number {
  const top = relative(SRC, path).split('/')[0];
  const i = LAYERS.findIndex((l) => l.includes(top));
  if (i < 0) throw new Error(`${relative(SRC, path)}: folder '${top}' is in no layer of LAYERS`);
  return i;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mjs)$/.test(f) ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) out.push(m[1]);
  for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

test('no import in src/ goes to a higher layer or outside src/', () => {
  const problems: string[] = [];
  for (const file of sources(SRC)) {
    for (const spec of importsOf(file)) {
      const target = resolve(dirname(file), spec);
      const rel = relative(SRC, target);
      if (rel.startsWith('..')) {
        problems.push(`${relative(SRC, file)} imports ${spec}, outside src/`);
        continue;
      }
      const from = layerOf(file), to = layerOf(target);
      if (to > from) problems.push(`${relative(SRC, file)} (${LAYERS[from].join('/')}) imports ${spec} (${LAYERS[to].join('/')}), a higher layer`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the layer check sees a violation (a file of core importing run)', () => {
  const fake = join(SRC, 'core', 'x.ts');
  assert.ok(layerOf(resolve(dirname(fake), '../run/runner.js')) > layerOf(fake));
});

/** Static imports that load code at run time (`import type` and all-`type` import lists excluded). */
function runtimeImportsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s+['"](\.[^'"]+)['"]/g)) {
    if (m[2]) continue;
    const names = /\{([^}]*)\}/.exec(m[3])?.[1];
    const allTypes = names !== undefined && !/^\s*\w/.test(m[3].replace(/\{[^}]*\}/, '')) && names.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    if (!allTypes) out.push(m[4]);
  }
  return out;
}

test('no runtime import cycle in src/', () => {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    graph.set(file, runtimeImportsOf(file).map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts')).filter((t) => t.startsWith(SRC)));
  }
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
