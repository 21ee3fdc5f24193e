/**
 * Writes test/fixtures/data/glove-sample.npy: 1,000 rows of glove-100's base (normalized GloVe 6B
 * 100-d, PDDL), drawn with Rng(7).sample, so that tests run on real vectors without parsing the
 * 307 MB package. Run: node --import tsx scripts/make-glove-sample.ts
 */
import { Rng } from '../src/core/rng.js';
import { loadDataset } from '../src/data/load.js';
import { writeNpy } from '../src/data/npy.js';

const ds = await loadDataset('glove-100');
const ids = new Rng(7).sample(ds.base.rows, 1000);
writeNpy('test/fixtures/data/glove-sample.npy', ds.base.selectRows(ids));
console.log(`wrote test/fixtures/data/glove-sample.npy: 1000 × ${ds.dim} rows of ${ds.name} (${ds.checksum})`);
