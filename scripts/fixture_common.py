"""What the faiss fixture scripts (scripts/make-*-fixtures.py) share: the repository root, the GloVe
sample they all read, the loss they all compute, and how a fixture is written (JSON, also printed)."""
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLOVE_SAMPLE = 'test/fixtures/data/glove-sample.npy'


def load_glove_sample():
    """The 1,000 normalized GloVe rows (d = 100) of test/fixtures/data/glove-sample.npy, float32."""
    return np.load(os.path.join(ROOT, GLOVE_SAMPLE)).astype(np.float32)


def loss(x, xhat):
    """Mean squared reconstruction error per row, in float64 (the project's `loss`)."""
    return float(np.mean(np.sum((x.astype(np.float64) - xhat.astype(np.float64)) ** 2, axis=1)))


def write_fixture(out, path):
    """Writes the fixture as indented JSON with a final newline, and prints it."""
    with open(path, 'w') as f:
        json.dump(out, f, indent=2)
        f.write('\n')
    print(json.dumps(out, indent=2))
