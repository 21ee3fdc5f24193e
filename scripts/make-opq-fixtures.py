#!/usr/bin/python3
"""Write test/fixtures/opq-faiss.json: faiss's numbers for the `opq` quantizer.

Run with Debian's interpreter (python3-numpy + faiss 1.7.3):

    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/make-opq-fixtures.py [--out test/fixtures/opq-faiss.json]

(about 4 minutes on one core; with OpenMP threads on a busy 2-core machine it is far slower).

On test/fixtures/data/glove-sample.npy (1,000 normalized GloVe rows, d = 100: the first 800 train,
the last 200 are held out, as test/quant/opq.test.ts splits them), for each M in MS it records the
held-out loss (mean ||x - x_hat||^2) of

  * faiss `OPQ{M},PQ{M}` (index_factory): OPQMatrix(d, M) with its defaults (niter 50, niter_pq 4,
    niter_pq_0 40, a random rotation seeded 1234 to start), then IndexPQ(d, M, 8) trained on the
    rotated rows; x_hat = A^T decode(encode(A x)). Run once per k-means seed in SEEDS (the seed of
    the PQ inside OPQMatrix and of the final PQ), the mean kept as the reference;
  * faiss `PQ{M}` (ProductQuantizer(d, M, 8)) with the same seeds, for the OPQ-over-PQ gain;
  * the orthogonality of the learned rotation, max |A A^T - I|.
"""
import argparse
import os

import faiss
import numpy as np

from fixture_common import ROOT, load_glove_sample, loss, write_fixture

MS = [10, 25]
SEEDS = [1, 2, 3]



def opq_loss(train, held, m, seed):
    d = train.shape[1]
    opq = faiss.OPQMatrix(d, m)
    inner = faiss.ProductQuantizer(d, m, 8)
    inner.cp.seed = seed
    opq.pq = inner  # the PQ re-trained in every round (faiss's default one, with this seed)
    opq.train(train)
    pq = faiss.ProductQuantizer(d, m, 8)
    pq.cp.seed = seed
    pq.train(opq.apply_py(train))
    yhat = pq.decode(pq.compute_codes(opq.apply_py(held)))
    xhat = opq.reverse_transform(yhat)
    a = faiss.vector_to_array(opq.A).reshape(d, d).astype(np.float64)
    return loss(held, xhat), float(np.abs(a @ a.T - np.eye(d)).max())


def pq_loss(train, held, m, seed):
    pq = faiss.ProductQuantizer(train.shape[1], m, 8)
    pq.cp.seed = seed
    pq.train(train)
    return loss(held, pq.decode(pq.compute_codes(held)))


def factory_loss(train, held, m):
    """The same through index_factory('OPQ{m},PQ{m}') with every default (k-means seed 1234)."""
    index = faiss.index_factory(train.shape[1], f'OPQ{m},PQ{m}')
    index.train(train)
    opq = faiss.downcast_VectorTransform(index.chain.at(0))
    pq = faiss.downcast_index(index.index).pq
    xhat = opq.reverse_transform(pq.decode(pq.compute_codes(opq.apply_py(held))))
    return loss(held, xhat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'test/fixtures/opq-faiss.json'))
    args = ap.parse_args()
    x = load_glove_sample()
    train, held = np.ascontiguousarray(x[:800]), np.ascontiguousarray(x[800:1000])
    out = {'source': 'scripts/make-opq-fixtures.py', 'faiss': faiss.__version__, 'data': 'test/fixtures/data/glove-sample.npy',
           'train': [0, 800], 'held': [800, 1000], 'nbits': 8, 'seeds': SEEDS, 'opq': {}}
    for m in MS:
        runs = [opq_loss(train, held, m, s) for s in SEEDS]
        pqs = [pq_loss(train, held, m, s) for s in SEEDS]
        out['opq'][str(m)] = {
            'faiss': f'OPQ{m},PQ{m}: OPQMatrix({train.shape[1]}, {m}) defaults, then ProductQuantizer({train.shape[1]}, {m}, 8)',
            'losses': [r[0] for r in runs], 'loss': float(np.mean([r[0] for r in runs])),
            'factoryLoss': factory_loss(train, held, m),
            'orthogonality': max(r[1] for r in runs),
            'pqLosses': pqs, 'pqLoss': float(np.mean(pqs)),
            'bitsPerVector': 8 * m,
        }
    write_fixture(out, args.out)


if __name__ == '__main__':
    main()
