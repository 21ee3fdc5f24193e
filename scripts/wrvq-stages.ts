/**
 * WRVQ's two weight rules stage by stage (src/eval/stage-diagnostics.ts through the quantize job):
 * loss after each stage, mean cos(residual, added vector), mean weight, for `paper` and `gain`.
 *
 *   node --import tsx scripts/wrvq-stages.ts [data] [books] [size] [trainSize] [evalSize] [weightBits]
 *
 * Defaults: the GloVe sample (test/fixtures/data/glove-sample.npy), 8 books of 64, all its rows,
 * fp16 weights. On glove-100: `scripts/wrvq-stages.ts glove-100 8 256 20000 2000`.
 */
import { fileURLToPath } from 'node:url';
import { shutdownWorkers } from '../src/core/parallel.js';
import { runQuantize, type QuantizeResult } from '../src/run/quantize.js';

const [data = fileURLToPath(new URL('../test/fixtures/data/glove-sample.npy', import.meta.url)), books = '8', size = '64', trainSize = '50000', evalSize = '10000', weightBits] = process.argv.slice(2);
const rows: string[][] = [];
const results: QuantizeResult[] = [];
for (const weights of ['paper', 'gain']) {
  const r = await runQuantize({
    data, method: 'wrvq', params: { books: Number(books), size: Number(size), weights, ...(weightBits !== undefined && { weightBits: Number(weightBits) }) },
    trainSize: Number(trainSize), evalSize: Number(evalSize), seed: 1234,
  });
  results.push(r);
  for (const s of r.stages ?? []) rows.push([weights, String(s.stage), s.loss.toFixed(4), (s.cosine ?? NaN).toFixed(3), s.residualNorm.mean.toFixed(4), s.weights ? s.weights.mean.toFixed(4) : '-', `${s.perplexity.toFixed(1)}/${s.size}`, String(s.dead)]);
}
console.log(`${data}: wrvq ${books} × ${size}${weightBits ? `, ${weightBits}-bit weights` : ''}, ${results[0].trainRows} training rows, ${results[0].evalRows} held out, mean ||x||² = ${(results[0].loss / results[0].relativeLoss).toFixed(4)}`);
const header = ['rule', 'stage', 'loss', 'cos', '|r| mean', 'w mean', 'perplexity', 'dead'];
console.log(header.join('\t'));
for (const r of rows) console.log(r.join('\t'));
await shutdownWorkers();
