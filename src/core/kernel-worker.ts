// Worker side of parallel.ts: runs one kernel on a row range of shared arrays, then reports back.
import { parentPort } from 'node:worker_threads';
import { knnRange, nearestRows, type Metric } from './search.js';

type Args = Record<string, any>;

parentPort!.on('message', (m: { id: number; kernel: string; args: Args; start: number; end: number }) => {
  try {
    const a = m.args;
    if (m.kernel === 'nearest') {
      nearestRows(a.x, m.start, m.end, a.c, a.nc, a.d, a.metric as Metric, a.cNorms, a.ids, a.dists);
    } else if (m.kernel === 'knn') {
      knnRange(a.base, a.nb, a.baseNorms, a.queries, m.start, m.end, a.d, a.k, a.metric as Metric, a.ids, a.dists);
    } else {
      throw new Error(`unknown kernel ${m.kernel}`);
    }
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
