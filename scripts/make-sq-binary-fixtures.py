#!/usr/bin/python3
"""Write test/fixtures/sq-binary-faiss.json: faiss's numbers for the `sq` and `binary` quantizers.

Run with Debian's interpreter (python3-numpy + faiss 1.7.3):

    /usr/bin/python3 scripts/make-sq-binary-fixtures.py [--out test/fixtures/sq-binary-faiss.json]

On test/fixtures/data/glove-sample.npy (1,000 normalized GloVe rows: the first 800 train, the last
200 are held out, as test/quant/real-sample.test.ts splits them), it records

  * sq: the held-out loss (mean ||x - x_hat||^2) of faiss.ScalarQuantizer QT_8bit, QT_4bit and
    QT_fp16 (per-dimension min/max ranges, faiss's default RS_minmax) trained on the 800 rows;
  * binary, rotation none: the loss of sign bits decoded as the per-dimension conditional means
    of the training values on each side of 0 (numpy; deterministic, so compared tightly);
  * binary, rotation itq: faiss.ITQMatrix trained on the centred training rows (50 iterations, its
    own seeded random start), its objective ||B - VR||^2 per row, and the loss of sign bits after
    that rotation decoded as conditional means (ours starts from another random rotation: compared
    within a few percent).
"""
import argparse
import os

import faiss
import numpy as np

from fixture_common import ROOT, load_glove_sample, loss, write_fixture




def sign_decode(y_train, y_held):
    """Per-column conditional means of y_train on each side of 0, applied to the bits of y_held."""
    pos = y_train > 0
    mean_pos = np.where(pos.any(0), (y_train * pos).sum(0) / np.maximum(pos.sum(0), 1), 0)
    mean_neg = np.where((~pos).any(0), (y_train * ~pos).sum(0) / np.maximum((~pos).sum(0), 1), 0)
    return np.where(y_held > 0, mean_pos, mean_neg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'test/fixtures/sq-binary-faiss.json'))
    args = ap.parse_args()
    x = load_glove_sample()
    train, held = np.ascontiguousarray(x[:800]), np.ascontiguousarray(x[800:1000])
    d = x.shape[1]
    out = {'source': 'scripts/make-sq-binary-fixtures.py', 'faiss': faiss.__version__, 'data': 'test/fixtures/data/glove-sample.npy',
           'train': [0, 800], 'held': [800, 1000], 'sq': {}, 'binary': {}}
    for name, qt in [('int8', faiss.ScalarQuantizer.QT_8bit), ('int4', faiss.ScalarQuantizer.QT_4bit), ('fp16', faiss.ScalarQuantizer.QT_fp16)]:
        sq = faiss.ScalarQuantizer(d, qt)
        sq.train(train)
        out['sq'][name] = {'faiss': f'ScalarQuantizer QT_{"8bit" if name == "int8" else "4bit" if name == "int4" else "fp16"}', 'loss': loss(held, sq.decode(sq.compute_codes(held))), 'bitsPerVector': sq.code_size * 8}

    out['binary']['none'] = {'loss': loss(held, sign_decode(train, held))}

    mu = train.mean(0, dtype=np.float64).astype(np.float32)
    vc, hc = np.ascontiguousarray(train - mu), np.ascontiguousarray(held - mu)
    itq = faiss.ITQMatrix(d)
    itq.max_iter = 50
    itq.train(vc)
    # apply_py gives x R (faiss stores A as the d_out x d_in matrix applied as A x)
    yt, yh = itq.apply_py(vc), itq.apply_py(hc)
    r = faiss.vector_to_array(itq.A).reshape(d, d)
    objective = float(np.mean(np.sum((np.where(yt > 0, 1, -1) - yt) ** 2, axis=1)))
    # back to the input space: y = A x, so x = A^T y (A orthogonal)
    xhat = sign_decode(yt, yh) @ r + mu
    out['binary']['itq'] = {'faiss': 'ITQMatrix(max_iter=50) on the centred training rows', 'objective': objective, 'loss': loss(held, xhat),
                            'orthogonality': float(np.abs(r @ r.T - np.eye(d)).max())}
    write_fixture(out, args.out)


if __name__ == '__main__':
    main()
