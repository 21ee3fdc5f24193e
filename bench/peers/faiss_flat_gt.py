"""Exact k-NN with faiss IndexFlatL2 (BLAS) on one chunk of base rows that fits in memory: the
peer of bench/gt-throughput.ts. Prints JSON {"rows": n, "seconds": [...]} (search time per repeat).

usage: faiss_flat_gt.py BASE.npy ROWS QUERIES.npy K THREADS REPEATS
"""
import json
import sys
import time

import faiss
import numpy as np

base_path, rows, queries_path, k, threads, repeats = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
faiss.omp_set_num_threads(threads)
base = np.ascontiguousarray(np.load(base_path, mmap_mode="r")[:rows], dtype=np.float32)
queries = np.ascontiguousarray(np.load(queries_path), dtype=np.float32)
index = faiss.IndexFlatL2(base.shape[1])
index.add(base)
seconds = []
for _ in range(repeats):
    t = time.perf_counter()
    index.search(queries, k)
    seconds.append(time.perf_counter() - t)
print(json.dumps({"rows": int(base.shape[0]), "seconds": seconds}))
