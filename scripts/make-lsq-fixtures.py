#!/usr/bin/python3
"""Write test/fixtures/lsq-faiss.json: faiss LSQ's numbers for the `avq` quantizer.

Run with Debian's interpreter (python3-numpy + faiss 1.7.3):

    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/make-lsq-fixtures.py [--out test/fixtures/lsq-faiss.json]

On test/fixtures/data/glove-sample.npy (1,000 normalized GloVe rows, d = 100: the first 800 train,
the last 200 are held out, as test/quant/avq.test.ts splits them), for each (M, nbits) in CONFIGS
it records the held-out loss (mean ||x - x_hat||^2) of faiss's LocalSearchQuantizer(d, M, nbits)
with every default (train_iters 25, train_ils_iters 8, encode_ils_iters 16, icm_iters 4, nperts 4,
SR-D p = 0.5, lambd 0.01), once per random_seed in SEEDS; the mean is the reference.
Codebooks of 2^nbits = 16 words keep 800 training rows meaningful (about 50 rows per codeword).
"""
import argparse
import os

import faiss
import numpy as np

from fixture_common import ROOT, load_glove_sample, loss, write_fixture

CONFIGS = [(4, 4), (8, 4)]
SEEDS = [1, 2, 3]


def lsq_loss(train, held, m, nbits, seed):
    q = faiss.LocalSearchQuantizer(train.shape[1], m, nbits)
    q.random_seed = seed
    q.train(train)
    xhat = q.decode(q.compute_codes(held))
    return loss(held, xhat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'test/fixtures/lsq-faiss.json'))
    args = ap.parse_args()
    x = load_glove_sample()
    train, held = np.ascontiguousarray(x[:800]), np.ascontiguousarray(x[800:1000])
    out = {'source': 'scripts/make-lsq-fixtures.py', 'faiss': faiss.__version__, 'data': 'test/fixtures/data/glove-sample.npy',
           'train': [0, 800], 'held': [800, 1000], 'seeds': SEEDS, 'lsq': {}}
    for m, nbits in CONFIGS:
        losses = [lsq_loss(train, held, m, nbits, s) for s in SEEDS]
        out['lsq'][f'{m}x{nbits}'] = {
            'faiss': f'LocalSearchQuantizer({train.shape[1]}, {m}, {nbits}) defaults',
            'books': m, 'size': 1 << nbits, 'losses': losses, 'loss': float(np.mean(losses)),
        }
    write_fixture(out, args.out)


if __name__ == '__main__':
    main()
