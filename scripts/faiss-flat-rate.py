#!/usr/bin/python3
"""Exact k-NN throughput of faiss (IndexFlatL2, BLAS) on the first ROWS rows of a float32 .npy base,
for bench/scale.ts's ground-truth comparison: the rows are read into memory (a chunk that fits), the
queries searched once untimed (warm-up) and then timed.

usage: faiss-flat-rate.py BASE.npy QUERIES.npy ROWS K
prints one JSON line: {"rows", "queries", "k", "seconds", "threads", "rate"} (rate = rows·queries/s)
"""
import json
import sys
import time

import numpy as np

try:
    import faiss
except ImportError:
    print(json.dumps({"error": "python3 has no faiss module"}))
    sys.exit(0)

base_path, query_path, rows, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
xb = np.ascontiguousarray(np.load(base_path, mmap_mode="r")[:rows], dtype=np.float32)
xq = np.ascontiguousarray(np.load(query_path), dtype=np.float32)
index = faiss.IndexFlatL2(xb.shape[1])
index.add(xb)
index.search(xq[: min(len(xq), 100)], k)
t0 = time.perf_counter()
index.search(xq, k)
seconds = time.perf_counter() - t0
print(json.dumps({"rows": int(xb.shape[0]), "queries": int(xq.shape[0]), "k": k, "seconds": seconds,
                  "threads": faiss.omp_get_max_threads(), "rate": xb.shape[0] * xq.shape[0] / seconds}))
