#!/usr/bin/python3
"""faiss peer for vqbench's benches: quantization loss of faiss's PQ / RQ / LSQ, and exact k-NN timing.

Run with Debian's interpreter (python3-faiss, python3-numpy): /usr/bin/python3.

Quantizer mode -- one JSON object per config, one per line, on stdout:

    /usr/bin/python3 bench/peers/faiss_quantizers.py --train train.npy --eval eval.npy \\
        --configs "pq:4x8,rq:4x8,lsq:4x8,pq:8x8,rq:8x8" [--beam 5] [--threads N] [--seed S]

  Also opq:MxB (OPQMatrix + ProductQuantizer), sq:fp16|8bit|4bit (ScalarQuantizer) and
  binary:none|itq (sign bits, after ITQMatrix for itq, decoded as per-bit conditional means).

    {"method": "pq", "books": 4, "nbits": 8, "loss": ..., "trainSeconds": ..., "encodeSeconds": ...,
     "decodeSeconds": ..., "faissVersion": "1.7.3", "threads": 2, "notes": "...", ...}

  loss = mean over eval rows of ||x - x_hat||^2 (squared L2, float64 accumulation, original dims).
  A config that fails prints {"method", "books", "nbits", "error": "..."} and the script exits 1
  after the remaining configs ran.

k-NN mode -- exact search with IndexFlatL2, for kernel benches; one JSON object:

    /usr/bin/python3 bench/peers/faiss_quantizers.py --knn base.npy queries.npy 10 [--threads N] [--repeats 5]
        [--out-ids ids.npy]

    {"mode": "knn", "n": ..., "nq": ..., "d": ..., "k": 10, "seconds": median, "qps": nq / median,
     "allSeconds": [...], "addSeconds": ..., "faissVersion": ..., "threads": ...}

Progress and faiss's own warnings go to stderr; stdout carries only JSON lines.
"""
import argparse
import json
import os
import statistics
import sys
import time


def eprint(*a):
    print(*a, file=sys.stderr, flush=True)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def load_matrix(path, np):
    x = np.load(path, allow_pickle=False)
    if x.ndim != 2:
        raise ValueError(f"{path}: expected a 2-d array, got shape {x.shape}")
    return np.ascontiguousarray(x, dtype=np.float32)


def parse_configs(spec):
    out = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        method, _, rest = item.partition(":")
        method, rest = method.strip().lower(), rest.strip().lower()
        # the compression ladder's methods name a type, not BOOKSxBITS: sq:fp16|8bit|4bit, binary:none|itq
        if method == "sq" and rest in SQ_TYPES:
            out.append((method, rest, 0))
            continue
        if method == "binary" and rest in ("none", "itq"):
            out.append((method, rest, 1))
            continue
        try:
            books, nbits = rest.split("x")
            cfg = (method, int(books), int(nbits))
        except ValueError:
            raise SystemExit(f"bad config {item!r}: expected method:BOOKSxBITS (e.g. pq:4x8), sq:fp16|8bit|4bit or binary:none|itq")
        if cfg[0] not in ("pq", "rq", "lsq", "opq"):
            raise SystemExit(f"bad config {item!r}: method must be pq, rq, lsq, opq, sq or binary")
        if cfg[1] < 1 or not (1 <= cfg[2] <= 16):
            raise SystemExit(f"bad config {item!r}: need books >= 1 and 1 <= nbits <= 16")
        out.append(cfg)
    if not out:
        raise SystemExit("no configs given")
    return out


SQ_TYPES = ("fp16", "8bit", "4bit")


def sign_decode(y_train, y_held, np):
    """Per-column conditional means of y_train on each side of 0, applied to the signs of y_held
    (vqbench's binary decoder; scripts/make-sq-binary-fixtures.py does the same)."""
    pos = y_train > 0
    mean_pos = np.where(pos.any(0), (y_train * pos).sum(0) / np.maximum(pos.sum(0), 1), 0)
    mean_neg = np.where((~pos).any(0), (y_train * ~pos).sum(0) / np.maximum((~pos).sum(0), 1), 0)
    return np.where(y_held > 0, mean_pos, mean_neg).astype(np.float32)


def run_sq_or_binary(method, kind, xt, xe, args, faiss, np):
    """faiss's ScalarQuantizer (QT_fp16 / QT_8bit / QT_4bit, min-max ranges), or sign bits (after
    faiss's ITQMatrix on the centred rows for 'itq') decoded as per-bit conditional means."""
    d = xt.shape[1]
    t0 = time.perf_counter()
    if method == "sq":
        q = faiss.ScalarQuantizer(d, getattr(faiss.ScalarQuantizer, "QT_" + kind))
        q.train(xt)
        t1 = time.perf_counter()
        xhat = q.decode(q.compute_codes(xe))
        bits, notes = q.code_size * 8, f"ScalarQuantizer QT_{kind} (RS_minmax)"
    elif kind == "none":
        t1 = time.perf_counter()
        xhat = sign_decode(xt, xe, np)
        bits, notes = d, "sign bits, per-bit conditional means (numpy; faiss has no decoder for them)"
    else:
        mu = xt.mean(0, dtype=np.float64).astype(np.float32)
        itq = faiss.ITQMatrix(d)
        itq.max_iter = 50
        itq.train(np.ascontiguousarray(xt - mu))
        t1 = time.perf_counter()
        yt, ye = itq.apply_py(np.ascontiguousarray(xt - mu)), itq.apply_py(np.ascontiguousarray(xe - mu))
        r = faiss.vector_to_array(itq.A).reshape(d, d)
        xhat = sign_decode(yt, ye, np) @ r + mu
        bits, notes = d, "ITQMatrix(max_iter=50) on the centred rows, signs decoded as per-bit conditional means"
    t2 = time.perf_counter()
    diff = xe.astype(np.float64) - xhat.astype(np.float64)
    return {"method": method, "books": kind, "nbits": 0, "bitsPerVector": bits,
            "loss": float(np.mean(np.sum(diff * diff, axis=1))), "trainSeconds": t1 - t0, "encodeSeconds": t2 - t1,
            "d": d, "trainRows": int(xt.shape[0]), "evalRows": int(xe.shape[0]), "seed": args.seed,
            "faissVersion": faiss.__version__, "threads": faiss.omp_get_max_threads(), "notes": notes}


def pad_to_multiple(x, m, np):
    d = x.shape[1]
    dp = -(-d // m) * m
    if dp == d:
        return x
    out = np.zeros((x.shape[0], dp), dtype=np.float32)
    out[:, :d] = x
    return out


class OpqThenPq:
    """faiss's OPQ rotation followed by a ProductQuantizer, with the quantizer interface used below."""

    def __init__(self, opq, pq):
        self.opq, self.pq = opq, pq

    def train(self, x):
        self.opq.train(x)
        self.pq.train(self.opq.apply_py(x))

    def compute_codes(self, x):
        return self.pq.compute_codes(self.opq.apply_py(x))

    def decode(self, codes):
        return self.opq.reverse_transform(self.pq.decode(codes))


def rq_train_type_name(q, faiss):
    t = int(q.train_type)
    names = [n for n in ("Train_progressive_dim", "Train_refine_codebook", "Train_top_beam", "Skip_codebook_tables")
             if hasattr(faiss.ResidualQuantizer, n) and t & int(getattr(faiss.ResidualQuantizer, n))]
    return "|".join(names) if names else str(t)


def run_quantizer(method, books, nbits, xt, xe, args, faiss, np):
    if method in ("sq", "binary"):
        return run_sq_or_binary(method, books, xt, xe, args, faiss, np)
    d = xt.shape[1]
    notes = []
    padded_d = d
    if method in ("pq", "opq"):
        if d % books != 0:
            xt_q = pad_to_multiple(xt, books, np)
            xe_q = pad_to_multiple(xe, books, np)
            padded_d = xt_q.shape[1]
            notes.append(
                f"d={d} is not a multiple of M={books}: vectors zero-padded to d={padded_d} "
                f"(sub-vectors of {padded_d // books} dims; the {padded_d - d} padded dims are "
                f"reconstructed exactly, loss is measured on the original {d} dims)"
            )
        else:
            xt_q, xe_q = xt, xe
        q = faiss.ProductQuantizer(padded_d, books, nbits)
        q.cp.seed = args.seed
        notes.append(f"ProductQuantizer k-means: niter={q.cp.niter}, seed={args.seed}")
        if method == "opq":
            # OPQMatrix learns the rotation (its own PQ inside); the final PQ is trained on the rotated rows
            opq = faiss.OPQMatrix(padded_d, books)
            q = OpqThenPq(opq, q)
            notes.append(f"OPQMatrix: niter={opq.niter}, niter_pq={opq.niter_pq}, then the PQ above on the rotated rows")
    elif method == "rq":
        xt_q, xe_q = xt, xe
        q = faiss.ResidualQuantizer(d, books, nbits)
        q.max_beam_size = args.beam
        q.cp.seed = args.seed
        notes.append(
            f"ResidualQuantizer: max_beam_size={q.max_beam_size}, train_type={rq_train_type_name(q, faiss)}, "
            f"niter={q.cp.niter}, seed={args.seed}"
        )
    else:  # lsq
        xt_q, xe_q = xt, xe
        q = faiss.LocalSearchQuantizer(d, books, nbits)
        q.random_seed = args.seed
        notes.append(
            f"LocalSearchQuantizer: train_iters={q.train_iters}, encode_ils_iters={q.encode_ils_iters}, "
            f"icm_iters={q.icm_iters}, seed={args.seed}"
        )

    t0 = time.perf_counter()
    q.train(xt_q)
    t1 = time.perf_counter()
    codes = q.compute_codes(xe_q)
    t2 = time.perf_counter()
    xhat = q.decode(codes)
    t3 = time.perf_counter()

    diff = xe.astype(np.float64) - xhat[:, :d].astype(np.float64)
    loss = float(np.mean(np.sum(diff * diff, axis=1)))
    padded_err = 0.0
    if padded_d != d:
        padded_err = float(np.max(np.abs(xhat[:, d:]))) if xhat.shape[0] else 0.0
        if padded_err != 0.0:
            notes.append(f"padded dims reconstructed with max |error| {padded_err:g}")
    return {
        "method": method,
        "books": books,
        "nbits": nbits,
        "bitsPerVector": books * nbits,
        "loss": loss,
        "trainSeconds": t1 - t0,
        "encodeSeconds": t2 - t1,
        "decodeSeconds": t3 - t2,
        "d": d,
        "paddedD": padded_d,
        "trainRows": int(xt.shape[0]),
        "evalRows": int(xe.shape[0]),
        "seed": args.seed,
        "faissVersion": faiss.__version__,
        "threads": faiss.omp_get_max_threads(),
        "notes": "; ".join(notes),
    }


def knn_mode(args, faiss, np):
    base_path, query_path, k_str = args.knn
    k = int(k_str)
    xb = load_matrix(base_path, np)
    xq = load_matrix(query_path, np)
    if xb.shape[1] != xq.shape[1]:
        raise SystemExit(f"dimension mismatch: base d={xb.shape[1]}, queries d={xq.shape[1]}")
    if not (1 <= k <= xb.shape[0]):
        raise SystemExit(f"k={k} must be in [1, {xb.shape[0]}]")
    index = faiss.IndexFlatL2(xb.shape[1])
    t0 = time.perf_counter()
    index.add(xb)
    add_s = time.perf_counter() - t0
    # warm-up on a slice of the queries (page in, spin up the OpenMP pool)
    index.search(xq[: min(len(xq), 64)], k)
    times = []
    D = I = None
    for _ in range(max(1, args.repeats)):
        t0 = time.perf_counter()
        D, I = index.search(xq, k)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    if args.out_ids:
        np.save(args.out_ids, I.astype(np.int64))
    if args.out_distances:
        np.save(args.out_distances, D.astype(np.float32))
    emit({
        "mode": "knn",
        "index": "IndexFlatL2",
        "n": int(xb.shape[0]),
        "nq": int(xq.shape[0]),
        "d": int(xb.shape[1]),
        "k": k,
        "seconds": med,
        "qps": xq.shape[0] / med if med > 0 else None,
        "allSeconds": times,
        "addSeconds": add_s,
        "repeats": len(times),
        "faissVersion": faiss.__version__,
        "threads": faiss.omp_get_max_threads(),
        "notes": "median of repeats after one warm-up search; IndexFlatL2 uses BLAS sgemm when nq >= 20",
    })


def kmeans_mode(args, faiss, np):
    data_path, k_str, iters_str = args.kmeans
    x = load_matrix(data_path, np)
    k, iters = int(k_str), int(iters_str)
    km = faiss.Kmeans(x.shape[1], k, niter=iters, seed=args.seed, max_points_per_centroid=256)
    t0 = time.perf_counter()
    km.train(x)
    secs = time.perf_counter() - t0
    D, _ = km.index.search(x, 1)
    emit({
        "mode": "kmeans", "n": int(x.shape[0]), "d": int(x.shape[1]), "k": k, "iters": iters,
        "seconds": secs, "inertia": float(D.sum()), "faissVersion": faiss.__version__,
        "threads": faiss.omp_get_max_threads(),
        "notes": "faiss.Kmeans, max_points_per_centroid=256, random init; inertia over all rows",
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", help="train rows, .npy (n x d)")
    ap.add_argument("--eval", help="rows to encode/decode, .npy (m x d)")
    ap.add_argument("--configs", default="pq:4x8,rq:4x8,lsq:4x8,pq:8x8,rq:8x8",
                    help="comma-separated method:BOOKSxBITS with method in pq, rq, lsq")
    ap.add_argument("--beam", type=int, default=5, help="ResidualQuantizer max_beam_size (faiss default 5)")
    ap.add_argument("--threads", type=int, default=0, help="OpenMP threads (0 = faiss default)")
    ap.add_argument("--seed", type=int, default=1234, help="k-means / LSQ seed")
    ap.add_argument("--knn", nargs=3, metavar=("BASE", "QUERIES", "K"), help="time exact IndexFlatL2 search instead")
    ap.add_argument("--kmeans", nargs=3, metavar=("DATA", "K", "ITERS"), help="time faiss.Kmeans instead")
    ap.add_argument("--repeats", type=int, default=5, help="--knn: timed searches (median reported)")
    ap.add_argument("--out-ids", help="--knn: save the result ids (.npy, int64)")
    ap.add_argument("--out-distances", help="--knn: save the result distances (.npy, float32)")
    args = ap.parse_args()

    if args.threads and args.threads > 0:
        # OpenBLAS has its own pool: keep it at the same width so the thread count means one thing.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import numpy as np  # noqa: E402  (after the env vars above)
    import faiss  # noqa: E402

    if args.threads and args.threads > 0:
        faiss.omp_set_num_threads(args.threads)

    if args.knn:
        knn_mode(args, faiss, np)
        return 0
    if args.kmeans:
        kmeans_mode(args, faiss, np)
        return 0

    if not args.train or not args.eval:
        ap.error("--train and --eval are required (or use --knn)")
    configs = parse_configs(args.configs)
    xt = load_matrix(args.train, np)
    xe = load_matrix(args.eval, np)
    if xt.shape[1] != xe.shape[1]:
        raise SystemExit(f"dimension mismatch: train d={xt.shape[1]}, eval d={xe.shape[1]}")

    failed = 0
    for method, books, nbits in configs:
        eprint(f"[faiss_quantizers] {method}:{books}x{nbits} on {xt.shape[0]} x {xt.shape[1]} train rows")
        try:
            emit(run_quantizer(method, books, nbits, xt, xe, args, faiss, np))
        except Exception as ex:  # report and go on: the bench records "not run" with the reason
            failed += 1
            emit({"method": method, "books": books, "nbits": nbits, "error": f"{type(ex).__name__}: {ex}",
                  "faissVersion": faiss.__version__, "threads": faiss.omp_get_max_threads()})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
