"""Native faiss peer for FILTERED search (faiss 1.7.3: IDSelectorBitmap in SearchParametersIVF).

  python3 bench/peers/faiss_filtered.py --base base.npy --queries q.npy --factory IVF256,PQ50np \
      --filter bits_0.npy:gt_0.npy --filter bits_1.npy:gt_1.npy ... [--train-rows N] [--seed S] [--warmup W]

Builds the index once on one thread, emits {"event": "build", ...}, then reads stdin lines, each a
JSON object {"nprobe": P, "filter": i}: the queries searched one per call on ONE thread with
params = SearchParametersIVF(nprobe=P, sel=IDSelectorBitmap(base rows, the i-th bitmap)), after
`--warmup` untimed ones; emits {"event": "search", "recall10": ..., "qps": ..., "violations": ...}
(recall@10 against the i-th filtered ground truth, its -1 padding not counted), then {"event": "done"}.
"""
import argparse
import json
import os
import sys
import time


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--factory", default="IVF256,PQ50np")
    ap.add_argument("--filter", action="append", default=[], help="BITS.npy:GT.npy (uint8 0/1 per base row; int32 nq x K filtered truth)")
    ap.add_argument("--train-rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()

    import numpy as np
    import faiss

    xb = np.ascontiguousarray(np.load(args.base), dtype=np.float32)
    xq = np.ascontiguousarray(np.load(args.queries), dtype=np.float32)
    filters = []
    for spec in args.filter:
        bits_path, gt_path = spec.split(":")
        bits = np.load(bits_path).reshape(-1).astype(np.uint8)
        packed = np.packbits(bits, bitorder="little")  # IDSelectorBitmap: bit i of byte i >> 3, low bit first
        filters.append({"bits": bits, "packed": packed, "gt": np.load(gt_path)})
    faiss.omp_set_num_threads(1)
    index = faiss.index_factory(xb.shape[1], args.factory)
    rng = np.random.default_rng(args.seed)
    n_train = min(args.train_rows, xb.shape[0])
    train = xb if n_train == xb.shape[0] else xb[np.sort(rng.choice(xb.shape[0], n_train, replace=False))]
    t0 = time.perf_counter()
    index.train(train)
    index.add(xb)
    emit({"event": "build", "buildSeconds": time.perf_counter() - t0, "faissVersion": faiss.__version__, "trainRows": int(n_train), "cores": os.cpu_count()})
    ivf = faiss.extract_index_ivf(index)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            f = filters[int(req["filter"])]
            sel = faiss.IDSelectorBitmap(xb.shape[0], faiss.swig_ptr(f["packed"]))
            params = faiss.SearchParametersIVF(sel=sel, nprobe=int(req["nprobe"]))
            nq, k = xq.shape[0], 10
            rows = [xq[i:i + 1] for i in range(nq)]
            for w in range(args.warmup):
                index.search(rows[w % nq], k, params=params)
            ids = np.empty((nq, k), dtype=np.int64)
            pc = time.perf_counter
            start = pc()
            for i in range(nq):
                _, I = index.search(rows[i], k, params=params)
                ids[i] = I[0]
            wall = pc() - start
            gt = f["gt"]
            hits = total = 0
            for i in range(nq):
                truth = set(int(x) for x in gt[i, :k] if x >= 0)
                if not truth:
                    continue
                total += 1
                hits += len(truth & set(int(x) for x in ids[i] if x >= 0)) / len(truth)
            returned = ids[ids >= 0]
            emit({"event": "search", "nprobe": int(req["nprobe"]), "filter": int(req["filter"]), "qps": nq / wall,
                  "recall10": hits / max(total, 1), "returnedPerQuery": float(returned.size) / nq,
                  "violations": int((f["bits"][returned] == 0).sum()), "nprobeIvf": int(ivf.nprobe)})
        except (ValueError, KeyError, IndexError, RuntimeError) as e:
            emit({"event": "error", "message": str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)})
        emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
