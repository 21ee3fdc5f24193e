/** Shared helpers of the dataset builders: installed packages, seeds, sampling, text clean-up. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import { Rng } from '../../../core/rng.js';

const require = createRequire(import.meta.url);

/** The folder of an installed npm package (found through Node's resolution paths, so packages whose `exports` hide package.json work too). */
export function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new InputError(`the npm package ${name} is not installed; run \`npm install\` in the vqbench folder.`);
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

/** `npm <name>@<version>`, the form source fields use. */
export function npmSource(name: string): string {
  return `npm ${name}@${packageVersion(name)}`;
}

/** A fixed seed per dataset (FNV-1a of its name), so each dataset's sample is stable and independent of the others. */
export function seedFor(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/** Whitespace runs → one space, trimmed. */
export function squash(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Cuts a text to at most `max` characters at a word boundary (no ellipsis added). */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const sp = cut.lastIndexOf(' ');
  return (sp > max * 0.6 ? cut.slice(0, sp) : cut).trim();
}

/** `items` in a seeded random order. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  return Array.from(rng.permutation(items.length), (i) => items[i]);
}

/** Up to k items drawn without replacement, in the order drawn. */
export function sampleOf<T>(items: readonly T[], k: number, rng: Rng): T[] {
  return Array.from(rng.sample(items.length, Math.min(k, items.length)), (i) => items[i]);
}

/** Groups by key, keys in first-seen order. */
export function groupBy<T>(items: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    let g = m.get(k);
    if (!g) m.set(k, (g = []));
    g.push(x);
  }
  return m;
}

/**
 * A stratified train/test split of labelled items: `n` items drawn at random, then each label's
 * items halved (the odd one to train), so every label of test also occurs in train.
 */
export function stratifiedSplit<T>(items: readonly T[], labelOf: (x: T) => string, nTrain: number, nTest: number, rng: Rng): { train: T[]; test: T[] } {
  const picked = sampleOf(items, nTrain + nTest, rng);
  const train: T[] = [], test: T[] = [];
  const frac = nTrain / (nTrain + nTest);
  for (const group of groupBy(picked, labelOf).values()) {
    const k = group.length === 1 ? 1 : Math.min(group.length - 1, Math.max(1, Math.round(group.length * frac)));
    train.push(...group.slice(0, k));
    test.push(...group.slice(k));
  }
  // Restore a seeded mixed order (groups were concatenated label by label).
  return { train: shuffled(train, rng), test: shuffled(test, rng) };
}

/** Drops later duplicates of the same key. */
export function dedupe<T>(items: readonly T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const x of items) {
    const k = key(x);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(x);
  }
  return out;
}

/** Decodes the XML / HTML character references that occur in the sources (named basics and numeric). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', mdash: '—', ndash: '–',
  hellip: '…', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bull: '•', middot: '·', trade: '™', euro: '€', pound: '£',
};

export { Rng };
