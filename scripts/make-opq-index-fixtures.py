#!/usr/bin/python3
"""Write test/fixtures/opq-index-faiss.json: faiss's recall@10 for the `opq` option of the `pq` and
`ivfpq` indexes.

Run with Debian's interpreter (python3-numpy + faiss 1.7.3):

    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/make-opq-index-fixtures.py [--out test/fixtures/opq-index-faiss.json]

(about a minute on one core). On test/fixtures/data/glove-sample.npy (1,000 normalized GloVe rows,
d = 100; the first 900 are the base, the last 100 the queries, as test/index/opq-index.test.ts splits
them), for each factory string it records recall@10 against exact L2 search, per k-means seed in
SEEDS (faiss's ClusteringParameters.seed of the OPQ rounds, the PQ and the coarse quantizer), and
their mean, the reference the test compares with:

  * `OPQ{M},PQ{M}` and `PQ{M}` (IndexPreTransform(OPQMatrix) + IndexPQ, and IndexPQ alone);
  * `OPQ{M},IVF{N},PQ{M}` and `IVF{N},PQ{M}` with nprobe = N (every list: the PQ-on-residuals
    ranking, no coarse-quantizer misses).

Polysemous training (the factory's default for these strings, minutes here) is switched off: it only
renumbers the codewords for Hamming filtering, and the ADC search measured here does not use it.
"""
import argparse
import os

import faiss
import numpy as np

from fixture_common import ROOT, load_glove_sample, write_fixture

M = 10
NLIST = 8
SEEDS = [1, 2, 3]
K = 10


def set_seed(obj, seed, keep):
    """Sets the k-means seed of every quantizer inside a factory-built index (`keep` holds the objects C++ points to)."""
    if isinstance(obj, faiss.IndexPreTransform):
        opq = faiss.downcast_VectorTransform(obj.chain.at(0))
        inner = faiss.ProductQuantizer(opq.d_out, opq.M, 8)
        inner.cp.seed = seed
        keep.append(inner)
        opq.pq = inner  # the PQ re-trained in every OPQ round (faiss's default one, with this seed)
        inner_index = faiss.downcast_index(obj.index)
        keep.append(inner_index)
        set_seed(inner_index, seed, keep)
    elif isinstance(obj, faiss.IndexIVFPQ):
        obj.cp.seed = seed
        obj.pq.cp.seed = seed
        obj.do_polysemous_training = False
    elif isinstance(obj, faiss.IndexPQ):
        obj.pq.cp.seed = seed
        obj.do_polysemous_training = False


def recall(found, truth):
    return float(np.mean([len(set(found[i]) & set(truth[i])) / K for i in range(len(truth))]))


def run(factory, base, queries, truth, seed):
    index = faiss.index_factory(base.shape[1], factory)
    keep = []
    set_seed(index, seed, keep)
    index.train(base)
    index.add(base)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = ivf.nlist
    _, ids = index.search(queries, K)
    return recall(ids, truth)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'test/fixtures/opq-index-faiss.json'))
    args = ap.parse_args()
    x = load_glove_sample()
    base, queries = np.ascontiguousarray(x[:900]), np.ascontiguousarray(x[900:1000])
    d2 = (queries ** 2).sum(1)[:, None] - 2 * queries @ base.T + (base ** 2).sum(1)[None, :]
    truth = np.argsort(d2, axis=1)[:, :K]
    out = {'source': 'scripts/make-opq-index-fixtures.py', 'faiss': faiss.__version__, 'data': 'test/fixtures/data/glove-sample.npy',
           'base': [0, 900], 'queries': [900, 1000], 'k': K, 'm': M, 'nlist': NLIST, 'seeds': SEEDS, 'recall': {}}
    for factory in [f'PQ{M}', f'OPQ{M},PQ{M}', f'IVF{NLIST},PQ{M}', f'OPQ{M},IVF{NLIST},PQ{M}']:
        runs = [run(factory, base, queries, truth, s) for s in SEEDS]
        out['recall'][factory] = {'runs': runs, 'mean': float(np.mean(runs))}
        print(factory, runs, flush=True)
    write_fixture(out, args.out)


if __name__ == '__main__':
    main()
