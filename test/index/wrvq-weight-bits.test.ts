// The WRVQ index with quantized weights (weightBits 8 / 4, ours, passed to its quantizer): fewer
// bits per vector and fewer bytes held than fp16, the scan's distances equal to the decoded
// vectors' (the per-stage level tables read the stored indices right), recall@10 within 0.02 of
// fp16 at 8 bits on a seeded sample, and a weightBits the quantizer does not have refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { l2sq } from '../../src/core/distance.js';
import { WrvqIndex } from '../../src/index/wrvq.js';
import { createIndex, indexLabel } from '../../src/index/registry.js';
import { mixture } from '../helpers/data.js';
import { inputError } from '../helpers/errors.js';
import { assertClose, groundTruth, recallAt } from './helpers.js';

after(shutdownWorkers);

const D = 32, S = 16, K = 10;
const all = mixture(4100, D, 20, 31, 0.6);
const base = all.sliceRows(0, 4000), queries = all.sliceRows(4000, 4100);

async function built(weightBits: number): Promise<WrvqIndex> {
  const idx = new WrvqIndex({ books: 4, size: S, weights: 'gain', weightBits });
  await idx.build(base, { seed: 5 });
  return idx;
}

test('weightBits 16 / 8 / 4: bits per vector and bytes held fall; the scan scores the decoded vectors; recall@10 at 8 bits within 0.02 of fp16', async () => {
  const truth = await groundTruth(base, queries, K);
  const results: { bits: number; codesBytes: number; recall: number }[] = [];
  for (const weightBits of [16, 8, 4]) {
    const idx = await built(weightBits);
    // codes (4 × 4 bits) + weights + ||x̂||² as float32
    assert.equal(idx.bitsPerVector, 4 * (4 + weightBits) + 32, `weightBits ${weightBits}`);
    const r = idx.search(queries, K, { nprobe: 4, fuzzyK: 0 });
    // eq. 14 on the stored weights against ||q − x̂||² of the quantizer's own decoding
    const dec = idx.quantizer.decode(idx.quantizer.encode(base));
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < K; j++) {
        const id = r.ids[i * K + j];
        assertClose(r.dists[i * K + j], l2sq(queries.data, i * D, dec.data, id * D, D), 1e-4, `weightBits ${weightBits}, q${i} id ${id}`);
      }
    }
    results.push({ bits: idx.bitsPerVector, codesBytes: idx.memoryBreakdown().codes, recall: recallAt(r, truth, K) });
  }
  const [fp16, w8, w4] = results;
  assert.ok(w8.bits < fp16.bits && w4.bits < w8.bits);
  // fp16 weights take 2 bytes each, 8- and 4-bit level indices one (4-bit ones are not packed)
  assert.equal(fp16.codesBytes - w8.codesBytes, base.rows * 4);
  assert.equal(w4.codesBytes, w8.codesBytes);
  assert.ok(Math.abs(w8.recall - fp16.recall) <= 0.02, `recall@10: fp16 ${fp16.recall}, 8-bit ${w8.recall}, 4-bit ${w4.recall}`);
  assert.ok(fp16.recall > 0.2, `fp16 recall@10 ${fp16.recall}`);
  console.log(`recall@10 (4 × 16, nprobe 4): fp16 ${fp16.recall}, 8-bit ${w8.recall}, 4-bit ${w4.recall}; bits ${fp16.bits}, ${w8.bits}, ${w4.bits}`);
});

test('weightBits in the index spec: labelled, and 12 is one sentence naming --weight-bits', async () => {
  assert.equal(indexLabel('wrvq', { weightBits: 8 }), 'wrvq:weightBits=8');
  assert.equal((createIndex('wrvq', { weightBits: 8 }) as WrvqIndex).label, 'wrvq:books=4,size=256,weights=paper,weightBits=8,trainer=kmeans,fuzzyBooks=1,rerank=false,metric=l2');
  await inputError(() => createIndex('wrvq', { weightBits: 12 }), /^--weight-bits: wrvq build parameter 'weightBits' must be 16 \(fp16, the paper's\), 8 or 4, got 12\.$/);
  const idx = await built(8);
  await idx.add(all.sliceRows(0, 50)); // added rows go through the same level indices
  assert.equal(idx.size, 4050);
});
